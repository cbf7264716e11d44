"""Ticket operations used by the actions, the API and the gateway."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.clock import iso
from bot.tickets.models import CATEGORIES, CHANNELS, Ticket, TicketEvent
from bot.tickets.numbering import next_ticket_id
from bot.tickets.rules import assess
from bot.tickets.sla import SlaPolicy

logger = logging.getLogger(__name__)

PUBLIC_FIELDS = (
    "id", "status", "category", "severity", "motive", "emotion_peak", "description",
    "order_id", "product", "desired_resolution", "contact_phone", "contact_email", "channel",
    "sender_id", "language", "assigned_agent", "resolution_note", "csat", "reopen_count",
    "created_at", "first_response_due", "resolution_due", "first_responded_at", "resolved_at",
    "closed_at", "sla_breached", "validity", "remedy",
)  # fmt: skip
OPEN_STATUSES = ("open", "escalated", "in_progress", "reopened")


@dataclass
class NewTicket:
    """What the bot gathered in the intake dialogue."""

    channel: str
    sender_id: str
    language: str
    category: str
    description: str | None = None
    order_id: str | None = None
    product: str | None = None
    desired_resolution: str | None = None
    contact_phone: str | None = None
    contact_email: str | None = None
    emotion_peak: str | None = None
    escalation_threat: str | None = None


def count_recent(session: Session, *, channel: str, sender_id: str, now: datetime) -> int:
    """The customer's complaints opened in the 30 days before `now`."""
    stmt = select(func.count(Ticket.id)).where(
        Ticket.channel == channel,
        Ticket.sender_id == sender_id,
        Ticket.created_at >= now - timedelta(days=30),
        Ticket.category != "suggestion",
    )
    return int(session.execute(stmt).scalar_one())


def create_ticket(
    session: Session, *, new: NewTicket, policy: SlaPolicy, now: datetime, actor: str = "bot"
) -> Ticket:
    """Numbers, assesses and stores a ticket with its first audit event."""
    if new.channel not in CHANNELS:
        raise ValueError(f"unknown channel {new.channel!r}")
    category = new.category if new.category in CATEGORIES else "other"
    ticket_id = next_ticket_id(session, now)  # first write: takes the lock (see numbering)
    recent = count_recent(session, channel=new.channel, sender_id=new.sender_id, now=now)
    verdict = assess(
        category=category,
        description=new.description,
        desired_resolution=new.desired_resolution,
        emotion_peak=new.emotion_peak,
        escalation_threat=new.escalation_threat,
        recent_complaints=recent,
    )
    first_due, resolution_due = policy.deadlines(verdict.severity, now)
    ticket = Ticket(
        id=ticket_id,
        status="open",
        category=category,
        severity=verdict.severity,
        motive=verdict.motive,
        emotion_peak=new.emotion_peak,
        description=new.description,
        order_id=new.order_id,
        product=new.product,
        desired_resolution=new.desired_resolution,
        contact_phone=new.contact_phone,
        contact_email=new.contact_email,
        channel=new.channel,
        sender_id=new.sender_id,
        language=new.language,
        reopen_count=0,
        created_at=now,
        updated_at=now,
        first_response_due=first_due,
        resolution_due=resolution_due,
        sla_breached=False,
        escalation_threat=new.escalation_threat,
    )
    ticket.events.append(
        TicketEvent(
            at=now,
            actor=actor,
            action="created",
            data={"severity": verdict.severity, "reasons": list(verdict.reasons)},
        )
    )
    session.add(ticket)
    session.flush()
    logger.info("ticket %s created (%s, %s)", ticket.id, category, verdict.severity)
    return ticket


def get_ticket(session: Session, ticket_id: str) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def list_tickets(
    session: Session,
    *,
    sender_id: str | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Ticket], int]:
    """Tickets newest first, with the total matching count."""
    conditions = []
    if sender_id is not None:
        conditions.append(Ticket.sender_id == sender_id)
    if channel is not None:
        conditions.append(Ticket.channel == channel)
    total = session.execute(select(func.count(Ticket.id)).where(*conditions)).scalar_one()
    rows = session.execute(
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), int(total)


def ticket_to_dict(ticket: Ticket) -> dict[str, Any]:
    """The public ticket record (DESIGN §6 field names)."""
    record: dict[str, Any] = {}
    for name in PUBLIC_FIELDS:
        value = getattr(ticket, name)
        record[name] = iso(value) if isinstance(value, datetime) else value
    record["events"] = [
        {"at": iso(event.at), "who": event.actor, "what": event.action, "data": event.data}
        for event in ticket.events
    ]
    return record
