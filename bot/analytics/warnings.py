"""Early warning (Heinrich's law): more complaints than usual about one category or one
product, or minor complaints piling up on one product, before a serious incident.

The test is a Poisson upper tail against a trailing baseline (see docs/ANALYTICS.md for
why not EWMA): a day's count `k` for a subject is a spike when

    P(X >= k | X ~ Poisson(lambda)) < ALPHA   and   k >= MIN_SPIKE,

lambda being the subject's mean daily count over the BASELINE_DAYS before that day (never
below BASELINE_FLOOR, so a brand-new product is not infinitely surprising). A cluster is
the same test on a product's general-severity complaints over the last CLUSTER_DAYS
against CLUSTER_DAYS times their trailing daily mean, spread over CLUSTER_MIN_DAYS days
or more. Invalid and malicious tickets count
for nothing here.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.analytics.figures import counted_as_cause, start_of
from bot.analytics.sql import count_star, day_of
from bot.db import transaction
from bot.sla import alerts
from bot.sla.alerts import AlertInfo
from bot.tickets.models import Ticket

BASELINE_DAYS = 28
BASELINE_FLOOR = 0.1  # complaints a day
# Many subjects are tested every day: a strict level keeps false alarms to about one a
# month across a few dozen subjects.
ALPHA = 0.001
MIN_SPIKE = 5
CLUSTER_DAYS = 7
MIN_CLUSTER = 5
# A cluster builds up over days; a burst on one day is a spike's business.
CLUSTER_MIN_DAYS = 3
MINOR = "general"


def poisson_upper_tail(k: int, mean: float) -> float:
    """P(X >= k) for X ~ Poisson(mean), summed in log space (no overflow for large k)."""
    if k <= 0:
        return 1.0
    if mean <= 0:
        return 0.0
    below = 0.0  # P(X < k) for small k; the tail itself when k is far above the mean
    if k <= mean:
        term = math.exp(-mean)
        for i in range(k):
            below += term
            term *= mean / (i + 1)
        return max(0.0, 1.0 - below)
    log_term = -mean + k * math.log(mean) - math.lgamma(k + 1)
    tail = 0.0
    i = k
    while True:
        term = math.exp(log_term)
        tail += term
        if term < tail * 1e-15 or term == 0.0:
            return min(1.0, tail)
        i += 1
        log_term += math.log(mean) - math.log(i)


@dataclass(frozen=True)
class Test:
    """One day's (or window's) count for a subject against what its baseline expected."""

    count: int
    expected: float
    p_value: float

    def fires(self, *, minimum: int, alpha: float = ALPHA) -> bool:
        return self.count >= minimum and self.p_value < alpha


def spike_test(count: int, history: Sequence[int], *, days: int = 1) -> Test:
    """`count` over `days` days against the mean of `history` (daily counts before them)."""
    mean = max(BASELINE_FLOOR, sum(history) / len(history)) if history else BASELINE_FLOOR
    expected = mean * days
    return Test(count, round(expected, 3), poisson_upper_tail(count, expected))


@dataclass(frozen=True)
class Detection:
    """An early warning: `kind` spike or cluster, about `dimension` = `name` on `day`."""

    kind: str
    dimension: str  # category | product
    name: str
    day: date
    test: Test

    @property
    def subject(self) -> str:
        return f"{self.dimension}:{self.name}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dimension": self.dimension,
            "name": self.name,
            "subject": self.subject,
            "day": self.day.isoformat(),
            "window_days": CLUSTER_DAYS if self.kind == "cluster" else 1,
            "count": self.test.count,
            "expected": self.test.expected,
            "p_value": self.test.p_value,
        }


Series = dict[str, dict[date, int]]


def daily_counts(
    session: Session, *, dimension: str, first: date, last: date, minor_only: bool = False
) -> Series:
    """Complaints per UTC day from `first` to `last` per value of `dimension`."""
    column = getattr(Ticket, dimension)
    day = day_of(session, Ticket.created_at)
    conditions = [
        Ticket.created_at >= start_of(first),
        Ticket.created_at < start_of(last + timedelta(days=1)),
        column.is_not(None),
        counted_as_cause(),
    ]
    if minor_only:
        conditions.append(Ticket.severity == MINOR)
    series: Series = defaultdict(dict)
    for name, on, count in session.execute(
        select(column, day, count_star()).where(*conditions).group_by(column, day)
    ):
        series[str(name)][date.fromisoformat(str(on))] = int(count)
    return series


def _history(counts: dict[date, int], before: date, days: int = BASELINE_DAYS) -> list[int]:
    return [counts.get(before - timedelta(days=i), 0) for i in range(1, days + 1)]


def detect(session: Session, day: date) -> list[Detection]:
    """The spikes (per category and per product) and clusters (per product) on `day`."""
    first = day - timedelta(days=BASELINE_DAYS + CLUSTER_DAYS)
    found: list[Detection] = []
    for dimension in ("category", "product"):
        for name, counts in daily_counts(
            session, dimension=dimension, first=first, last=day
        ).items():
            test = spike_test(counts.get(day, 0), _history(counts, day))
            if test.fires(minimum=MIN_SPIKE):
                found.append(Detection("spike", dimension, name, day, test))
    window_start = day - timedelta(days=CLUSTER_DAYS - 1)
    for name, counts in daily_counts(
        session, dimension="product", first=first, last=day, minor_only=True
    ).items():
        window = [counts.get(day - timedelta(days=i), 0) for i in range(CLUSTER_DAYS)]
        test = spike_test(sum(window), _history(counts, window_start), days=CLUSTER_DAYS)
        spread = sum(1 for count in window if count) >= CLUSTER_MIN_DAYS
        if spread and test.fires(minimum=MIN_CLUSTER):
            found.append(Detection("cluster", "product", name, day, test))
    return sorted(found, key=lambda d: (d.day, d.kind, d.subject))


def detect_range(session: Session, first: date, last: date) -> list[Detection]:
    """Detections on every day from `first` to `last` (for the dashboard)."""
    found: list[Detection] = []
    day = first
    while day <= last:
        found.extend(detect(session, day))
        day += timedelta(days=1)
    return found


class EarlyWarnings:
    """The SLA monitor's early-warning scan: raises today's detections once each as alerts
    (bot.sla.alerts), which the monitor then delivers like SLA alerts. A cluster is raised
    again only after CLUSTER_DAYS: it is the same cluster until then."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __call__(self, now: datetime, targets: list[str]) -> list[AlertInfo]:
        today = now.astimezone(UTC).date()
        with self._sessions() as session:
            detections = detect(session, today)
            recent_clusters = alerts.early_warnings_since(
                session, kind="cluster", since=start_of(today - timedelta(days=CLUSTER_DAYS - 1))
            )
        raised: list[AlertInfo] = []
        for detection in detections:
            if detection.kind == "cluster" and detection.subject in recent_clusters:
                continue
            with transaction(self._sessions) as session:
                alert = alerts.claim_early_warning(
                    session,
                    kind=detection.kind,
                    subject=detection.subject,
                    day=start_of(detection.day),
                    category=detection.name if detection.dimension == "category" else None,
                    detail=detection.to_dict(),
                    targets=targets,
                    now=now,
                )
            if alert is not None:
                raised.append(alert)
        return raised
