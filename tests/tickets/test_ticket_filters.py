"""Listing tickets with filters, text search and pagination (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.db import transaction
from bot.tickets.service import TicketFilter, list_tickets, lock_ticket

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@pytest.fixture
def sample(sessions, make_ticket, make_agent):
    """Five tickets with different fields; returns their ids by name."""
    make_agent("alice")
    ids = {
        "delivery": make_ticket("d1", NOW, description="Parcel 100% lost_in transit"),
        "billing": make_ticket(
            "b1", NOW + timedelta(hours=1), category="billing", description="charged twice"
        ),
        "safety": make_ticket(
            "s1",
            NOW + timedelta(days=1),
            category="safety",
            description="充电器冒烟了",
            channel="telegram",
            contact_email="li.na@example.com",
        ),
        "old": make_ticket("d1", NOW - timedelta(days=40), order_id="JD0098812"),
        "assigned": make_ticket("a1", NOW + timedelta(days=2), product="rice cooker"),
    }
    with transaction(sessions) as session:
        lock_ticket(session, ids["assigned"]).assigned_agent = "alice"
        lock_ticket(session, ids["billing"]).status = "resolved"
        lock_ticket(session, ids["old"]).sla_breached = True
    return ids


def _ids(sessions, **fields):
    with sessions() as session:
        items, total = list_tickets(session, where=TicketFilter(**fields))
    assert total == len(items)
    return [t.id for t in items]


def test_no_filter_lists_all_newest_first(sessions, sample):
    assert _ids(sessions) == [
        sample["assigned"],
        sample["safety"],
        sample["billing"],
        sample["delivery"],
        sample["old"],
    ]


# One database per backend for all the cases: creating PostgreSQL databases is the slow part.
FILTER_CASES = [
    ({"statuses": ["resolved"]}, ["billing"]),
    (
        {"statuses": ["open", "resolved"], "channel": "rest"},
        ["assigned", "billing", "delivery", "old"],
    ),
    ({"severities": ["urgent", "major"]}, ["safety"]),  # smoke: urgent
    ({"categories": ["billing", "safety"]}, ["safety", "billing"]),
    ({"channel": "telegram"}, ["safety"]),
    ({"sender_id": "d1"}, ["delivery", "old"]),
    ({"assigned_agent": "alice"}, ["assigned"]),
    ({"unassigned": True, "channel": "rest"}, ["billing", "delivery", "old"]),
    ({"breached": True}, ["old"]),
    ({"created_from": NOW, "created_to": NOW + timedelta(days=1)}, ["billing", "delivery"]),
    ({"created_from": NOW + timedelta(days=1)}, ["assigned", "safety"]),
    ({"created_to": NOW}, ["old"]),
]
SEARCH_CASES = [
    ("CHARGED", ["billing"]),  # case does not matter
    ("冒烟", ["safety"]),
    ("jd0098812", ["old"]),  # order number
    ("rice", ["assigned"]),  # product
    ("li.na@", ["safety"]),  # contact
    ("100%", ["delivery"]),  # % is a character, not a wildcard
    ("lost_in", ["delivery"]),
    ("t_ansit", []),  # _ is a character, not a wildcard
    ("CP-20261124", ["assigned"]),  # ticket number
    ("nothing like this", []),
]


def test_filters(sessions, sample):
    for fields, expected in FILTER_CASES:
        assert _ids(sessions, **fields) == [sample[name] for name in expected], fields


def test_text_search(sessions, sample):
    for text, expected in SEARCH_CASES:
        assert _ids(sessions, text=text) == [sample[name] for name in expected], text


def test_pagination_keeps_the_total(sessions, sample):
    with sessions() as session:
        first, total = list_tickets(session, limit=2, offset=0)
        second, _ = list_tickets(session, limit=2, offset=2)
        last, _ = list_tickets(session, limit=2, offset=4)
    assert total == 5
    assert [len(first), len(second), len(last)] == [2, 2, 1]
    assert len({t.id for t in first + second + last}) == 5
