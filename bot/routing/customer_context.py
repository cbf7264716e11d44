"""What the console shows beside a chat: the customer's earlier complaints, and how their
emotion moved through the conversation (the level our NLU component put on each message
Rasa parsed, read back from the Rasa tracker).

Rasa only sees what the bot handles: messages written to an agent while the conversation
is handed over are not parsed, so they have no point on the emotion strip.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import iso
from bot.conversations.keys import conversation_key
from bot.i18n import cut
from bot.privacy import mask_pii
from bot.routing.rasa_client import RasaClient, RasaUnavailable
from bot.tickets.models import EMOTION_LEVELS, Ticket
from bot.tickets.service import earlier_tickets

logger = logging.getLogger(__name__)

EARLIER_LIMIT = 10
MAX_POINTS = 100  # the latest ones: a strip, not an archive
EXCERPT_CHARS = 60
# The console waits for this, so it is shorter than a dialogue turn's timeout.
TRACKER_TIMEOUT = 5.0
RASA_DOWN_NOTE = "the bot (Rasa) is not reachable: the emotion history is not available now"


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """One line of the message, personal data masked, cut at `limit` characters."""
    return cut(" ".join(mask_pii(text).split()), limit)


def _when(timestamp: object) -> str | None:
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        return None
    try:
        return iso(datetime.fromtimestamp(timestamp, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def emotion_points(tracker: Mapping[str, Any], limit: int = MAX_POINTS) -> list[dict[str, Any]]:
    """The emotion of each customer message Rasa parsed, oldest first (the last `limit`).

    Messages without an emotion (button payloads, external events such as the follow-up)
    are left out, as is anything malformed.
    """
    points: list[dict[str, Any]] = []
    events = tracker.get("events")
    for event in events if isinstance(events, list) else []:
        if not isinstance(event, dict) or event.get("event") != "user":
            continue
        parse_data = event.get("parse_data")
        emotion = parse_data.get("emotion") if isinstance(parse_data, dict) else None
        if not isinstance(emotion, dict) or emotion.get("level") not in EMOTION_LEVELS:
            continue
        score = emotion.get("score")
        if not isinstance(score, int | float) or isinstance(score, bool):
            continue
        text = event.get("text")
        points.append(
            {
                "at": _when(event.get("timestamp")),
                "level": emotion["level"],
                "score": round(min(max(float(score), 0.0), 1.0), 3),
                "excerpt": excerpt(text if isinstance(text, str) else ""),
            }
        )
    return points[-limit:]


def earlier_complaints(session: Session, ticket: Ticket) -> tuple[list[dict[str, Any]], int]:
    """The customer's other tickets as the console lists them, newest first, and the total."""
    tickets, total = earlier_tickets(session, ticket=ticket, limit=EARLIER_LIMIT)
    rows = [
        {"id": t.id, "created_at": iso(t.created_at), "category": t.category,
         "status": t.status, "severity": t.severity, "csat": t.csat}
        for t in tickets
    ]  # fmt: skip
    return rows, total


async def customer_context(
    *, sessions: sessionmaker[Session], rasa: RasaClient, ticket_id: str
) -> dict[str, Any]:
    """Earlier complaints and the emotion over time for one ticket (LookupError when there
    is no such ticket). Without Rasa the complaints still come, with `emotion` None and a
    note saying why."""

    def load() -> tuple[str, list[dict[str, Any]], int]:
        with sessions() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                raise LookupError("no such ticket")
            rows, total = earlier_complaints(session, ticket)
            return conversation_key(ticket.channel, ticket.sender_id), rows, total

    key, rows, total = await anyio.to_thread.run_sync(load)
    emotion: list[dict[str, Any]] | None
    note = None
    try:
        emotion = emotion_points(await rasa.tracker(key, timeout=TRACKER_TIMEOUT))
    except RasaUnavailable as exc:
        logger.warning("no emotion history for %s: %s", ticket_id, exc)
        emotion, note = None, RASA_DOWN_NOTE
    return {
        "ticket_id": ticket_id,
        "earlier_complaints": rows,
        "earlier_total": total,
        "emotion": emotion,
        "emotion_note": note,
    }
