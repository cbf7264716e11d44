"""Ticket numbering and storage against real SQLite and PostgreSQL."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.service import (
    PUBLIC_FIELDS,
    NewTicket,
    create_ticket,
    get_ticket,
    list_tickets,
    ticket_to_dict,
)
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
DESIGN_FIELDS = {
    "id", "status", "category", "severity", "motive", "emotion_peak", "description",
    "order_id", "product", "desired_resolution", "contact_phone", "contact_email", "channel",
    "sender_id", "language", "assigned_agent", "resolution_note", "csat", "reopen_count",
    "created_at", "first_response_due", "resolution_due", "first_responded_at", "resolved_at",
    "closed_at", "sla_breached", "validity", "remedy", "events",
}  # fmt: skip


def _new(sender: str = "cust-1", **overrides: object) -> NewTicket:
    fields: dict[str, object] = dict(
        channel="rest",
        sender_id=sender,
        language="zh",
        category="product_quality",
        description="电饭煲用了三天就无法加热",
        order_id="JD0098812",
        desired_resolution="refund",
        contact_phone="13812345678",
        emotion_peak="upset",
    )
    fields.update(overrides)
    return NewTicket(**fields)  # type: ignore[arg-type]


def _create(sessions, new: NewTicket, now: datetime = NOW) -> str:
    with transaction(sessions) as session:
        return create_ticket(session, new=new, policy=POLICY, now=now).id


def test_fifty_concurrent_creations_get_unique_consecutive_numbers(sessions):
    with ThreadPoolExecutor(max_workers=50) as pool:
        ids = list(pool.map(lambda i: _create(sessions, _new(f"c{i}")), range(50)))
    assert len(set(ids)) == 50
    assert all(re.fullmatch(r"CP-20261122-\d{4}", i) for i in ids)
    assert sorted(int(i[-4:]) for i in ids) == list(range(1, 51))


def test_numbering_restarts_each_utc_day(sessions):
    first = _create(sessions, _new(), NOW)
    next_day = _create(sessions, _new(), NOW + timedelta(days=1))
    assert first == "CP-20261122-0001"
    assert next_day == "CP-20261123-0001"


def test_ticket_record_has_exactly_the_design_fields(sessions):
    ticket_id = _create(sessions, _new())
    with sessions() as session:
        record = ticket_to_dict(get_ticket(session, ticket_id))
    assert set(record) == DESIGN_FIELDS
    assert set(PUBLIC_FIELDS) | {"events"} == DESIGN_FIELDS
    assert record["status"] == "open"
    assert record["category"] == "product_quality"
    assert record["severity"] == "general"
    assert record["motive"] == "compensation"
    assert record["order_id"] == "JD0098812"
    assert record["created_at"] == "2026-11-22T09:30:00Z"
    assert record["first_response_due"] == "2026-11-23T09:30:00Z"
    assert record["resolution_due"] == "2026-11-25T09:30:00Z"
    assert record["sla_breached"] is False
    assert record["events"][0]["what"] == "created"
    assert record["events"][0]["who"] == "bot"


def test_major_severity_gets_the_short_deadlines(sessions):
    ticket_id = _create(sessions, _new(category="safety", description="吃了以后拉肚子"))
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.severity == "major"
        assert ticket.first_response_due - ticket.created_at == timedelta(hours=2)


def test_third_complaint_in_thirty_days_is_major(sessions):
    severities = []
    for day in (0, 10, 20):
        ticket_id = _create(sessions, _new("repeat"), NOW + timedelta(days=day))
        with sessions() as session:
            severities.append(get_ticket(session, ticket_id).severity)
    assert severities == ["general", "general", "major"]


def test_list_is_newest_first_and_only_for_that_sender(sessions):
    older = _create(sessions, _new("alice"), NOW)
    newer = _create(sessions, _new("alice"), NOW + timedelta(minutes=5))
    _create(sessions, _new("bob"), NOW)
    with sessions() as session:
        items, total = list_tickets(session, sender_id="alice")
    assert total == 2
    assert [t.id for t in items] == [newer, older]


def test_unknown_category_is_stored_as_other(sessions):
    ticket_id = _create(sessions, _new(category="weather"))
    with sessions() as session:
        assert get_ticket(session, ticket_id).category == "other"
