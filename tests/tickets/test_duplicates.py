"""One complaint, one ticket (issue 15): an open ticket about the same order or problem is
found, and a message added to it lands on its trail and is assessed again (SQLite and
PostgreSQL through the `sessions` fixture)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.duplicates import add_to_ticket, find_open_duplicate, same_problem
from bot.tickets.service import get_ticket
from bot.tickets.sla import load_policy

POLICY = load_policy(DEFAULT_SLA_POLICY)
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)  # the tickets fixtures' creation time


def _find(sessions, **overrides):
    query = dict(
        channel="rest",
        sender_id="cust-1",
        order_id=None,
        category="delivery",
        description="something else entirely",
        now=NOW,
    )
    query.update(overrides)
    with sessions() as session:
        found = find_open_duplicate(session, **query)
        return found.id if found else None


def test_same_problem_compares_words_and_chinese_characters():
    assert same_problem("the parcel never arrived", "my parcel never arrived at all")
    assert same_problem("买的电饭煲内胆涂层掉了", "电饭煲内胆涂层一块块往下掉")
    assert not same_problem("the parcel never arrived", "the driver was rude to me")
    assert not same_problem("", "anything")


def test_an_open_ticket_about_the_same_order_or_problem_is_found(sessions, make_ticket):
    ticket_id = make_ticket()  # delivery, order A12345678, "the parcel never arrived"
    assert _find(sessions, order_id="A12345678", category="billing") == ticket_id
    assert _find(sessions, description="my parcel never arrived, again") == ticket_id
    # Another customer, another order and problem, another category, "none": not the same.
    assert _find(sessions, sender_id="cust-2", order_id="A12345678") is None
    assert _find(sessions, order_id="B99999999") is None
    assert _find(sessions, order_id="none", category="billing") is None
    assert _find(sessions, category="billing", description="the parcel never arrived") is None


def test_closed_and_old_tickets_are_not_offered(sessions, make_ticket):
    old = make_ticket(now=NOW - timedelta(days=40))
    assert _find(sessions, order_id="A12345678") is None, old
    done = make_ticket(order_id="C12345678")
    with transaction(sessions) as session:
        get_ticket(session, done).status = "closed"
    assert _find(sessions, order_id="C12345678") is None


def test_adding_records_the_message_and_only_raises_the_severity(sessions, make_ticket):
    ticket_id = make_ticket()
    later = NOW + timedelta(hours=2)
    with transaction(sessions) as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.severity == "general"
        raised = add_to_ticket(
            ticket,
            text="still nothing, I'm going to the press",
            emotion="furious",
            escalation_threat="media",
            policy=POLICY,
            now=later,
        )
        assert raised
    with sessions() as session:
        ticket = get_ticket(session, ticket_id)
        assert ticket.severity == "major" and ticket.emotion_peak == "furious"
        assert ticket.escalation_threat == "media"
        added = [e for e in ticket.events if e.action == "customer_added"]
        assert added and added[0].data["text"] == "still nothing, I'm going to the press"
        assert any(
            e.action == "field_changed" and e.data["field"] == "severity" for e in ticket.events
        )
    with transaction(sessions) as session:  # a calm addition never lowers it
        ticket = get_ticket(session, ticket_id)
        assert not add_to_ticket(
            ticket, text="ok", emotion="calm", escalation_threat=None, policy=POLICY, now=later
        )
        assert ticket.severity == "major" and ticket.emotion_peak == "furious"
