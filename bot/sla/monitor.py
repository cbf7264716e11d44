"""The SLA monitor: a periodic check of every waiting ticket's deadlines.

Each tick, under a lease so that one gateway of several does the work at a time:

1. flags missed deadlines (`deadlines.mark_breaches`);
2. warns once per ticket and deadline when WARNING_SHARE of the time from the start of its
   clock (creation, or the last reopening for the resolution) to the deadline has passed;
3. alerts once per ticket and deadline when the deadline has passed unmet, and escalates
   the ticket to supervisors: an `escalated_to_supervisors` event on its trail and, when
   it is waiting in the handoff queue, a higher priority there (severity never lowered);
4. closes resolved tickets the customer has not rated within COMPLAINTBOT_FOLLOWUP_DAYS;
   and, when the gateway gives it one, runs the early-warning scan (complaint spikes and
   clusters of minor complaints, bot.analytics.warnings), whose alerts go out the same way;
5. delivers new alerts (and retries failed deliveries) to the webhook and the agents'
   Telegram group. The console reads them from the database (GET /api/alerts).

Alerts are exactly-once without the lease too: an alert is a row with a unique key
claimed before anything is sent, and each delivery attempt is claimed on its own row
(bot.sla.alerts). The lease saves the duplicate work and keeps two monitors from closing
the same ticket at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import anyio
from sqlalchemy import select, update
from sqlalchemy.orm import Session, lazyload, sessionmaker

from bot.clock import Clock, iso, utcnow
from bot.config import Settings
from bot.db import transaction
from bot.handoff.queue import HandoffQueue
from bot.sla import alerts
from bot.sla.alerts import AlertInfo, AlertKey, PendingDelivery
from bot.sla.lease import Lease, make_lease
from bot.sla.notify import Notifier
from bot.tickets import deadlines, lifecycle
from bot.tickets.audit import SYSTEM, record
from bot.tickets.models import Ticket
from bot.tickets.sla import SlaPolicy, load_policy

logger = logging.getLogger(__name__)

LEASE_NAME = "sla-monitor"
WARNING_SHARE = 0.8
# A breached ticket goes above every ticket of its severity that has not breached
# (a reopened one is re-queued with boost 1).
BREACH_BOOST = 2
CLOSED_UNRATED_NOTE = "closed without a rating"


@dataclass(frozen=True)
class _Candidate:
    key: AlertKey
    severity: str
    category: str


# Raises the early warnings due at `now` for these delivery targets (bot.analytics.warnings);
# given in, so the SLA package does not depend on analytics.
EarlyWarningScan = Callable[[datetime, list[str]], list[AlertInfo]]


class _Stale(Exception):
    """The ticket changed since it was read: the alert no longer applies."""


@dataclass
class TickReport:
    """What one tick did. `ran` is False when another monitor held the lease."""

    ran: bool = True
    flagged: list[str] = field(default_factory=list)
    warnings: list[AlertInfo] = field(default_factory=list)
    breaches: list[AlertInfo] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    early_warnings: list[AlertInfo] = field(default_factory=list)
    sent: int = 0
    failed: int = 0


class SlaMonitor:
    """Checks deadlines and sends alerts; `tick(now)` once, or `run_forever(interval)`."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        clock: Clock = utcnow,
        notifiers: Iterable[Notifier] = (),
        queue: HandoffQueue | None = None,
        policy: SlaPolicy | None = None,
        lease: Lease | None = None,
        send_timeout: float = 15.0,
        early_warnings: EarlyWarningScan | None = None,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._notifiers = {notifier.target: notifier for notifier in notifiers}
        self._queue = queue
        self._policy = policy or load_policy(settings.sla_policy)
        # Long enough for a slow tick, short enough that a dead gateway's lease soon lapses.
        ttl = timedelta(seconds=max(120.0, 2 * settings.sla_monitor_interval))
        self._lease = lease or make_lease(settings, sessions, LEASE_NAME, ttl=ttl)
        self._followup = timedelta(days=settings.followup_days)
        self._send_timeout = send_timeout
        self._early_warnings = early_warnings

    @property
    def targets(self) -> list[str]:
        return sorted(self._notifiers)

    async def run_forever(self, interval: float) -> None:
        """Ticks every `interval` seconds until cancelled; a failed tick is logged and the
        next one tries again. The first tick comes one interval after the start."""
        while True:
            await anyio.sleep(interval)
            try:
                await self.tick()
            except Exception:
                logger.exception("SLA monitor: tick failed; next try in %s s", interval)

    async def tick(self, now: datetime | None = None) -> TickReport:
        """One pass over every waiting ticket at `now` (default: the clock's time)."""
        now = now or self._clock()
        if not await anyio.to_thread.run_sync(self._lease.acquire, now):
            return TickReport(ran=False)
        try:
            report = await anyio.to_thread.run_sync(self.scan, now)
            report.requeued = await anyio.to_thread.run_sync(self._requeue, report.breaches)
            report.sent, report.failed = await self.deliver(now)
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(self._lease.release)
        if (
            report.warnings
            or report.breaches
            or report.closed
            or report.failed
            or report.early_warnings
        ):
            logger.info(
                "SLA monitor: %d warnings, %d breaches, %d early warnings, %d closed unrated, "
                "%d sent, %d failed",
                len(report.warnings),
                len(report.breaches),
                len(report.early_warnings),
                len(report.closed),
                report.sent,
                report.failed,
            )
        return report

    def close(self) -> None:
        self._lease.close()

    # --- the database work of a tick (synchronous; run it in a worker thread) ---------------

    def scan(self, now: datetime) -> TickReport:
        """Flags, raises and records alerts, and closes unrated tickets; sends nothing."""
        report = TickReport()
        with transaction(self._sessions) as session:
            report.flagged = deadlines.mark_breaches(session, now=now)
        for candidate in self._candidates(now):
            raised = self._raise(candidate, now)
            if raised is not None:
                (report.breaches if raised.kind == "breach" else report.warnings).append(raised)
        report.closed = self._close_unrated(now)
        if self._early_warnings is not None:
            try:
                report.early_warnings = self._early_warnings(now, self.targets)
            except Exception:  # analytics must never stop the SLA work
                logger.exception("SLA monitor: early-warning scan failed")
        return report

    def _candidates(self, now: datetime) -> list[_Candidate]:
        """Alerts due at `now` that have not been raised yet."""
        found: list[_Candidate] = []
        with self._sessions() as session:
            known = alerts.known_keys(session)
            # Events are read only for reopened tickets (their resolution clock restarts).
            waiting = session.execute(
                select(Ticket)
                .where(Ticket.status.in_(deadlines.WAITING_STATUSES))
                .options(lazyload(Ticket.events))
                .order_by(Ticket.id)
            ).scalars()
            for ticket in waiting:
                for deadline in deadlines.pending_deadlines(ticket):
                    kind = self._kind(deadline, now)
                    if kind is None:
                        continue
                    key = (ticket.id, kind, deadline.which, deadline.due)
                    if key not in known:
                        found.append(_Candidate(key, ticket.severity, ticket.category))
        return found

    @staticmethod
    def _kind(deadline: deadlines.Deadline, now: datetime) -> str | None:
        if now > deadline.due:
            return "breach"
        if deadline.share_passed(now) >= WARNING_SHARE:
            return "warning"
        return None

    def _raise(self, candidate: _Candidate, now: datetime) -> AlertInfo | None:
        """Claims the alert and records it on the ticket, in one transaction; None when
        another monitor raised it first or the ticket no longer needs it."""
        ticket_id, kind, which, due = candidate.key
        try:
            with transaction(self._sessions) as session:
                raised = alerts.claim_alert(
                    session,
                    key=candidate.key,
                    severity=candidate.severity,
                    category=candidate.category,
                    targets=self.targets,
                    now=now,
                )
                if raised is None:
                    return None
                ticket = session.get(
                    Ticket, ticket_id, with_for_update=True, populate_existing=True
                )
                still = ticket is not None and any(
                    d.which == which and d.due == due and self._kind(d, now) == kind
                    for d in deadlines.pending_deadlines(ticket)
                )
                if ticket is None or not still:
                    raise _Stale
                data: dict[str, object] = {
                    "deadline": which,
                    "due": iso(due),
                    "alert_id": raised.id,
                }
                if kind == "breach":
                    deadlines.breach(ticket, which=which, now=now)
                    record(
                        ticket, actor=SYSTEM, action="escalated_to_supervisors", now=now, data=data
                    )
                else:
                    record(ticket, actor=SYSTEM, action="sla_warning", now=now, data=data)
        except _Stale:
            return None
        logger.info("SLA %s: ticket %s, %s due %s", kind, ticket_id, which, iso(due))
        return raised

    def _close_unrated(self, now: datetime) -> list[str]:
        """Closes resolved tickets left without a rating for the follow-up period."""
        cutoff = now - self._followup
        unrated = (
            Ticket.status == "resolved",
            Ticket.csat.is_(None),
            Ticket.resolved_at <= cutoff,
        )
        with self._sessions() as session:
            ids = list(session.execute(select(Ticket.id).where(*unrated)).scalars())
        closed: list[str] = []
        for ticket_id in ids:
            with transaction(self._sessions) as session:
                # A conditional write first: it holds the row (and SQLite's write lock) and
                # proves the ticket is still resolved and unrated, whatever came meanwhile.
                claimed = session.execute(
                    update(Ticket).where(Ticket.id == ticket_id, *unrated).values(updated_at=now)
                ).rowcount  # type: ignore[attr-defined]
                if not claimed:
                    continue
                ticket = session.get(Ticket, ticket_id, populate_existing=True)
                assert ticket is not None
                lifecycle.change_status(
                    ticket,
                    "closed",
                    actor=SYSTEM,
                    now=now,
                    policy=self._policy,
                    note=CLOSED_UNRATED_NOTE,
                )
            closed.append(ticket_id)
        return closed

    def _requeue(self, breaches: list[AlertInfo]) -> list[str]:
        """Moves breached tickets that wait in the handoff queue up within their severity."""
        if self._queue is None:
            return []
        moved: list[str] = []
        severities = {
            alert.ticket_id: alert.severity
            for alert in breaches
            if alert.ticket_id is not None and alert.severity is not None
        }
        for ticket_id, severity in severities.items():
            try:
                item = self._queue.prioritise(ticket_id, severity=severity, boost=BREACH_BOOST)
            except Exception:
                logger.exception("SLA monitor: could not move ticket %s up the queue", ticket_id)
                continue
            if item is not None:
                moved.append(ticket_id)
        return moved

    # --- delivery ----------------------------------------------------------------------------

    async def deliver(self, now: datetime) -> tuple[int, int]:
        """Sends every due delivery once; returns (sent, failed). After a failure the rest of
        that target's deliveries wait for the next tick instead of failing one by one."""
        if not self._notifiers:
            return 0, 0
        pending = await anyio.to_thread.run_sync(self._due_deliveries, now)
        sent = failed = 0
        unreachable: set[str] = set()
        for delivery in pending:
            if delivery.target in unreachable:
                continue
            if not await anyio.to_thread.run_sync(self._claim_attempt, delivery, now):
                continue
            error: str | None = None
            try:
                with anyio.fail_after(self._send_timeout):
                    await self._notifiers[delivery.target].send(delivery.alert)
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}".rstrip(": ")
                unreachable.add(delivery.target)
            await anyio.to_thread.run_sync(self._finish_attempt, delivery, now, error)
            if error is None:
                sent += 1
            else:
                failed += 1
                logger.warning(
                    "SLA alert %d to %s failed: %s", delivery.alert.id, delivery.target, error
                )
        return sent, failed

    def _due_deliveries(self, now: datetime) -> list[PendingDelivery]:
        with self._sessions() as session:
            return alerts.due_deliveries(session, targets=self.targets, now=now)

    def _claim_attempt(self, delivery: PendingDelivery, now: datetime) -> bool:
        with transaction(self._sessions) as session:
            return alerts.claim_attempt(session, delivery, now=now)

    def _finish_attempt(self, delivery: PendingDelivery, now: datetime, error: str | None) -> None:
        with transaction(self._sessions) as session:
            alerts.finish_attempt(session, delivery, now=now, error=error)
