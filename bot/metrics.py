"""Prometheus metrics of one gateway process (GET /metrics, docs/OPERATIONS.md).

Two kinds, both in a registry of the app's own (nothing is created at import time):

- what this process saw: turns, latencies, Rasa errors, NLU intents and emotions, handoffs,
  rate-limit refusals, open sockets. Counted in memory; they restart at zero with the
  process, which Prometheus' rate() and increase() handle. Sum them over gateways.
- what the database says, read at each scrape: tickets by category and severity, SLA
  warnings and breaches, ratings, follow-ups sent, the handoff queue. The same on every
  gateway (they share the database): aggregate them with max(), not sum().

Labels only ever carry values from fixed sets (channels, outcomes, intent names of the
domain, severities...): never a sender id, a text or anything a customer typed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import httpx
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import utcnow
from bot.handoff.models import QueueEntry
from bot.sla.models import SlaAlert
from bot.tickets.models import Ticket, TicketEvent

logger = logging.getLogger(__name__)

CHANNELS = ("rest", "webchat", "telegram")
OUTCOMES = ("bot", "handoff", "bot_unavailable", "queue", "agent", "empty")
SEVERITIES = ("general", "major", "urgent")
EMOTIONS = ("calm", "upset", "angry", "furious")
RASA_ERRORS = ("connect", "timeout", "http", "invalid")
CHECK_ERRORS = ("connect", "timeout", "http", "other")
COMPONENTS = ("rasa", "actions", "database")
FALLBACK_INTENT = "nlu_fallback"
# Turn latencies: a bot turn is ~0.1-2 s; a start-up wait or a Rasa timeout up to minutes.
TURN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0)
RASA_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0, 30.0)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _bounded(value: str, known: Iterable[str], other: str = "other") -> str:
    return value if value in known else other


def rasa_error_kind(exc: BaseException) -> str:
    """connect | timeout | http | invalid, from a RasaUnavailable and its cause."""
    cause = exc.__cause__
    if isinstance(cause, httpx.TimeoutException):
        return "timeout"
    if isinstance(cause, httpx.TransportError):
        return "connect"
    if str(exc).startswith("Rasa answered HTTP"):
        return "http"
    return "invalid"


def check_error_kind(error: str | None) -> str:
    """The error of a health check ("ConnectError", "HTTP 503", ...) as a label."""
    if not error:
        return "other"
    if "Timeout" in error:
        return "timeout"
    if error.startswith("HTTP"):
        return "http"
    if "Connect" in error or "Network" in error or "Protocol" in error:
        return "connect"
    return "other"


class Metrics:
    """The gateway's metric objects, in a registry of their own (one per app)."""

    def __init__(self, intents: Iterable[str] = ()) -> None:
        # No `_created` series: they double a scrape and Prometheus does not need them
        # (a process-wide switch of prometheus-client, the same for every app).
        disable_created_metrics()
        self.registry = CollectorRegistry(auto_describe=False)
        self.intents = frozenset(intents) | {FALLBACK_INTENT}
        self._watching: list[Collector] = []
        r = self.registry
        self.turns = Counter(
            "complaintbot_turns",
            "Customer messages handled, by channel and outcome (bot: answered by the bot; "
            "handoff: the bot handed over to a human; bot_unavailable: Rasa down or too slow, "
            "apology and ticket; queue/agent: a human owns the conversation; empty: no text).",
            ["channel", "outcome"],
            registry=r,
        )
        self.turn_seconds = Histogram(
            "complaintbot_turn_seconds",
            "Time from a customer message reaching the router to its stored answer.",
            ["channel"],
            buckets=TURN_BUCKETS,
            registry=r,
        )
        self.rasa_seconds = Histogram(
            "complaintbot_rasa_seconds",
            "Time of the Rasa calls of customer turns (successful or not).",
            buckets=RASA_BUCKETS,
            registry=r,
        )
        self.rasa_errors = Counter(
            "complaintbot_rasa_errors",
            "Failed Rasa calls of customer turns: connect, timeout, http (an error status), "
            "invalid (an unreadable answer).",
            ["kind"],
            registry=r,
        )
        self.startup_waits = Counter(
            "complaintbot_rasa_startup_waits",
            "Customer messages that waited for a starting Rasa (COMPLAINTBOT_RASA_STARTUP_GRACE)"
            ": answered (the bot answered) or expired (apology and ticket).",
            ["result"],
            registry=r,
        )
        self.check_failures = Counter(
            "complaintbot_dependency_check_failures",
            "Failed health checks of Rasa, the action server and the database (by /healthz, "
            "/healthz/ready and /metrics): connect, timeout, http, other.",
            ["component", "error"],
            registry=r,
        )
        self.up = Gauge(
            "complaintbot_dependency_up",
            "1 when the component answered its last health check, else 0.",
            ["component"],
            registry=r,
        )
        self.intent_count = Counter(
            "complaintbot_nlu_intents",
            "Intents Rasa recognised in customer messages (nlu_fallback: not understood).",
            ["intent"],
            registry=r,
        )
        self.fallbacks = Counter(
            "complaintbot_nlu_fallbacks",
            "Customer messages Rasa did not understand (intent nlu_fallback).",
            registry=r,
        )
        self.emotions = Counter(
            "complaintbot_nlu_emotions",
            "Emotion level of customer messages as Rasa's parse data gave it.",
            ["level"],
            registry=r,
        )
        self.handoffs = Counter(
            "complaintbot_handoffs",
            "Conversations queued for a human by this gateway: source bot (the bot handed "
            "over) or bot_unavailable (Rasa could not answer).",
            ["severity", "source"],
            registry=r,
        )
        self.rate_limited = Counter(
            "complaintbot_rate_limited",
            "Customer requests refused with 429 or a rate_limited frame, by the cap they hit "
            "(sender, poll, address).",
            ["cap"],
            registry=r,
        )
        self.followups = Counter(
            "complaintbot_followup_attempts",
            "Follow-ups (rating requests after a resolution) this gateway tried to send: "
            "sent, failed.",
            ["result"],
            registry=r,
        )
        for channel in CHANNELS:
            for outcome in OUTCOMES:
                self.turns.labels(channel, outcome)
        for kind in RASA_ERRORS:
            self.rasa_errors.labels(kind)
        for result in ("answered", "expired"):
            self.startup_waits.labels(result)
        for level in EMOTIONS:
            self.emotions.labels(level)
        for severity in SEVERITIES:
            for source in ("bot", "bot_unavailable"):
                self.handoffs.labels(severity, source)
        for cap in ("sender", "poll", "address"):
            self.rate_limited.labels(cap)
        for result in ("sent", "failed"):
            self.followups.labels(result)

    # --- what the router, the channels and the health checks report --------------------

    def turn(self, channel: str, outcome: str, seconds: float) -> None:
        channel = _bounded(channel, CHANNELS)
        self.turns.labels(channel, _bounded(outcome, OUTCOMES)).inc()
        self.turn_seconds.labels(channel).observe(seconds)

    def rasa_call(self, seconds: float, error: BaseException | None = None) -> None:
        self.rasa_seconds.observe(seconds)
        if error is not None:
            self.rasa_errors.labels(rasa_error_kind(error)).inc()

    def parsed(self, latest_message: dict[str, Any]) -> None:
        """Counts the intent and the emotion of a customer message (Rasa's parse data)."""
        intent = latest_message.get("intent")
        name = intent.get("name") if isinstance(intent, dict) else None
        if isinstance(name, str) and name:
            self.intent_count.labels(_bounded(name, self.intents)).inc()
            if name == FALLBACK_INTENT:
                self.fallbacks.inc()
        emotion = latest_message.get("emotion")
        level = emotion.get("level") if isinstance(emotion, dict) else None
        if isinstance(level, str):
            self.emotions.labels(_bounded(level, EMOTIONS, "unknown")).inc()

    def handoff(self, severity: str, source: str) -> None:
        self.handoffs.labels(_bounded(severity, SEVERITIES), source).inc()

    def refused(self, reason: str) -> None:
        """A rate-limit refusal; `reason` is bot.channels.limits' Refusal.reason."""
        if "poll" in reason:
            cap = "poll"
        elif "address" in reason:
            cap = "address"
        else:
            cap = "sender"
        self.rate_limited.labels(cap).inc()

    def component_checked(self, component: str, ok: bool, error: str | None = None) -> None:
        component = _bounded(component, COMPONENTS)
        self.up.labels(component).set(1 if ok else 0)
        if not ok:
            self.check_failures.labels(component, check_error_kind(error)).inc()

    # --- read at scrape time ---------------------------------------------------------

    def watch(
        self,
        sessions: sessionmaker[Session],
        *,
        webchat_sockets: Callable[[], int],
        console_sockets: Callable[[], int],
        rasa_starting: Callable[[], bool],
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """Registers the collectors that read the database and this process's sockets
        (again at each start of the app: the previous ones are replaced)."""
        for collector in self._watching:
            self.registry.unregister(collector)
        self._watching = [
            DatabaseCollector(sessions, clock),
            ProcessCollector(webchat_sockets, console_sockets, rasa_starting),
        ]
        for collector in self._watching:
            self.registry.register(collector)

    def followup(self, sent: bool) -> None:
        self.followups.labels("sent" if sent else "failed").inc()

    def exposition(self) -> bytes:
        """The text format of everything (reads the database: call it in a thread)."""
        return generate_latest(self.registry)


class ProcessCollector(Collector):
    def __init__(
        self,
        webchat_sockets: Callable[[], int],
        console_sockets: Callable[[], int],
        rasa_starting: Callable[[], bool],
    ) -> None:
        self.webchat_sockets = webchat_sockets
        self.console_sockets = console_sockets
        self.rasa_starting = rasa_starting

    def collect(self) -> Iterator[Metric]:
        sockets = GaugeMetricFamily(
            "complaintbot_websocket_connections",
            "Open WebSocket connections on this gateway: webchat (customers' widgets), "
            "console (agents' consoles).",
            labels=["kind"],
        )
        sockets.add_metric(["webchat"], self.webchat_sockets())
        sockets.add_metric(["console"], self.console_sockets())
        yield sockets
        yield GaugeMetricFamily(
            "complaintbot_rasa_starting",
            "1 while some Rasa replica has not answered since this gateway started (messages "
            "then wait up to COMPLAINTBOT_RASA_STARTUP_GRACE seconds).",
            value=1 if self.rasa_starting() else 0,
        )


class DatabaseCollector(Collector):
    """Figures of the shared database: the same on every gateway."""

    def __init__(self, sessions: sessionmaker[Session], clock: Callable[[], datetime]) -> None:
        self.sessions = sessions
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        try:
            families = self._families()
        except Exception as exc:  # a scrape must answer: the database is reported down
            logger.warning("metrics: database figures unavailable (%s)", type(exc).__name__)
            families = []
        up = GaugeMetricFamily(
            "complaintbot_metrics_database_ok",
            "1 when the database figures of this scrape could be read.",
            value=1 if families else 0,
        )
        yield from families
        yield up

    def _families(self) -> list[Metric]:
        now = self.clock()
        with self.sessions() as session:
            tickets = session.execute(
                select(Ticket.category, Ticket.severity, func.count()).group_by(
                    Ticket.category, Ticket.severity
                )
            ).all()
            alerts = session.execute(
                select(SlaAlert.kind, SlaAlert.severity, SlaAlert.deadline, func.count())
                .where(SlaAlert.kind.in_(("warning", "breach")))
                .group_by(SlaAlert.kind, SlaAlert.severity, SlaAlert.deadline)
            ).all()
            events = dict(
                session.execute(
                    select(TicketEvent.action, func.count())
                    .where(TicketEvent.action.in_(("rated", "follow_up_sent")))
                    .group_by(TicketEvent.action)
                ).all()
            )
            csat = session.execute(
                select(Ticket.csat, func.count())
                .where(Ticket.csat.is_not(None))
                .group_by(Ticket.csat)
            ).all()
            queue = session.execute(
                select(
                    QueueEntry.severity, func.count(), func.min(QueueEntry.enqueued_at)
                ).group_by(QueueEntry.severity)
            ).all()

        created = CounterMetricFamily(
            "complaintbot_tickets_created",
            "Tickets ever created, by category and (current) severity (database).",
            labels=["category", "severity"],
        )
        for category, severity, count in tickets:
            created.add_metric([str(category), str(severity)], count)
        sla = CounterMetricFamily(
            "complaintbot_sla_alerts",
            "SLA warnings (80 % of the time to a deadline) and breaches raised (database).",
            labels=["kind", "severity", "deadline"],
        )
        seen = {(str(k), str(s or "general"), str(d or "")) for k, s, d, _ in alerts}
        for name in ("warning", "breach"):
            for level in SEVERITIES:
                for due in ("first_response", "resolution"):
                    if (name, level, due) not in seen:
                        sla.add_metric([name, level, due], 0)
        for alert_kind, alert_severity, alert_deadline, count in alerts:
            labels = [str(alert_kind), str(alert_severity or "general"), str(alert_deadline or "")]
            sla.add_metric(labels, count)
        answers = CounterMetricFamily(
            "complaintbot_csat_answers",
            "Ratings (1-5) customers gave after a resolution (database).",
            value=events.get("rated", 0),
        )
        ratings = GaugeMetricFamily(
            "complaintbot_tickets_by_csat",
            "Tickets by their latest rating (database).",
            labels=["rating"],
        )
        by_rating = {int(rating or 0): count for rating, count in csat}
        for rating in range(1, 6):
            ratings.add_metric([str(rating)], by_rating.get(rating, 0))
        followups = CounterMetricFamily(
            "complaintbot_followups_sent",
            "Follow-ups sent to customers after a resolution (database).",
            value=events.get("follow_up_sent", 0),
        )
        length = GaugeMetricFamily(
            "complaintbot_queue_length",
            "Tickets waiting for a human, by severity (database).",
            labels=["severity"],
        )
        oldest = GaugeMetricFamily(
            "complaintbot_queue_oldest_wait_seconds",
            "How long the longest-waiting ticket of each severity has waited (0: none).",
            labels=["severity"],
        )
        waiting = {str(severity): (count, first) for severity, count, first in queue}
        for severity in SEVERITIES:
            count, first = waiting.get(severity, (0, None))
            length.add_metric([severity], count)
            wait = max((now - first).total_seconds(), 0.0) if first is not None else 0.0
            oldest.add_metric([severity], wait)
        return [created, sla, answers, ratings, followups, length, oldest]


class ParseWatcher:
    """Counts the intent and emotion of each customer message the bot answered, from the
    conversation's latest message in Rasa (`include_events=NONE`: no events sent back).

    Runs after the answer is returned, in the background: the customer never waits for it.
    Its cost is one small Rasa API call per bot turn; a failure only loses a count."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url_for: Callable[[str], str],
        token: str | None,
        metrics: Metrics,
        timeout: float = 5.0,
    ) -> None:
        self.http = http
        self.url_for = url_for
        self.token = token
        self.metrics = metrics
        self.timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()

    def observe(self, conversation_key: str) -> None:
        task = asyncio.get_running_loop().create_task(self._observe(conversation_key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _observe(self, conversation_key: str) -> None:
        params = {"include_events": "NONE"}
        if self.token:
            params["token"] = self.token
        url = f"{self.url_for(conversation_key)}/conversations/{conversation_key}/tracker"
        try:
            response = await self.http.get(url, params=params, timeout=self.timeout)
            tracker = response.json() if response.status_code == 200 else None
        except (httpx.HTTPError, ValueError) as exc:
            logger.debug("parse data not read: %s", type(exc).__name__)
            return
        latest = tracker.get("latest_message") if isinstance(tracker, dict) else None
        if isinstance(latest, dict):
            self.metrics.parsed(latest)

    async def drain(self) -> None:
        """Waits for the reads in flight (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
