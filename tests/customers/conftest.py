"""Helpers for customer tests against real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@pytest.fixture
def make_ticket(sessions):
    """Creates a ticket in its own transaction; returns its id."""

    def make(sender: str, now: datetime = NOW, **fields: object) -> str:
        values: dict[str, object] = {
            "channel": "rest",
            "sender_id": sender,
            "language": "zh",
            "category": "product_quality",
            "description": "电饭煲用了三天就无法加热",
        }
        values.update(fields)
        with transaction(sessions) as session:
            new = NewTicket(**values)  # type: ignore[arg-type]
            return create_ticket(session, new=new, policy=POLICY, now=now).id

    return make
