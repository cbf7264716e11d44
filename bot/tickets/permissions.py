"""Who may change what on a ticket (the API and the console ask here).

- service token, admin, supervisor: any change.
- agent: only tickets assigned to them or unassigned ones (working one takes it); may
  take or release a ticket but not give it to someone else; may raise severity, never
  lower it (lower deadlines are a supervisor's call); status, validity, resolution note
  and notes freely within those tickets.

Remedies and validity judgements from the console are a person's decision on a ticket they
work: agents only on tickets assigned to them, supervisors and admins on any
(`check_decides`). Approving remedies above an agent's authority is for supervisors and
admins (bot.tickets.remedy).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.tickets.audit import Actor
from bot.tickets.models import SEVERITIES, Ticket

FULL_ACCESS_ROLES = frozenset({"service", "admin", "supervisor"})
READ_ROLES = FULL_ACCESS_ROLES | {"agent"}
LEAD_ROLES = frozenset({"admin", "supervisor"})


class Forbidden(PermissionError):
    """The actor is known but their role does not allow this."""


def check_read(actor: Actor) -> None:
    if actor.role not in READ_ROLES:
        raise Forbidden("this role cannot read tickets")


def check_update(actor: Actor, ticket: Ticket, changes: Mapping[str, Any]) -> None:
    """Raises Forbidden unless `actor` may apply all of `changes` to `ticket`."""
    if actor.role in FULL_ACCESS_ROLES:
        return
    if actor.role != "agent" or actor.username is None:
        raise Forbidden("this role cannot change tickets")
    if ticket.assigned_agent not in (None, actor.username):
        raise Forbidden(
            f"ticket {ticket.id} is assigned to another agent; a supervisor can reassign it"
        )
    if "assigned_agent" in changes and changes["assigned_agent"] not in (None, actor.username):
        raise Forbidden("agents can take a ticket or release their own; a supervisor assigns")
    new_severity = changes.get("severity")
    if new_severity in SEVERITIES and SEVERITIES.index(new_severity) < SEVERITIES.index(
        ticket.severity
    ):
        raise Forbidden("lowering the severity needs a supervisor")


def check_decides(actor: Actor, ticket: Ticket, what: str) -> None:
    """Raises Forbidden unless `actor` is a person who may decide `what` on `ticket`."""
    if actor.role in LEAD_ROLES and actor.username is not None:
        return
    if actor.role != "agent" or actor.username is None:
        raise Forbidden(f"{what} is decided by a signed-in agent, supervisor or admin")
    if ticket.assigned_agent != actor.username:
        raise Forbidden(
            f"ticket {ticket.id} is not assigned to you: {what} is for the agent working it "
            "or a supervisor"
        )
