"""SQL expressions that differ between SQLite and PostgreSQL: days, durations, percentiles.

Everything is aggregated in the database; only percentiles on SQLite need a second query
per percentile (the two neighbouring values, read with ORDER BY ... LIMIT 2 OFFSET n).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, literal_column, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import SQLColumnExpression

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
) -> list[float | None]:
    """Continuous percentiles (linear interpolation, as PostgreSQL's percentile_cont) of
    `value` over the tickets matching `conditions`, nulls ignored; None when no value."""
    if dialect(session) == "postgresql":
        columns = [func.percentile_cont(share).within_group(value) for share in shares]
        row = session.execute(select(*columns).select_from(Ticket).where(*conditions)).one()
        return [None if found is None else float(found) for found in row]
    present = [*conditions, value.is_not(None)]
    count = session.execute(select(func.count()).select_from(Ticket).where(*present)).scalar_one()
    results: list[float | None] = []
    for share in shares:
        if not count:
            results.append(None)
            continue
        position = share * (count - 1)
        below = math.floor(position)
        values = [
            float(found)
            for found in session.execute(
                select(value).where(*present).order_by(value).limit(2).offset(below)
            ).scalars()
        ]
        upper = values[1] if len(values) > 1 else values[0]
        results.append(values[0] + (upper - values[0]) * (position - below))
    return results


def count_star() -> ColumnElement[int]:
    return func.count(literal_column("*"))
