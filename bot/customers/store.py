"""Finding and recording customers (race-safe on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.customers.models import Customer


def find_customer(session: Session, *, channel: str, sender_id: str) -> Customer | None:
    return session.execute(
        select(Customer).where(Customer.channel == channel, Customer.sender_id == sender_id)
    ).scalar_one_or_none()


def upsert_customer(
    session: Session,
    *,
    channel: str,
    sender_id: str,
    now: datetime,
    phone: str | None = None,
    email: str | None = None,
    language: str | None = None,
) -> Customer:
    """The customer of (channel, sender_id), created on first contact; contacts and
    language are updated to the latest ones given (a missing value keeps the old one)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # Insert-or-nothing first: two concurrent first complaints must not both insert.
    session.execute(
        module.insert(Customer)
        .values(channel=channel, sender_id=sender_id, first_seen=now, last_seen=now)
        .on_conflict_do_nothing(index_elements=["channel", "sender_id"])
    )
    customer = session.execute(
        select(Customer)
        .where(Customer.channel == channel, Customer.sender_id == sender_id)
        .with_for_update()
    ).scalar_one()
    customer.last_seen = max(customer.last_seen, now)
    if phone:
        customer.phone = phone
    if email:
        customer.email = email
    if language:
        customer.language = language
    return customer
