"""Ticket numbers CP-YYYYMMDD-NNNN, unique under concurrency on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.tickets.models import TicketCounter

TICKET_ID_RE = re.compile(r"^CP-(\d{8})-(\d{4,})$")


def normalise_ticket_id(text: str) -> str | None:
    """Canonical upper-case ticket id, or None when `text` is not one."""
    candidate = re.sub(r"\s+", "", text or "").upper()
    return candidate if TICKET_ID_RE.match(candidate) else None


def next_ticket_id(session: Session, moment: datetime) -> str:
    """Hands out the next number of the UTC day of `moment`.

    One atomic upsert-and-return on the counter row: concurrent transactions serialise on
    that row (PostgreSQL row lock, SQLite write lock), so no two get the same number.
    Call it first in the transaction that inserts the ticket.
    """
    day = moment.strftime("%Y%m%d")
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt: Insert = module.insert(TicketCounter).values(day=day, last=1)
    stmt = stmt.on_conflict_do_update(  # type: ignore[attr-defined]
        index_elements=[TicketCounter.day], set_={"last": TicketCounter.last + 1}
    ).returning(TicketCounter.last)
    number = session.execute(stmt).scalar_one()
    return f"CP-{day}-{number:04d}"
