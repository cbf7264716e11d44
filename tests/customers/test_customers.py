"""Customers keyed by channel identity: contacts, history, repeat complaints."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.customers.models import Customer
from bot.customers.store import find_customer, upsert_customer
from bot.db import transaction
from bot.tickets.models import Ticket
from bot.tickets.service import TicketFilter, get_ticket, list_tickets

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def test_first_ticket_creates_the_customer_and_links_it(sessions, make_ticket):
    ticket_id = make_ticket("wx-1", contact_phone="13812345678")
    with sessions() as session:
        customer = find_customer(session, channel="rest", sender_id="wx-1")
        assert customer is not None
        assert (customer.phone, customer.email, customer.language) == ("13812345678", None, "zh")
        assert customer.first_seen == customer.last_seen == NOW
        assert get_ticket(session, ticket_id).customer_id == customer.id


def test_contacts_are_the_latest_known_and_history_is_kept(sessions, make_ticket):
    first = make_ticket("wx-2", NOW, contact_phone="13812345678")
    second = make_ticket("wx-2", NOW + timedelta(days=1), contact_email="li.na@example.com")
    third = make_ticket("wx-2", NOW + timedelta(days=2), contact_phone="15900001234")
    with sessions() as session:
        customer = find_customer(session, channel="rest", sender_id="wx-2")
        assert (customer.phone, customer.email) == ("15900001234", "li.na@example.com")
        assert customer.first_seen == NOW
        assert customer.last_seen == NOW + timedelta(days=2)
        history, total = list_tickets(session, where=TicketFilter(customer_id=customer.id))
    assert total == 3
    assert [t.id for t in history] == [third, second, first]


def test_the_same_sender_on_another_channel_is_another_customer(sessions, make_ticket):
    make_ticket("42", channel="telegram")
    make_ticket("42", channel="webchat")
    with sessions() as session:
        count = session.execute(select(func.count(Customer.id))).scalar_one()
        channels = session.execute(select(Customer.channel).order_by(Customer.channel)).scalars()
        assert count == 2
        assert list(channels) == ["telegram", "webchat"]


def test_repeat_count_covers_thirty_days_and_skips_suggestions(sessions, make_ticket):
    make_ticket("wx-3", NOW - timedelta(days=31))  # too old to count
    make_ticket("wx-3", NOW - timedelta(days=20), category="suggestion")
    idea = make_ticket("wx-3", NOW - timedelta(days=15), category="other", suggestion=True)
    make_ticket("wx-3", NOW - timedelta(days=10))
    second_in_window = make_ticket("wx-3", NOW)
    third_in_window = make_ticket("wx-3", NOW + timedelta(days=1))
    with sessions() as session:
        assert get_ticket(session, idea).motive == "suggestion"
        assert get_ticket(session, idea).severity == "general"
        assert get_ticket(session, second_in_window).severity == "general"
        third = get_ticket(session, third_in_window)
        assert third.severity == "major"
        assert third.events[0].data["recent_complaints"] == 2
        assert "complaint number 3 in 30 days" in third.events[0].data["reasons"]


def test_concurrent_first_complaints_make_one_customer(sessions, make_ticket):
    with ThreadPoolExecutor(max_workers=10) as pool:
        ids = list(pool.map(lambda _: make_ticket("burst"), range(20)))
    assert len(set(ids)) == 20
    with sessions() as session:
        customers = session.execute(select(Customer)).scalars().all()
        assert len(customers) == 1
        linked = session.execute(
            select(func.count(Ticket.id)).where(Ticket.customer_id == customers[0].id)
        ).scalar_one()
    assert linked == 20


def test_upsert_never_moves_first_seen_or_last_seen_backwards(sessions):
    with transaction(sessions) as session:
        upsert_customer(session, channel="rest", sender_id="late", now=NOW)
    with transaction(sessions) as session:
        customer = upsert_customer(
            session, channel="rest", sender_id="late", now=NOW - timedelta(hours=1), phone=None
        )
        assert (customer.first_seen, customer.last_seen) == (NOW, NOW)
