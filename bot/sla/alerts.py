"""SLA alerts in the database: claimed once, delivered once per target, acknowledged.

Early warnings (bot.analytics.warnings: a spike of complaints, a cluster of minor ones on
one product) travel the same way, keyed by (kind, subject, day) instead of a ticket.

An alert is claimed by inserting its key (ticket, kind, deadline, due) with ON CONFLICT DO
NOTHING: whichever monitor inserts the row raises the alert, every other one sees that it
exists. Deliveries are rows per target; an attempt is claimed by a conditional UPDATE that
also moves the next attempt into the future, and a delivery marked sent is never tried
again. What goes out carries no personal data: ticket id, deadline, severity, category.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.clock import iso
from bot.sla.models import AlertDelivery, SlaAlert
from bot.tickets.audit import Actor, record
from bot.tickets.deadlines import WAITING_STATUSES
from bot.tickets.models import Ticket

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Longer than a send may take, so an attempt in flight is never claimed twice; doubling
# from there, an unreachable target is retried for about an hour before it is given up.
RETRY_AFTER = timedelta(seconds=30)
MAX_RETRY_AFTER = timedelta(minutes=30)
MAX_ERROR_CHARS = 300
DEADLINE_NAMES = {"first_response": "first response", "resolution": "resolution"}

AlertKey = tuple[str, str, str, datetime]  # ticket id, kind, deadline, due
EARLY_WARNING_NAMES = {"spike": "Complaint spike", "cluster": "Minor complaints cluster"}


@dataclass(frozen=True)
class AlertInfo:
    """An alert as it goes out to a target and to the console."""

    id: int
    ticket_id: str | None  # None on early warnings
    kind: str  # warning | breach | spike | cluster
    deadline: str | None  # first_response | resolution; None on early warnings
    due: datetime  # an early warning's day (its midnight, UTC)
    severity: str | None
    category: str | None
    created_at: datetime
    subject: str | None = None  # early warnings: "category:<name>" or "product:<name>"
    detail: dict[str, Any] | None = None  # early warnings: the figures behind them

    @property
    def early(self) -> bool:
        return self.ticket_id is None

    @property
    def link(self) -> str:
        if self.early:
            return "/dashboard#warnings"
        return f"/console#ticket={self.ticket_id}"

    def payload(self) -> dict[str, Any]:
        """The webhook body. `alert_id` is the same on a retry: receivers can drop repeats."""
        if self.early:
            return {
                "alert_id": self.id,
                "ticket_id": None,
                "kind": self.kind,
                "subject": self.subject,
                "day": self.due.date().isoformat(),
                "detail": self.detail,
                "link": self.link,
                "raised_at": iso(self.created_at),
            }
        return {
            "alert_id": self.id,
            "ticket_id": self.ticket_id,
            "kind": self.kind,
            "deadline": self.deadline,
            "due": iso(self.due),
            "severity": self.severity,
            "category": self.category,
            "link": self.link,
            "raised_at": iso(self.created_at),
        }

    def text(self, zone: ZoneInfo) -> str:
        """One line for a chat, with the due time in the policy's time zone."""
        if self.early or self.deadline is None:
            figures = self.detail or {}
            return (
                f"{EARLY_WARNING_NAMES.get(self.kind, self.kind)}: {self.subject} on "
                f"{self.due.date().isoformat()}: {figures.get('count')} complaints against "
                f"{figures.get('expected')} expected {self.link}"
            )
        due = self.due.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        what = DEADLINE_NAMES[self.deadline]
        if self.kind == "breach":
            head = f"SLA breach: ticket {self.ticket_id} missed its {what} deadline ({due})"
        else:
            head = f"SLA warning: ticket {self.ticket_id} {what} due {due}"
        return f"{head} [{self.severity}, {self.category}] {self.link}"


def info(alert: SlaAlert) -> AlertInfo:
    return AlertInfo(
        id=alert.id,
        ticket_id=alert.ticket_id,
        kind=alert.kind,
        deadline=alert.deadline,
        due=alert.due,
        severity=alert.severity,
        category=alert.category,
        created_at=alert.created_at,
        subject=alert.subject,
        detail=alert.detail,
    )


def known_keys(session: Session) -> set[AlertKey]:
    """Keys of the alerts already raised on tickets whose customer is still waiting."""
    rows = session.execute(
        select(SlaAlert.ticket_id, SlaAlert.kind, SlaAlert.deadline, SlaAlert.due)
        .join(Ticket, Ticket.id == SlaAlert.ticket_id)
        .where(Ticket.status.in_(WAITING_STATUSES), SlaAlert.deadline.is_not(None))
    )
    return {
        (ticket_id, kind, deadline, due)
        for ticket_id, kind, deadline, due in rows
        if ticket_id is not None and deadline is not None
    }


def _insert(session: Session) -> Any:
    return (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert


def claim_alert(
    session: Session,
    *,
    key: AlertKey,
    severity: str,
    category: str,
    targets: list[str],
    now: datetime,
) -> AlertInfo | None:
    """Inserts the alert and a delivery per target; None when it had been raised already.

    Call it first in its transaction: on SQLite the insert takes the write lock, so what
    is read afterwards cannot change before the commit.
    """
    ticket_id, kind, deadline, due = key
    stmt = (
        _insert(session)(SlaAlert)
        .values(
            ticket_id=ticket_id,
            kind=kind,
            deadline=deadline,
            due=due,
            severity=severity,
            category=category,
            created_at=now,
        )
        .on_conflict_do_nothing(
            index_elements=[SlaAlert.ticket_id, SlaAlert.kind, SlaAlert.deadline, SlaAlert.due]
        )
        .returning(SlaAlert.id)
    )
    alert_id = session.execute(stmt).scalar_one_or_none()
    if alert_id is None:
        return None
    _add_deliveries(session, alert_id, targets, now)
    return AlertInfo(alert_id, ticket_id, kind, deadline, due, severity, category, now)


def _add_deliveries(session: Session, alert_id: int, targets: list[str], now: datetime) -> None:
    for target in targets:
        session.add(
            AlertDelivery(alert_id=alert_id, target=target, attempts=0, next_attempt_at=now)
        )


def claim_early_warning(
    session: Session,
    *,
    kind: str,
    subject: str,
    day: datetime,
    category: str | None,
    detail: dict[str, Any],
    targets: list[str],
    now: datetime,
) -> AlertInfo | None:
    """Inserts an early warning about `subject` on `day` and its deliveries; None when it
    had been raised already (by this or another monitor)."""
    stmt = (
        _insert(session)(SlaAlert)
        .values(
            kind=kind,
            subject=subject,
            due=day,
            category=category,
            detail=detail,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=[SlaAlert.kind, SlaAlert.subject, SlaAlert.due])
        .returning(SlaAlert.id)
    )
    alert_id = session.execute(stmt).scalar_one_or_none()
    if alert_id is None:
        return None
    _add_deliveries(session, alert_id, targets, now)
    return AlertInfo(alert_id, None, kind, None, day, None, category, now, subject, detail)


def early_warnings_since(session: Session, *, kind: str, since: datetime) -> set[str]:
    """Subjects of the early warnings of `kind` raised for a day from `since` on."""
    rows = session.execute(
        select(SlaAlert.subject).where(
            SlaAlert.kind == kind, SlaAlert.due >= since, SlaAlert.subject.is_not(None)
        )
    ).scalars()
    return {subject for subject in rows if subject is not None}


@dataclass(frozen=True)
class PendingDelivery:
    alert: AlertInfo
    target: str
    attempts: int


def due_deliveries(
    session: Session, *, targets: list[str], now: datetime, limit: int = 100
) -> list[PendingDelivery]:
    """Unsent deliveries to these targets whose next attempt is due, oldest first."""
    rows = session.execute(
        select(SlaAlert, AlertDelivery.target, AlertDelivery.attempts)
        .join(AlertDelivery, AlertDelivery.alert_id == SlaAlert.id)
        .where(
            AlertDelivery.sent_at.is_(None),
            AlertDelivery.attempts < MAX_ATTEMPTS,
            AlertDelivery.next_attempt_at <= now,
            AlertDelivery.target.in_(targets),
        )
        .order_by(AlertDelivery.next_attempt_at, SlaAlert.id, AlertDelivery.target)
        .limit(limit)
    )
    return [PendingDelivery(info(alert), target, attempts) for alert, target, attempts in rows]


def retry_after(attempt: int) -> timedelta:
    """How long after its `attempt`-th attempt (1, 2, ...) a delivery is tried again."""
    return min(RETRY_AFTER * 2 ** (attempt - 1), MAX_RETRY_AFTER)


def claim_attempt(session: Session, delivery: PendingDelivery, *, now: datetime) -> bool:
    """Takes the next attempt of a delivery; False when another monitor took it (or sent it)."""
    attempt = delivery.attempts + 1
    result = session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.alert_id == delivery.alert.id,
            AlertDelivery.target == delivery.target,
            AlertDelivery.sent_at.is_(None),
            AlertDelivery.attempts == delivery.attempts,
            AlertDelivery.next_attempt_at <= now,
        )
        .values(attempts=attempt, next_attempt_at=now + retry_after(attempt))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def finish_attempt(
    session: Session, delivery: PendingDelivery, *, now: datetime, error: str | None
) -> None:
    """Records the outcome of an attempt claimed with claim_attempt."""
    values: dict[str, Any] = (
        {"sent_at": now, "last_error": None}
        if error is None
        else {"last_error": error[:MAX_ERROR_CHARS]}
    )
    session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.alert_id == delivery.alert.id, AlertDelivery.target == delivery.target)
        .values(**values)
    )
    if error is not None and delivery.attempts + 1 >= MAX_ATTEMPTS:
        logger.warning(
            "SLA alert %d: gave up on %s after %d attempts (%s)",
            delivery.alert.id,
            delivery.target,
            MAX_ATTEMPTS,
            error,
        )


def list_alerts(
    session: Session,
    *,
    unacknowledged: bool = False,
    ticket_id: str | None = None,
    kind: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[SlaAlert], int]:
    """Alerts newest first, with the total matching count."""
    conditions: list[ColumnElement[bool]] = []
    if unacknowledged:
        conditions.append(SlaAlert.acknowledged_at.is_(None))
    if ticket_id is not None:
        conditions.append(SlaAlert.ticket_id == ticket_id)
    if kind is not None:
        conditions.append(SlaAlert.kind == kind)
    total = session.execute(select(func.count(SlaAlert.id)).where(*conditions)).scalar_one()
    rows = session.execute(
        select(SlaAlert)
        .where(*conditions)
        .order_by(SlaAlert.created_at.desc(), SlaAlert.id.desc())
        .limit(limit)
        .offset(offset)
    ).scalars()
    return list(rows), int(total)


def acknowledge(session: Session, alert_id: int, *, actor: Actor, now: datetime) -> SlaAlert | None:
    """Marks the alert seen by `actor`, on the alert and the ticket's trail; the first
    acknowledgement stays. None when there is no such alert."""
    alert = session.get(SlaAlert, alert_id, with_for_update=True)
    if alert is None:
        return None
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now
        alert.acknowledged_by = actor.name
        ticket = None if alert.ticket_id is None else session.get(Ticket, alert.ticket_id)
        if ticket is not None:
            record(
                ticket,
                actor=actor,
                action="sla_alert_acknowledged",
                now=now,
                data={"alert_id": alert.id, "kind": alert.kind, "deadline": alert.deadline},
            )
        session.flush()
    return alert


def alert_to_dict(alert: SlaAlert) -> dict[str, Any]:
    """The alert as the console and GET /api/alerts show it."""
    found = info(alert)
    shown = found.payload()
    if found.early:  # the same fields as SLA alerts, so one list shows both
        shown.pop("day")
        shown.update(due=iso(found.due), deadline=None, severity=None, category=found.category)
    # The console's names for the webhook's alert_id and raised_at.
    shown["id"] = shown.pop("alert_id")
    shown["created_at"] = shown.pop("raised_at")
    return {
        **shown,
        "acknowledged_at": iso(alert.acknowledged_at),
        "acknowledged_by": alert.acknowledged_by,
        "deliveries": [
            {
                "target": delivery.target,
                "attempts": delivery.attempts,
                "sent_at": iso(delivery.sent_at),
                "last_error": delivery.last_error,
            }
            for delivery in alert.deliveries
        ],
    }
