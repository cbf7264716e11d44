"""When the bot cannot answer (Rasa down or too slow), the complaint still lands on a ticket
that waits for a human: no message is lost and nobody has to send it again.

Without Rasa the understanding is the rule-based part only: ids, contacts, resolution and
threats (bot.nlu.entities) and the emotion lexicon (bot.nlu.emotion), which is enough to
set severity and motive honestly. The category stays `other` for the agent to set.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.handoff.escalation import Handoff, escalate_for_human
from bot.nlu import emotion, entities
from bot.tickets.audit import SYSTEM
from bot.tickets.service import NewTicket
from bot.tickets.sla import SlaPolicy
from bot.tickets.teams import Teams

DESCRIPTION_CHARS = 2000


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
    teams: Teams | None = None,
) -> Handoff:
    """Puts `text` on the customer's open ticket (or a new one) and escalates it for a human.

    Called inside the caller's transaction, after the message itself has been stored."""
    found = {e["entity"]: str(e["value"]) for e in reversed(entities.extract(text))}
    new = NewTicket(
        channel=channel,
        sender_id=sender_id,
        language=language,
        category="other",
        description=text[:DESCRIPTION_CHARS],
        order_id=found.get("order_id"),
        desired_resolution=found.get("desired_resolution"),
        contact_phone=found.get("phone"),
        contact_email=found.get("email"),
        emotion_peak=emotion.analyse(text).level,
        escalation_threat=found.get("escalation_threat"),
    )
    return escalate_for_human(
        session,
        new=new,
        reason=reason,
        actor=SYSTEM,
        policy=policy,
        now=now,
        note=f"[{reason}] {text[:DESCRIPTION_CHARS]}",
        teams=teams,
    )
