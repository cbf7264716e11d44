"""When the bot cannot answer (Rasa down or too slow), the complaint still lands on a ticket
that waits for a human: no message is lost and nobody has to send it again.

Without Rasa the understanding is the rule-based part only: ids, contacts, resolution and
threats (bot.nlu.entities) and the emotion lexicon (bot.nlu.emotion), which is enough to
set severity and motive honestly. The category stays `other` for the agent to set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.nlu import emotion, entities
from bot.tickets import lifecycle
from bot.tickets.audit import SYSTEM
from bot.tickets.evidence import latest_open_ticket
from bot.tickets.service import NewTicket, add_note, create_ticket
from bot.tickets.sla import SlaPolicy

logger = logging.getLogger(__name__)

EMOTION_ORDER = ("calm", "upset", "angry", "furious")
DESCRIPTION_CHARS = 2000


@dataclass(frozen=True)
class Queued:
    """The ticket holding an unanswered message, for the handoff queue."""

    ticket_id: str
    severity: str
    created: bool


def hold_for_human(
    session: Session,
    *,
    channel: str,
    sender_id: str,
    language: str,
    text: str,
    reason: str,
    policy: SlaPolicy,
    now: datetime,
) -> Queued:
    """Puts `text` on the customer's open ticket (or a new one) and escalates it for a human.

    Called inside the caller's transaction, after the message itself has been stored."""
    ticket = latest_open_ticket(session, channel=channel, sender_id=sender_id)
    created = ticket is None
    if ticket is None:
        found = {e["entity"]: str(e["value"]) for e in reversed(entities.extract(text))}
        level = emotion.analyse(text).level
        ticket = create_ticket(
            session,
            new=NewTicket(
                channel=channel,
                sender_id=sender_id,
                language=language,
                category="other",
                description=text[:DESCRIPTION_CHARS],
                order_id=found.get("order_id"),
                desired_resolution=found.get("desired_resolution"),
                contact_phone=found.get("phone"),
                contact_email=found.get("email"),
                emotion_peak=level if level in EMOTION_ORDER else None,
                escalation_threat=found.get("escalation_threat"),
            ),
            policy=policy,
            now=now,
            actor=SYSTEM,
        )
    else:
        add_note(ticket, f"[{reason}] {text[:DESCRIPTION_CHARS]}", actor=SYSTEM, now=now)
    if lifecycle.can_transition(ticket.status, "escalated") and ticket.assigned_agent is None:
        lifecycle.change_status(
            ticket, "escalated", actor=SYSTEM, now=now, policy=policy, note=reason
        )
    logger.warning("%s: message held on %s for a human (%s)", reason, ticket.id, ticket.severity)
    return Queued(ticket_id=ticket.id, severity=ticket.severity, created=created)
