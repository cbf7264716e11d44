"""The public transparency report (投诉处理结果的公开): one calendar month's complaint
handling in aggregates only.

A complaint counts in the month of its `created_at` (UTC); suggestions are not complaints
and tickets an agent judged invalid or malicious are left out. Nothing about a single
ticket or customer is published: no ids, no names, no free text written by customers or
agents. The titles of improvement actions (written by supervisors for this purpose) are
published, with their status; their descriptions and owners are not.

Small numbers can point at a person, so every figure rests on a count and is withheld
(None) when that count is under the minimum:
- a count is shown only when it is at least the minimum;
- a share is shown only when both its part and its whole are;
- a median or an average is shown only when the number of values behind it is.
Top categories under the minimum are left out, and when what the shown ones leave over
(received minus the sum of the shown ones) is itself a small positive number, the smallest
shown category is withheld too until it is not (no hidden count can be worked out by
subtraction).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, or_, select
from sqlalchemy.orm import Session

from bot.analytics.figures import EXCLUDED_VALIDITY, start_of
from bot.analytics.models import ImprovementAction
from bot.analytics.sql import count_star, created_between, minutes_between, percentiles
from bot.tickets.models import Ticket

DEFAULT_MIN_COUNT = 5
TOP_CATEGORIES = 5
# Actions under way or done are "taken"; planned and cancelled ones are not published.
PUBLISHED_ACTION_STATUSES = ("in_progress", "done")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """'YYYY-MM'; ValueError otherwise."""
        year, _, month = text.partition("-")
        if len(year) != 4 or len(month) != 2 or not (year + month).isdigit():
            raise ValueError("month: YYYY-MM")
        found = cls(int(year), int(month))
        if not 1 <= found.month <= 12 or found.year < 2000:
            raise ValueError("month: YYYY-MM")
        return found

    @classmethod
    def before(cls, day: date) -> Month:
        """The last whole month before `day`'s month."""
        return cls(day.year - 1, 12) if day.month == 1 else cls(day.year, day.month - 1)

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def next(self) -> Month:
        return Month(self.year + 1, 1) if self.month == 12 else Month(self.year, self.month + 1)

    def bounds(self) -> tuple[datetime, datetime]:
        return start_of(self.first_day()), start_of(self.next().first_day())

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def _complaints() -> list[ColumnElement[bool]]:
    """Real complaints: not suggestions, not judged invalid or malicious."""
    return [
        Ticket.category != "suggestion",
        func.coalesce(Ticket.motive, "") != "suggestion",
        or_(Ticket.validity.is_(None), Ticket.validity.not_in(EXCLUDED_VALIDITY)),
    ]


def _count(value: int, minimum: int) -> int | None:
    return value if value >= minimum else None


def _share(part: int, whole: int, minimum: int) -> float | None:
    if part < minimum or whole < minimum:
        return None
    return round(100.0 * part / whole, 1)


def _statistic(value: float | None, basis: int, minimum: int) -> float | None:
    return None if value is None or basis < minimum else round(value, 1)


def _top_categories(counts: list[tuple[str, int]], received: int, minimum: int) -> list[Any]:
    shown = [(category, n) for category, n in counts if n >= minimum][:TOP_CATEGORIES]
    while shown and 0 < received - sum(n for _c, n in shown) < minimum:
        shown.pop()  # largest first: the last one is the smallest
    return shown


def _actions(session: Session, categories: list[str], until: datetime) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {category: [] for category in categories}
    if not categories:
        return found
    rows = session.scalars(
        select(ImprovementAction)
        .where(
            ImprovementAction.category.in_(categories),
            ImprovementAction.status.in_(PUBLISHED_ACTION_STATUSES),
            ImprovementAction.started_on < until.date(),
        )
        .order_by(ImprovementAction.started_on, ImprovementAction.id)
    )
    for action in rows:
        found[action.category].append(
            {"title": action.title, "status": action.status, "since": str(action.started_on)}
        )
    return found


def _median(
    session: Session, end: Any, where: list[ColumnElement[bool]], count: int
) -> float | None:
    """The median minutes from creation to `end` (a timestamp column) over `where`."""
    (found,) = percentiles(
        session, minutes_between(session, end, Ticket.created_at), where, (0.5,), count=count
    )
    return found


def monthly_report(session: Session, month: Month, *, minimum: int) -> dict[str, Any]:
    """The month's published figures (see the module's docstring for what is withheld)."""
    since, until = month.bounds()
    where = [*created_between(session, since, until), *_complaints()]
    resolved_in_time = case(
        (
            Ticket.resolved_at.is_not(None)
            & Ticket.resolution_due.is_not(None)
            & (Ticket.resolved_at <= Ticket.resolution_due),
            1,
        ),
        else_=0,
    )
    resolved_promised = case(
        (Ticket.resolved_at.is_not(None) & Ticket.resolution_due.is_not(None), 1), else_=0
    )
    row = session.execute(
        select(
            count_star(),
            func.count(Ticket.resolved_at),
            func.sum(resolved_promised),
            func.sum(resolved_in_time),
            func.count(Ticket.first_responded_at),
            func.count(Ticket.csat),
            func.avg(Ticket.csat),
            func.sum(case((Ticket.reopen_count > 0, 1), else_=0)),
        ).where(*where)
    ).one()
    received, resolved, promised, in_time = (
        int(row[0]),
        int(row[1]),
        int(row[2] or 0),
        int(row[3] or 0),
    )
    responded, rated, csat_avg, reopened = int(row[4]), int(row[5]), row[6], int(row[7] or 0)
    fr_median = _median(session, Ticket.first_responded_at, where, responded)
    res_median = _median(session, Ticket.resolved_at, where, resolved)
    n = count_star()
    per_category = [
        (str(category), int(count))
        for category, count in session.execute(
            select(Ticket.category, n).where(*where).group_by(Ticket.category)
            .order_by(n.desc(), Ticket.category)
        )
    ]  # fmt: skip
    top = _top_categories(per_category, received, minimum)
    actions = _actions(session, [category for category, _n in top], until)
    return {
        "month": str(month),
        "min_count": minimum,
        "received": _count(received, minimum),
        "resolved": _count(resolved, minimum),
        "resolved_in_time_pct": _share(in_time, promised, minimum),
        "first_response_median_minutes": _statistic(fr_median, responded, minimum),
        "resolution_median_minutes": _statistic(res_median, resolved, minimum),
        "csat": {
            "rated": _count(rated, minimum),
            "average": _statistic(None if csat_avg is None else float(csat_avg), rated, minimum),
        },
        "reopen_rate_pct": _share(reopened, resolved, minimum),
        "top_categories": [
            {"category": category, "count": count, "actions": actions[category]}
            for category, count in top
        ],
    }


def report_csv(report: dict[str, Any]) -> str:
    """Rows of figure, key, value; a withheld figure has an empty value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["figure", "key", "value"])
    for name in (
        "month", "min_count", "received", "resolved", "resolved_in_time_pct",
        "first_response_median_minutes", "resolution_median_minutes", "reopen_rate_pct",
    ):  # fmt: skip
        writer.writerow([name, "", _cell(report[name])])
    writer.writerow(["csat_rated", "", _cell(report["csat"]["rated"])])
    writer.writerow(["csat_average", "", _cell(report["csat"]["average"])])
    for entry in report["top_categories"]:
        writer.writerow(["category_count", entry["category"], entry["count"]])
        for action in entry["actions"]:
            writer.writerow(["category_action", entry["category"], action["title"]])
    return out.getvalue()


def _cell(value: Any) -> str:
    return "" if value is None else str(value)
