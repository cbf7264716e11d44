"""The summary figures supervisors look at, aggregated in the database.

A ticket counts in the period of its `created_at` (UTC days). Root causes (category ×
product) leave out tickets an agent judged invalid or malicious; those are counted on
their own under `validity`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from bot.analytics.sql import count_star, created_between, day_of, minutes_between, percentiles
from bot.clock import iso
from bot.tickets.models import Ticket

# Judged by an agent as not a real complaint: kept out of root causes, counted apart.
EXCLUDED_VALIDITY = ("invalid", "malicious")
NO_PRODUCT = "(none)"
TOP_PRODUCTS = 20
TOP_ROOT_CAUSES = 10
DIMENSIONS = ("category", "severity", "channel", "language", "product", "motive")


@dataclass(frozen=True)
class Filters:
    """Which tickets the figures are about: created in [since, until), optionally one
    category, channel and language."""

    since: datetime
    until: datetime
    category: str | None = None
    channel: str | None = None
    language: str | None = None

    @classmethod
    def days(cls, first: date, last: date, **others: str | None) -> Filters:
        """From the start of `first` to the end of `last` (UTC days, both included)."""
        return cls(start_of(first), start_of(last + timedelta(days=1)), **others)

    def conditions(self, session: Session | None = None) -> list[ColumnElement[bool]]:
        """The WHERE clause; with a session, tuned to its database (see created_between)."""
        found: list[ColumnElement[bool]] = (
            [Ticket.created_at >= self.since, Ticket.created_at < self.until]
            if session is None
            else created_between(session, self.since, self.until)
        )
        if self.category is not None:
            found.append(Ticket.category == self.category)
        if self.channel is not None:
            found.append(Ticket.channel == self.channel)
        if self.language is not None:
            found.append(Ticket.language == self.language)
        return found

    def shown(self) -> dict[str, Any]:
        return {
            "since": iso(self.since),
            "until": iso(self.until),
            "category": self.category,
            "channel": self.channel,
            "language": self.language,
        }


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def counted_as_cause() -> ColumnElement[bool]:
    """Tickets that may count towards a root cause (valid or not yet assessed)."""
    return or_(Ticket.validity.is_(None), Ticket.validity.not_in(EXCLUDED_VALIDITY))


def _pct(part: int | float, whole: int | float) -> float | None:
    return None if not whole else round(100.0 * part / whole, 2)


def _rounded(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _breakdown(
    session: Session,
    column: Any,
    conditions: Sequence[ColumnElement[bool]],
    *,
    limit: int | None = None,
) -> dict[str, int]:
    """Ticket counts per value of `column`, largest first (nulls under NO_PRODUCT)."""
    n = count_star()
    stmt = select(column, n).where(*conditions).group_by(column).order_by(n.desc(), column)
    if limit is not None:
        stmt = stmt.limit(limit)
    return {
        (NO_PRODUCT if key is None else str(key)): int(count)
        for key, count in session.execute(stmt)
    }


def summary(session: Session, filters: Filters) -> dict[str, Any]:
    """Every figure of the dashboard's summary for the tickets `filters` selects."""
    where = filters.conditions(session)
    first_response = minutes_between(session, Ticket.first_responded_at, Ticket.created_at)
    resolution = minutes_between(session, Ticket.resolved_at, Ticket.created_at)
    totals = session.execute(
        select(
            count_star(),
            func.sum(case((Ticket.sla_breached.is_(True), 1), else_=0)),
            func.sum(case((Ticket.reopen_count > 0, 1), else_=0)),
            func.count(Ticket.csat),
            func.avg(Ticket.csat),
            func.count(Ticket.first_responded_at),
            func.count(Ticket.resolved_at),
        ).where(*where)
    ).one()
    total, breached, reopened, rated, csat_avg, responded, resolved = (
        int(totals[0]),
        int(totals[1] or 0),
        int(totals[2] or 0),
        int(totals[3]),
        totals[4],
        int(totals[5]),
        int(totals[6]),
    )
    # created_at is never null: a duration is there exactly when its end time is.
    fr_median, fr_p90 = percentiles(session, first_response, where, (0.5, 0.9), count=responded)
    res_median, res_p90 = percentiles(session, resolution, where, (0.5, 0.9), count=resolved)
    csat_counts = _breakdown(session, Ticket.csat, [*where, Ticket.csat.is_not(None)])
    validity = _breakdown(session, Ticket.validity, where)
    day = day_of(session, Ticket.created_at)
    by_day = session.execute(
        select(day, count_star()).where(*where).group_by(day).order_by(day)
    ).all()
    return {
        "filters": filters.shown(),
        "total": total,
        "by_category": _breakdown(session, Ticket.category, where),
        "by_severity": _breakdown(session, Ticket.severity, where),
        "by_channel": _breakdown(session, Ticket.channel, where),
        "by_language": _breakdown(session, Ticket.language, where),
        "by_product": _breakdown(session, Ticket.product, where, limit=TOP_PRODUCTS),
        "by_motive": _breakdown(session, Ticket.motive, where),
        "by_day": {str(key): int(count) for key, count in by_day},
        "sla": {
            "breached": breached,
            "compliance_pct": _pct(total - breached, total),
        },
        "first_response_minutes": {
            "count": responded,
            "median": _rounded(fr_median),
            "p90": _rounded(fr_p90),
        },
        "resolution_minutes": {
            "count": resolved,
            "median": _rounded(res_median),
            "p90": _rounded(res_p90),
        },
        "csat": {
            "rated": rated,
            "average": _rounded(None if csat_avg is None else float(csat_avg)),
            "distribution": {str(score): csat_counts.get(str(score), 0) for score in range(1, 6)},
        },
        "reopen": {"reopened": reopened, "rate_pct": _pct(reopened, total)},
        "repeat_complainants": repeat_complainants(session, where, total),
        "validity": {
            "valid": validity.get("valid", 0),
            "invalid": validity.get("invalid", 0),
            "malicious": validity.get("malicious", 0),
            "unassessed": validity.get(NO_PRODUCT, 0),
        },
        "root_causes": root_causes(session, where),
    }


def repeat_complainants(
    session: Session, where: Sequence[ColumnElement[bool]], total: int
) -> dict[str, Any]:
    """Customers with two or more tickets in the period, and the share of tickets theirs."""
    per_customer = (
        select(Ticket.customer_id, count_star().label("n"))
        .where(*where, Ticket.customer_id.is_not(None))
        .group_by(Ticket.customer_id)
        .having(count_star() >= 2)
        .subquery()
    )
    customers, tickets = session.execute(
        select(func.count(per_customer.c.customer_id), func.sum(per_customer.c.n))
    ).one()
    tickets = int(tickets or 0)
    return {
        "customers": int(customers),
        "tickets": tickets,
        "share_pct": _pct(tickets, total),
    }


def root_causes(
    session: Session, where: Sequence[ColumnElement[bool]], limit: int = TOP_ROOT_CAUSES
) -> list[dict[str, Any]]:
    """The most frequent category × product pairs among tickets that count as causes."""
    n = count_star()
    rows = session.execute(
        select(Ticket.category, Ticket.product, n)
        .where(*where, counted_as_cause())
        .group_by(Ticket.category, Ticket.product)
        .order_by(n.desc(), Ticket.category, Ticket.product)
        .limit(limit)
    )
    return [
        {"category": category, "product": product, "count": int(count)}
        for category, product, count in rows
    ]


def timeseries(session: Session, filters: Filters, *, by: str | None = None) -> dict[str, Any]:
    """Tickets per UTC day over the whole range (zero days included), in total or split by
    one dimension (category, severity, channel, language, product, motive)."""
    if by is not None and by not in DIMENSIONS:
        raise ValueError(f"by: one of {', '.join(DIMENSIONS)}")
    day = day_of(session, Ticket.created_at)
    key: Any = getattr(Ticket, by) if by is not None else None
    columns: list[Any] = [day, key, count_star()] if key is not None else [day, count_star()]
    groups: list[Any] = [day, key] if key is not None else [day]
    rows = session.execute(select(*columns).where(*filters.conditions(session)).group_by(*groups))
    days = _days(filters)
    position = {d: i for i, d in enumerate(days)}
    series: dict[str, list[int]] = {}
    for row in rows:
        name = "total" if key is None else (NO_PRODUCT if row[1] is None else str(row[1]))
        counts = series.setdefault(name, [0] * len(days))
        index = position.get(str(row[0]))
        if index is not None:
            counts[index] += int(row[-1])
    # Largest series first: the order a chart's legend and a CSV's columns want.
    ordered = dict(sorted(series.items(), key=lambda item: (-sum(item[1]), item[0])))
    return {"filters": filters.shown(), "by": by, "days": days, "series": ordered}


def _days(filters: Filters) -> list[str]:
    first = filters.since.astimezone(UTC).date()
    last = (filters.until - timedelta(microseconds=1)).astimezone(UTC).date()
    return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


DRILL_FIELDS = (
    "id",
    "status",
    "category",
    "severity",
    "motive",
    "channel",
    "language",
    "product",
    "csat",
    "reopen_count",
    "sla_breached",
    "validity",
    "created_at",
    "first_responded_at",
    "resolved_at",
)


@dataclass(frozen=True)
class DrillDown:
    """Narrower than the filters: the tickets behind one figure."""

    severity: str | None = None
    product: str | None = None
    motive: str | None = None
    validity: str | None = None  # valid | invalid | malicious | unassessed
    day: date | None = None
    sla_breached: bool | None = None
    reopened: bool | None = None
    csat: int | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if self.severity is not None:
            found.append(Ticket.severity == self.severity)
        if self.product is not None:
            found.append(
                Ticket.product.is_(None) if self.product == NO_PRODUCT else
                Ticket.product == self.product
            )  # fmt: skip
        if self.motive is not None:
            found.append(Ticket.motive == self.motive)
        if self.validity == "unassessed":
            found.append(Ticket.validity.is_(None))
        elif self.validity is not None:
            found.append(Ticket.validity == self.validity)
        if self.day is not None:
            start = start_of(self.day)
            found.append(and_(Ticket.created_at >= start, Ticket.created_at < start + timedelta(1)))
        if self.sla_breached is not None:
            found.append(Ticket.sla_breached.is_(self.sla_breached))
        if self.reopened is not None:
            found.append(Ticket.reopen_count > 0 if self.reopened else Ticket.reopen_count == 0)
        if self.csat is not None:
            found.append(Ticket.csat == self.csat)
        return found


def drill_down(
    session: Session,
    filters: Filters,
    narrower: DrillDown = DrillDown(),
    *,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """The tickets behind a figure, newest first, without personal data; and their count."""
    where = [*filters.conditions(session), *narrower.conditions()]
    total = session.execute(select(count_star()).select_from(Ticket).where(*where)).scalar_one()
    columns = [getattr(Ticket, name) for name in DRILL_FIELDS]
    rows = session.execute(
        select(*columns)
        .where(*where)
        .order_by(Ticket.created_at.desc(), Ticket.id.desc())
        .limit(limit)
        .offset(offset)
    )
    items = [
        {
            name: iso(value) if isinstance(value, datetime) else value
            for name, value in zip(DRILL_FIELDS, row, strict=True)
        }
        for row in rows
    ]
    return items, int(total)


NO_TEAM = "(none)"


def by_team(session: Session, filters: Filters) -> list[dict[str, Any]]:
    """Per owning team (teams.yml; tickets without a team under NO_TEAM): volume, median
    minutes to first response and to resolution, SLA compliance and CSAT, largest first."""
    where = filters.conditions(session)
    n = count_star()
    rows = session.execute(
        select(
            Ticket.team,
            n,
            func.sum(case((Ticket.sla_breached.is_(True), 1), else_=0)),
            func.count(Ticket.first_responded_at),
            func.count(Ticket.resolved_at),
            func.count(Ticket.csat),
            func.avg(Ticket.csat),
        )
        .where(*where)
        .group_by(Ticket.team)
        .order_by(n.desc(), Ticket.team.is_(None), Ticket.team)  # no team last on a tie
    ).all()
    first_response = minutes_between(session, Ticket.first_responded_at, Ticket.created_at)
    resolution = minutes_between(session, Ticket.resolved_at, Ticket.created_at)
    found = []
    for team, total, breached, responded, resolved, rated, csat_avg in rows:
        mine = [*where, Ticket.team.is_(None) if team is None else Ticket.team == team]
        (fr_median,) = percentiles(session, first_response, mine, (0.5,), count=int(responded))
        (res_median,) = percentiles(session, resolution, mine, (0.5,), count=int(resolved))
        found.append(
            {
                "team": NO_TEAM if team is None else team,
                "total": int(total),
                "first_response_median_minutes": _rounded(fr_median),
                "resolution_median_minutes": _rounded(res_median),
                "sla": {
                    "breached": int(breached or 0),
                    "compliance_pct": _pct(int(total) - int(breached or 0), int(total)),
                },
                "csat": {
                    "rated": int(rated),
                    "average": _rounded(None if csat_avg is None else float(csat_avg)),
                },
            }
        )
    return found
