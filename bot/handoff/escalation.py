"""Putting a conversation's ticket in front of a human: the one place that decides which
ticket (the customer's open one, or a new one from what we know) and escalates it.

Used by the action server (the customer asked for a person, or the severity demands one)
and by the gateway (Rasa could not answer). The caller then queues the ticket.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.tickets import deadlines, lifecycle
from bot.tickets.audit import Actor
from bot.tickets.evidence import latest_open_ticket
from bot.tickets.models import Ticket
from bot.tickets.service import NewTicket, add_note, create_ticket, get_ticket
from bot.tickets.sla import SlaPolicy
from bot.tickets.teams import Teams

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Handoff:
    """What the gateway needs to queue a ticket (also the `handoff` custom message the
    action server sends back through Rasa)."""

    ticket_id: str
    severity: str
    reason: str
    created: bool = False

    def as_payload(self) -> dict[str, object]:
        return {"ticket_id": self.ticket_id, "severity": self.severity, "reason": self.reason}


def escalate_for_human(
    session: Session,
    *,
    new: NewTicket,
    reason: str,
    actor: Actor,
    policy: SlaPolicy,
    now: datetime,
    ticket_id: str | None = None,
    note: str | None = None,
    teams: Teams | None = None,
) -> Handoff:
    """Escalates `ticket_id` if it is still waiting, else the customer's latest open ticket,
    else a new ticket made from `new`; `note` goes on an existing ticket's trail."""
    ticket: Ticket | None = get_ticket(session, ticket_id) if ticket_id else None
    if ticket is not None and ticket.status not in deadlines.WAITING_STATUSES:
        ticket = None
    if ticket is None:
        ticket = latest_open_ticket(session, channel=new.channel, sender_id=new.sender_id)
    created = ticket is None
    if ticket is None:
        ticket = create_ticket(session, new=new, policy=policy, now=now, actor=actor, teams=teams)
    elif note:
        add_note(ticket, note, actor=actor, now=now)
    if lifecycle.can_transition(ticket.status, "escalated") and ticket.assigned_agent is None:
        lifecycle.change_status(
            ticket, "escalated", actor=actor, now=now, policy=policy, note=reason
        )
    logger.info("ticket %s handed to a human (%s, %s)", ticket.id, reason, ticket.severity)
    return Handoff(ticket_id=ticket.id, severity=ticket.severity, reason=reason, created=created)
