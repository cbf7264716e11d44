"""Generated tickets with known figures, written straight into a real database."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from bot.customers.models import Customer
from bot.db import transaction
from bot.tickets.models import Ticket

# Tickets are created over the 30 days of November 2026.
START = datetime(2026, 11, 1, tzinfo=UTC)
PRODUCTS = ("rice cooker R1", "kettle K2", "fan F3", None)
CATEGORIES = ("product_quality", "delivery", "billing", "service_attitude")


def ticket_row(number: int, created_at: datetime, **fields: Any) -> dict[str, Any]:
    """A ticket's columns with neutral defaults; `fields` override them."""
    row: dict[str, Any] = {
        "id": f"CP-{created_at:%Y%m%d}-{number:04d}",
        "status": "open",
        "category": "delivery",
        "severity": "general",
        "motive": "resolution",
        "channel": "rest",
        "sender_id": f"sender-{number}",
        "language": "en",
        "product": None,
        "csat": None,
        "reopen_count": 0,
        "created_at": created_at,
        "updated_at": created_at,
        "first_responded_at": None,
        "resolved_at": None,
        "sla_breached": False,
        "validity": None,
        "customer_id": None,
    }
    row.update(fields)
    return row


def add_customers(session: Session, count: int) -> list[int]:
    ids = []
    for i in range(count):
        customer = Customer(channel="rest", sender_id=f"c{i}", first_seen=START, last_seen=START)
        session.add(customer)
        session.flush()
        ids.append(customer.id)
    return ids


@pytest.fixture
def insert_tickets(sessions: sessionmaker[Session]) -> Callable[[list[dict[str, Any]]], None]:
    def insert_rows(rows: list[dict[str, Any]]) -> None:
        with transaction(sessions) as session:
            session.execute(insert(Ticket), rows)

    return insert_rows


def random_rows(seed: int, count: int, customers: list[int]) -> list[dict[str, Any]]:
    """`count` tickets spread over November with every field varied (fixed seed)."""
    rng = random.Random(seed)
    rows = []
    for number in range(1, count + 1):
        created = START + timedelta(minutes=rng.randrange(30 * 24 * 60))
        responded = (
            created + timedelta(minutes=rng.randrange(1, 3000)) if rng.random() < 0.8 else None
        )
        resolved = (
            responded + timedelta(minutes=rng.randrange(1, 6000))
            if responded is not None and rng.random() < 0.7
            else None
        )
        rows.append(
            ticket_row(
                number,
                created,
                category=rng.choice(CATEGORIES),
                severity=rng.choice(("general", "general", "general", "major", "urgent")),
                motive=rng.choice(("suggestion", "venting", "resolution", "compensation", None)),
                channel=rng.choice(("rest", "webchat", "telegram")),
                language=rng.choice(("en", "zh")),
                product=rng.choice(PRODUCTS),
                csat=rng.choice((None, None, 1, 2, 3, 4, 5)),
                reopen_count=rng.choice((0, 0, 0, 1, 2)),
                first_responded_at=responded,
                resolved_at=resolved,
                sla_breached=rng.random() < 0.15,
                validity=rng.choice((None, None, "valid", "valid", "invalid", "malicious")),
                customer_id=rng.choice(customers) if rng.random() < 0.6 else None,
            )
        )
    return rows
