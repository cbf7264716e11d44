"""SQL expressions that differ between SQLite and PostgreSQL: days, durations, percentiles.

Everything is aggregated in the database; percentiles on SQLite are interpolated from the
values at two ranks (row_number() over the sorted values) per percentile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLColumnExpression

from bot.db import UTCDateTime
from bot.tickets.models import Ticket


def dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def day_of(session: Session, column: Any) -> ColumnElement[str]:
    """The UTC day of a timestamp as 'YYYY-MM-DD'."""
    if dialect(session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    # SQLite keeps UTC timestamps as 'YYYY-MM-DD HH:MM:SS.ffffff' text (bot.db.UTCDateTime).
    return func.substr(column, 1, 10)


def minutes_between(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    """`later - earlier` in minutes (null when either is null)."""
    if dialect(session) == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float) / 60.0
    return (func.julianday(later) - func.julianday(earlier)) * 1440.0


def percentiles(
    session: Session,
    value: SQLColumnExpression[Any],
    conditions: Sequence[ColumnElement[bool]],
    shares: Sequence[float],
    *,
    count: int | None = None,
) -> list[float | None]:
    """Continuous percentiles (linear interpolation, as PostgreSQL's percentile_cont) of
    `value` over the tickets matching `conditions`, nulls ignored; None when no value.
    PostgreSQL computes them itself; on SQLite a window function ranks the values once and
    the neighbours of each position are read back.
    `count`: how many non-null values there are, when the caller knows already."""
    if dialect(session) == "postgresql":
        columns = [func.percentile_cont(share).within_group(value) for share in shares]
        row = session.execute(select(*columns).select_from(Ticket).where(*conditions)).one()
        return [None if found is None else float(found) for found in row]
    present = [*conditions, value.is_not(None)]
    if count is None:
        count = session.execute(
            select(func.count()).select_from(Ticket).where(*present)
        ).scalar_one()
    if not count:
        return [None for _share in shares]
    # One sort for all the shares: the values at the ranks either side of each position.
    positions = [share * (count - 1) for share in shares]
    ranks = sorted({math.floor(p) + step for p in positions for step in (1, 2)} - {count + 1})
    ranked = (
        select(value.label("v"), func.row_number().over(order_by=value).label("rn"))
        .where(*present)
        .subquery()
    )
    rows = session.execute(select(ranked.c.rn, ranked.c.v).where(ranked.c.rn.in_(ranks)))
    at = {int(rank): found for rank, found in rows}
    results: list[float | None] = []
    for position in positions:
        below = math.floor(position)
        lower = float(at[below + 1])
        upper = float(at.get(below + 2, lower))
        results.append(lower + (upper - lower) * (position - below))
    return results


# SQLite's planner cannot tell a range over most of the table from a narrow one and walks
# the created_at index either way; past this many days a table scan is several times
# faster (scripts/bench_dashboard.py).
SQLITE_SCAN_DAYS = 62


def created_between(session: Session, since: datetime, until: datetime) -> list[Any]:
    """`since <= created_at < until`, written so that SQLite scans the table for wide ranges
    (a unary + keeps it off the index)."""
    column: Any = Ticket.created_at
    if dialect(session) == "sqlite" and until - since > timedelta(days=SQLITE_SCAN_DAYS):
        column = literal_column("+tickets.created_at", type_=UTCDateTime())
    return [column >= since, column < until]


def count_star() -> ColumnElement[int]:
    return func.count(literal_column("*"))
