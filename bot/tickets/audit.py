"""Who did what to a ticket, and when: the actors and the events of the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.tickets.models import Ticket, TicketEvent


@dataclass(frozen=True)
class Actor:
    """Someone or something changing a ticket.

    `name` is what the audit trail shows as "who": ``bot``, ``system``, ``service`` (the
    service token), ``agent:<username>`` or ``operator:<name>`` (the command line).
    Only humans (agents) count as a response to the customer. `role` is what the actor
    may do through the API: ``service``, ``admin``, ``supervisor`` or ``agent``.
    """

    name: str
    username: str | None = None
    human: bool = False
    role: str | None = None

    @classmethod
    def agent(cls, username: str, role: str = "agent") -> Actor:
        return cls(name=f"agent:{username}", username=username, human=True, role=role)

    @classmethod
    def operator(cls, name: str) -> Actor:
        return cls(name=f"operator:{name}")


BOT = Actor("bot")
SYSTEM = Actor("system")
SERVICE = Actor("service", role="service")


def record(
    ticket: Ticket, *, actor: Actor, action: str, now: datetime, data: dict[str, Any] | None = None
) -> TicketEvent:
    """Appends one event to the ticket's trail (stored with the ticket on flush)."""
    event = TicketEvent(at=now, actor=actor.name, action=action, data=data)
    ticket.events.append(event)
    return event
