"""SLA bookkeeping on a ticket: deadlines, the first human response, breaches."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from bot.clock import iso
from bot.tickets.audit import SYSTEM, Actor, record
from bot.tickets.models import Ticket
from bot.tickets.sla import SlaPolicy

logger = logging.getLogger(__name__)

# Statuses in which the customer is still waiting for us.
WAITING_STATUSES = ("open", "escalated", "in_progress", "reopened")


@dataclass(frozen=True)
class Deadline:
    """A deadline the customer is still waiting on, and when its clock started."""

    which: str  # first_response | resolution
    start: datetime
    due: datetime

    def share_passed(self, now: datetime) -> float:
        """How much of the time from start to due has passed at `now` (1.0 at the deadline)."""
        span = (self.due - self.start).total_seconds()
        return 1.0 if span <= 0 else (now - self.start).total_seconds() / span


def resolution_clock_start(ticket: Ticket) -> datetime:
    """When the customer started waiting for a resolution: creation, or the last reopening."""
    if not ticket.reopen_count:  # never reopened: no need to read the trail
        return ticket.created_at
    for event in reversed(ticket.events):
        if event.action == "status_changed" and (event.data or {}).get("to") == "reopened":
            return event.at
    return ticket.created_at


def pending_deadlines(ticket: Ticket) -> list[Deadline]:
    """The deadlines still unmet on a ticket whose customer is waiting: the first response
    until a person answers, the resolution until it is resolved."""
    if ticket.status not in WAITING_STATUSES:
        return []
    pending: list[Deadline] = []
    if ticket.first_response_due is not None and ticket.first_responded_at is None:
        pending.append(Deadline("first_response", ticket.created_at, ticket.first_response_due))
    if ticket.resolution_due is not None:
        pending.append(
            Deadline("resolution", resolution_clock_start(ticket), ticket.resolution_due)
        )
    return pending


def set_deadlines(ticket: Ticket, policy: SlaPolicy) -> None:
    """Both due times for the ticket's severity, category and team: the first response counted
    from creation, the resolution from creation or the last reopening."""
    ticket.first_response_due = policy.deadlines(
        ticket.severity, ticket.created_at, ticket.category, ticket.team
    )[0]
    ticket.resolution_due = policy.resolution_due(
        ticket.severity, resolution_clock_start(ticket), ticket.category, ticket.team
    )


def stamp_first_response(ticket: Ticket, *, actor: Actor, now: datetime) -> bool:
    """Stamps `first_responded_at` on the first human response; later ones change nothing."""
    if not actor.human or ticket.first_responded_at is not None:
        return False
    ticket.first_responded_at = now
    late = ticket.first_response_due is not None and now > ticket.first_response_due
    record(
        ticket,
        actor=actor,
        action="first_response",
        now=now,
        data={"due": iso(ticket.first_response_due), "late": late},
    )
    if late:
        breach(ticket, which="first_response", now=now)
    return True


def breach(ticket: Ticket, *, which: str, now: datetime) -> bool:
    """Marks the ticket breached (once; it never goes back to false)."""
    if ticket.sla_breached:
        return False
    ticket.sla_breached = True
    due = ticket.first_response_due if which == "first_response" else ticket.resolution_due
    record(
        ticket, actor=SYSTEM, action="sla_breached", now=now, data={"which": which, "due": iso(due)}
    )
    logger.info("ticket %s breached its %s deadline", ticket.id, which)
    return True


def overdue(ticket: Ticket, now: datetime) -> str | None:
    """Which deadline has passed unmet at `now` ("first_response", "resolution"), if any."""
    waiting = ticket.status in WAITING_STATUSES
    due = ticket.first_response_due
    if due is not None:
        answered = ticket.first_responded_at
        if (answered is None and waiting and now > due) or (
            answered is not None and answered > due
        ):
            return "first_response"
    due = ticket.resolution_due
    if due is not None:
        resolved = ticket.resolved_at
        if (waiting and now > due) or (resolved is not None and resolved > due):
            return "resolution"
    return None


def mark_breaches(session: Session, *, now: datetime) -> list[str]:
    """Sets `sla_breached` on every ticket whose deadline passed unmet; returns their ids.

    Never clears the flag. Safe to run from several monitors at once on PostgreSQL (rows
    another monitor is handling are skipped).
    """
    waiting = Ticket.status.in_(WAITING_STATUSES)
    candidates = (
        select(Ticket)
        .where(
            Ticket.sla_breached.is_(False),
            or_(
                and_(waiting, Ticket.first_responded_at.is_(None), Ticket.first_response_due < now),
                Ticket.first_responded_at > Ticket.first_response_due,
                and_(waiting, Ticket.resolution_due < now),
                Ticket.resolved_at > Ticket.resolution_due,
            ),
        )
        .order_by(Ticket.id)
        .with_for_update(skip_locked=True)
    )
    breached: list[str] = []
    for ticket in session.execute(candidates).scalars():
        which = overdue(ticket, now)
        if which is not None and breach(ticket, which=which, now=now):
            breached.append(ticket.id)
    session.flush()
    return breached
