"""Helpers for ticket tests against real SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.agents.service import create_agent
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def new_ticket(sender: str = "cust-1", **overrides: object) -> NewTicket:
    fields: dict[str, object] = dict(
        channel="rest",
        sender_id=sender,
        language="en",
        category="delivery",
        description="the parcel never arrived",
        order_id="A12345678",
        desired_resolution="refund",
        contact_phone="13812345678",
        emotion_peak="upset",
    )
    fields.update(overrides)
    return NewTicket(**fields)  # type: ignore[arg-type]


@pytest.fixture
def make_ticket(sessions):
    """Creates a ticket in its own transaction; returns its id."""

    def make(sender: str = "cust-1", now: datetime = NOW, **overrides: object) -> str:
        with transaction(sessions) as session:
            return create_ticket(
                session, new=new_ticket(sender, **overrides), policy=POLICY, now=now
            ).id

    return make


@pytest.fixture
def make_agent(sessions):
    """Creates an agent; returns their API token."""

    def make(username: str, role: str = "agent", display_name: str | None = None) -> str:
        with transaction(sessions) as session:
            _agent, token = create_agent(
                session, username=username, role=role, display_name=display_name, now=NOW
            )
            return token

    return make
