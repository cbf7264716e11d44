"""What a customer may learn about their own tickets in chat (check_status)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from bot.agents.service import display_names
from bot.tickets.deadlines import WAITING_STATUSES
from bot.tickets.models import Ticket
from bot.tickets.service import TicketFilter, get_ticket, list_tickets

MAX_LISTED = 3


@dataclass(frozen=True)
class StatusLine:
    """One ticket as the customer sees it: where it is, who has it, what comes next."""

    ticket_id: str
    category: str
    status: str
    agent_name: str | None  # display name of the assigned agent
    next_step: str | None  # "first_response" | "resolution" | "overdue" | None when done
    due: datetime | None


@dataclass(frozen=True)
class StatusAnswer:
    lines: list[StatusLine]
    not_found: bool = False  # asked for a ticket that does not exist or is someone else's
    more: int = 0  # waiting tickets not listed


def _line(ticket: Ticket, agent_name: str | None, now: datetime) -> StatusLine:
    next_step: str | None = None
    due: datetime | None = None
    if ticket.status in WAITING_STATUSES:
        if ticket.first_responded_at is None:
            next_step, due = "first_response", ticket.first_response_due
        else:
            next_step, due = "resolution", ticket.resolution_due
        if ticket.sla_breached or (due is not None and due < now):
            next_step = "overdue"
    return StatusLine(
        ticket_id=ticket.id,
        category=ticket.category,
        status=ticket.status,
        agent_name=agent_name,
        next_step=next_step,
        due=due,
    )


def customer_status(
    session: Session,
    *,
    channel: str,
    sender_id: str,
    now: datetime,
    ticket_id: str | None = None,
    limit: int = MAX_LISTED,
) -> StatusAnswer:
    """The customer's own tickets only: the one asked for, else every waiting one (newest
    first, up to `limit`), else the latest one."""
    if ticket_id is not None:
        ticket = get_ticket(session, ticket_id)
        if ticket is None or (ticket.channel, ticket.sender_id) != (channel, sender_id):
            return StatusAnswer(lines=[], not_found=True)
        tickets, more = [ticket], 0
    else:
        mine = TicketFilter(channel=channel, sender_id=sender_id)
        waiting = TicketFilter(channel=channel, sender_id=sender_id, statuses=WAITING_STATUSES)
        tickets, total = list_tickets(session, where=waiting, limit=limit)
        more = max(total - len(tickets), 0)
        if not tickets:
            tickets, _ = list_tickets(session, where=mine, limit=1)
    names = display_names(session, (t.assigned_agent for t in tickets if t.assigned_agent))
    return StatusAnswer(
        lines=[_line(t, names.get(t.assigned_agent or "", t.assigned_agent), now) for t in tickets],
        more=more,
    )
