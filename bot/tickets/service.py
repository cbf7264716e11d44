"""Ticket operations used by the actions, the API and the gateway."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from bot.agents.service import get_agent
from bot.clock import iso
from bot.customers.store import upsert_customer
from bot.tickets import deadlines, lifecycle
from bot.tickets.audit import BOT, Actor, record
from bot.tickets.evidence import link_waiting_evidence
from bot.tickets.models import CATEGORIES, CHANNELS, SEVERITIES, VALIDITIES, Ticket
from bot.tickets.numbering import next_ticket_id
from bot.tickets.rules import assess
from bot.tickets.sla import SlaPolicy
from bot.tickets.teams import Teams, record_route

logger = logging.getLogger(__name__)

PUBLIC_FIELDS = (
    "id", "status", "category", "severity", "motive", "emotion_peak", "description",
    "order_id", "product", "desired_resolution", "contact_phone", "contact_email", "channel",
    "sender_id", "language", "assigned_agent", "resolution_note", "csat", "reopen_count",
    "created_at", "first_response_due", "resolution_due", "first_responded_at", "resolved_at",
    "closed_at", "sla_breached", "validity", "remedy",
)  # fmt: skip
OPEN_STATUSES = deadlines.WAITING_STATUSES
REPEAT_WINDOW = timedelta(days=30)
# What an update may change, in the order the changes are applied: the assignment first
# (so "take it and start" is one request), the status last but one, the note last.
UPDATABLE = ("assigned_agent", "severity", "validity", "resolution_note", "status", "note")
MAX_SEARCH_CHARS = 200


class TicketNotFound(LookupError):
    """No ticket with that id."""


class InvalidChange(ValueError):
    """An update with a value the ticket cannot take (unknown agent, severity, ...)."""


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
    # An idea rather than a complaint: motive `suggestion`, never counted as a repeat.
    suggestion: bool = False


@dataclass
class TicketFilter:
    """Conditions for listing tickets; empty fields do not filter."""

    sender_id: str | None = None
    channel: str | None = None
    customer_id: int | None = None
    statuses: Sequence[str] = ()
    severities: Sequence[str] = ()
    categories: Sequence[str] = ()
    assigned_agent: str | None = None
    unassigned: bool = False
    created_from: datetime | None = None  # inclusive
    created_to: datetime | None = None  # exclusive
    breached: bool | None = None
    text: str | None = None  # id, description, order, product, contact or sender


def count_recent(session: Session, *, customer_id: int, now: datetime) -> int:
    """The customer's complaints opened in the 30 days before `now` (suggestions aside)."""
    stmt = select(func.count(Ticket.id)).where(
        Ticket.customer_id == customer_id,
        Ticket.created_at >= now - REPEAT_WINDOW,
        Ticket.created_at <= now,
        Ticket.category != "suggestion",
        func.coalesce(Ticket.motive, "") != "suggestion",
    )
    return int(session.execute(stmt).scalar_one())


def earlier_tickets(session: Session, *, ticket: Ticket, limit: int) -> tuple[list[Ticket], int]:
    """The same customer's other tickets, newest first (at most `limit`), and how many
    there are in all. The customer is the customers row when the ticket has one, else the
    channel identity (rows written before customers existed)."""
    if ticket.customer_id is not None:
        same = Ticket.customer_id == ticket.customer_id
    else:
        same = (Ticket.channel == ticket.channel) & (Ticket.sender_id == ticket.sender_id)
    conditions = (same, Ticket.id != ticket.id)
    total = session.execute(select(func.count(Ticket.id)).where(*conditions)).scalar_one()
    rows = session.scalars(
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
    )
    return list(rows), int(total)


def create_ticket(
    session: Session,
    *,
    new: NewTicket,
    policy: SlaPolicy,
    now: datetime,
    actor: Actor = BOT,
    teams: Teams | None = None,
) -> Ticket:
    """Numbers, assesses and stores a ticket with its first audit event; with `teams`, routes
    it to its owning team (a `routed` event)."""
    if new.channel not in CHANNELS:
        raise ValueError(f"unknown channel {new.channel!r}")
    category = new.category if new.category in CATEGORIES else "other"
    ticket_id = next_ticket_id(session, now)  # first write: takes the lock (see numbering)
    customer = upsert_customer(
        session,
        channel=new.channel,
        sender_id=new.sender_id,
        now=now,
        phone=new.contact_phone,
        email=new.contact_email,
        language=new.language,
    )
    route = teams.route(category, new.product) if teams is not None else None
    suggestion = new.suggestion or category == "suggestion"
    recent = 0 if suggestion else count_recent(session, customer_id=customer.id, now=now)
    verdict = assess(
        category="suggestion" if suggestion else category,
        description=new.description,
        desired_resolution=new.desired_resolution,
        emotion_peak=new.emotion_peak,
        escalation_threat=new.escalation_threat,
        recent_complaints=recent,
    )
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
        sla_breached=False,
        escalation_threat=new.escalation_threat,
        customer_id=customer.id,
        team=route.team if route is not None else None,
    )
    deadlines.set_deadlines(ticket, policy)  # the team's own targets, when it has some
    record(
        ticket,
        actor=actor,
        action="created",
        now=now,
        data={
            "severity": verdict.severity,
            "reasons": list(verdict.reasons),
            "recent_complaints": recent,
        },
    )
    if route is not None:
        record_route(ticket, route, actor=actor, now=now)
    session.add(ticket)
    session.flush()
    link_waiting_evidence(session, ticket, now)
    logger.info("ticket %s created (%s, %s)", ticket.id, category, verdict.severity)
    return ticket


def get_ticket(session: Session, ticket_id: str) -> Ticket | None:
    return session.get(Ticket, ticket_id)


def lock_ticket(session: Session, ticket_id: str) -> Ticket:
    """The ticket, locked for the rest of the transaction (PostgreSQL row lock)."""
    ticket = session.get(Ticket, ticket_id, with_for_update=True, populate_existing=True)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(where: TicketFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if where.sender_id is not None:
        conditions.append(Ticket.sender_id == where.sender_id)
    if where.channel is not None:
        conditions.append(Ticket.channel == where.channel)
    if where.customer_id is not None:
        conditions.append(Ticket.customer_id == where.customer_id)
    if where.statuses:
        conditions.append(Ticket.status.in_(list(where.statuses)))
    if where.severities:
        conditions.append(Ticket.severity.in_(list(where.severities)))
    if where.categories:
        conditions.append(Ticket.category.in_(list(where.categories)))
    if where.assigned_agent is not None:
        conditions.append(Ticket.assigned_agent == where.assigned_agent)
    if where.unassigned:
        conditions.append(Ticket.assigned_agent.is_(None))
    if where.created_from is not None:
        conditions.append(Ticket.created_at >= where.created_from)
    if where.created_to is not None:
        conditions.append(Ticket.created_at < where.created_to)
    if where.breached is not None:
        conditions.append(Ticket.sla_breached.is_(where.breached))
    text = (where.text or "").strip()[:MAX_SEARCH_CHARS]
    if text:
        pattern = _like(text)
        columns = (
            Ticket.id, Ticket.description, Ticket.order_id, Ticket.product,
            Ticket.contact_phone, Ticket.contact_email, Ticket.sender_id,
        )  # fmt: skip
        conditions.append(or_(*(column.ilike(pattern, escape="\\") for column in columns)))
    return conditions


def list_tickets(
    session: Session,
    *,
    where: TicketFilter | None = None,
    sender_id: str | None = None,
    channel: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Ticket], int]:
    """Tickets newest first, with the total matching count.

    `sender_id` and `channel` are shortcuts for the same fields of `where`.
    """
    where = where or TicketFilter()
    if sender_id is not None:
        where = replace(where, sender_id=sender_id)
    if channel is not None:
        where = replace(where, channel=channel)
    conditions = _conditions(where)
    total = session.execute(select(func.count(Ticket.id)).where(*conditions)).scalar_one()
    rows = session.execute(
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), int(total)


def change_severity(
    ticket: Ticket,
    severity: str,
    *,
    actor: Actor,
    now: datetime,
    policy: SlaPolicy,
    reason: str | None = None,
) -> bool:
    """Sets a new severity and recomputes both deadlines from the ticket's creation; the
    reason, when given, is kept on the audit event."""
    if severity not in SEVERITIES:
        raise InvalidChange(
            f"unknown severity {severity!r}; severities are {', '.join(SEVERITIES)}"
        )
    if severity == ticket.severity:
        return False
    before = (ticket.severity, ticket.first_response_due, ticket.resolution_due)
    ticket.severity = severity
    deadlines.set_deadlines(ticket, policy)
    ticket.updated_at = now
    record(
        ticket,
        actor=actor,
        action="field_changed",
        now=now,
        data={
            "field": "severity",
            "before": before[0],
            "after": severity,
            "first_response_due": {
                "before": iso(before[1]),
                "after": iso(ticket.first_response_due),
            },
            "resolution_due": {"before": iso(before[2]), "after": iso(ticket.resolution_due)},
            **({"reason": reason} if reason else {}),
        },
    )
    return True


def _set_field(ticket: Ticket, name: str, value: Any, *, actor: Actor, now: datetime) -> bool:
    before = getattr(ticket, name)
    if before == value:
        return False
    setattr(ticket, name, value)
    ticket.updated_at = now
    record(
        ticket,
        actor=actor,
        action="field_changed",
        now=now,
        data={"field": name, "before": before, "after": value},
    )
    return True


def assign(ticket: Ticket, username: str | None, *, actor: Actor, now: datetime) -> bool:
    """Gives the ticket to an agent (None: back to the queue)."""
    return _set_field(ticket, "assigned_agent", username, actor=actor, now=now)


def mark_validity(
    ticket: Ticket, validity: str, reason: str, *, actor: Actor, now: datetime
) -> None:
    """The agent's judgement (有效/无效, 善意/恶意) with its reason on the trail; marking the
    same value again records the new reason."""
    if validity not in VALIDITIES:
        raise InvalidChange(f"validity must be one of {', '.join(VALIDITIES)}")
    reason = reason.strip()
    if not reason:
        raise InvalidChange("a validity judgement needs a reason")
    before = ticket.validity
    ticket.validity = validity
    ticket.updated_at = now
    record(
        ticket,
        actor=actor,
        action="field_changed",
        now=now,
        data={"field": "validity", "before": before, "after": validity, "reason": reason},
    )


def add_note(ticket: Ticket, text: str, *, actor: Actor, now: datetime) -> None:
    """An internal note on the trail; not a response to the customer."""
    ticket.updated_at = now
    record(ticket, actor=actor, action="note", now=now, data={"text": text})


def _validate(session: Session, ticket: Ticket, changes: Mapping[str, Any]) -> None:
    """Checks every change before any is applied: an update is all or nothing."""
    unknown = set(changes) - set(UPDATABLE)
    if unknown:
        raise InvalidChange(f"cannot change {', '.join(sorted(unknown))}")
    if "status" in changes:
        lifecycle.check_transition(ticket.status, changes["status"])
    if "severity" in changes and changes["severity"] not in SEVERITIES:
        raise InvalidChange(f"unknown severity {changes['severity']!r}")
    if changes.get("validity") is not None and changes["validity"] not in VALIDITIES:
        raise InvalidChange(f"validity must be one of {', '.join(VALIDITIES)}")
    username = changes.get("assigned_agent")
    if username is not None:
        agent = get_agent(session, username)
        if agent is None or not agent.active:
            raise InvalidChange(f"no active agent named {username!r}")


def apply_changes(
    session: Session,
    *,
    ticket: Ticket,
    changes: Mapping[str, Any],
    actor: Actor,
    now: datetime,
    policy: SlaPolicy,
    severity_reason: str | None = None,
) -> None:
    """Applies an update (see UPDATABLE) with its audit events, or raises and changes nothing.

    A person who starts work on (in_progress) or resolves an unassigned ticket takes it.
    `severity_reason` goes on the severity change's audit event.
    """
    _validate(session, ticket, changes)
    if "assigned_agent" in changes:
        assign(ticket, changes["assigned_agent"], actor=actor, now=now)
    elif (
        changes.get("status") in lifecycle.RESPONDING_STATUSES
        and ticket.assigned_agent is None
        and actor.username is not None
    ):
        assign(ticket, actor.username, actor=actor, now=now)
    if "severity" in changes:
        change_severity(ticket, changes["severity"], actor=actor, now=now, policy=policy,
                        reason=severity_reason)  # fmt: skip
    for name in ("validity", "resolution_note"):
        if name in changes:
            _set_field(ticket, name, changes[name], actor=actor, now=now)
    if "status" in changes:
        lifecycle.change_status(ticket, changes["status"], actor=actor, now=now, policy=policy)
    if changes.get("note"):
        add_note(ticket, changes["note"], actor=actor, now=now)
    session.flush()


def record_first_response(session: Session, *, ticket_id: str, agent: str, now: datetime) -> bool:
    """Stamps the first human response (an agent's reply to the customer) on the ticket.

    Returns True when this was the first one; later replies change nothing.
    """
    ticket = lock_ticket(session, ticket_id)
    stamped = deadlines.stamp_first_response(ticket, actor=Actor.agent(agent), now=now)
    if stamped:
        ticket.updated_at = now
        session.flush()
    return stamped


def mark_breaches(session: Session, now: datetime) -> list[str]:
    """Flags every ticket whose SLA deadline passed unmet (see deadlines.mark_breaches)."""
    return deadlines.mark_breaches(session, now=now)


def ticket_to_dict(ticket: Ticket) -> dict[str, Any]:
    """The public ticket record (DESIGN §6 field names)."""
    result: dict[str, Any] = {}
    for name in PUBLIC_FIELDS:
        value = getattr(ticket, name)
        result[name] = iso(value) if isinstance(value, datetime) else value
    result["events"] = [
        {"at": iso(event.at), "who": event.actor, "what": event.action, "data": event.data}
        for event in ticket.events
    ]
    return result
