"""The ticket lifecycle: the one table of allowed status changes, and their effects.

Every write path (actions, API, console, follow-up) changes a ticket's status through
`change_status`; a change not in TRANSITIONS raises InvalidTransition and writes nothing.

    open, reopened      -> escalated | in_progress | resolved | withdrawn
    escalated           -> in_progress | resolved | withdrawn
    in_progress         -> escalated | resolved | withdrawn
    resolved            -> closed | reopened
    closed, withdrawn   -> (final)
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from bot.clock import iso
from bot.tickets.audit import Actor, record
from bot.tickets.deadlines import breach, stamp_first_response
from bot.tickets.models import STATUSES, Ticket, TicketEvent
from bot.tickets.sla import SlaPolicy

logger = logging.getLogger(__name__)

_ACTIVE_NEXT = frozenset({"escalated", "in_progress", "resolved", "withdrawn"})

TRANSITIONS: Mapping[str, frozenset[str]] = {
    "open": _ACTIVE_NEXT,
    "escalated": _ACTIVE_NEXT - {"escalated"},
    "in_progress": _ACTIVE_NEXT - {"in_progress"},
    "reopened": _ACTIVE_NEXT,
    # The customer's verdict after resolution: accepted (closed) or not (reopened).
    "resolved": frozenset({"closed", "reopened"}),
    # Final: a new problem is a new ticket.
    "closed": frozenset(),
    "withdrawn": frozenset(),
}
# Status changes made by a person that count as answering the customer.
RESPONDING_STATUSES = frozenset({"in_progress", "resolved"})


class InvalidTransition(ValueError):
    """A status change the lifecycle does not allow."""

    def __init__(self, current: str, target: str) -> None:
        allowed = ", ".join(sorted(TRANSITIONS.get(current, ()))) or "none (final status)"
        if target not in STATUSES:
            message = f"unknown status {target!r}; statuses are {', '.join(STATUSES)}"
        elif current == target:
            message = f"the ticket is already {current}"
        else:
            message = f"a ticket cannot go from {current} to {target}; from {current}: {allowed}"
        super().__init__(message)
        self.current = current
        self.target = target


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, target: str) -> None:
    if not can_transition(current, target):
        raise InvalidTransition(current, target)


def change_status(
    ticket: Ticket,
    target: str,
    *,
    actor: Actor,
    now: datetime,
    policy: SlaPolicy,
    note: str | None = None,
) -> TicketEvent:
    """Moves the ticket to `target`, applies the side effects and records the event."""
    check_transition(ticket.status, target)
    previous = ticket.status
    data: dict[str, object] = {"from": previous, "to": target}
    if note:
        data["note"] = note
    ticket.status = target
    ticket.updated_at = now
    if target == "resolved":
        ticket.resolved_at = now
    elif target == "closed":
        ticket.closed_at = now
    elif target == "reopened":
        ticket.reopen_count = (ticket.reopen_count or 0) + 1
        ticket.resolved_at = None
        # The customer is waiting again: the resolution clock restarts now.
        ticket.resolution_due = policy.resolution_due(
            ticket.severity, now, ticket.category, ticket.team
        )
        data["resolution_due"] = iso(ticket.resolution_due)
    event = record(ticket, actor=actor, action="status_changed", now=now, data=data)
    if target in RESPONDING_STATUSES:
        stamp_first_response(ticket, actor=actor, now=now)
    if target == "resolved" and ticket.resolution_due is not None and now > ticket.resolution_due:
        breach(ticket, which="resolution", now=now)
    logger.info("ticket %s: %s -> %s by %s", ticket.id, previous, target, actor.name)
    return event
