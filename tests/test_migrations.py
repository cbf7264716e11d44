"""Migrations build the schema from empty on SQLite and PostgreSQL, matching the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

import bot.models  # noqa: F401
from bot.db import Base, _alembic_config, current_revision, make_engine, upgrade


def _head(db_url: str) -> str | None:
    return ScriptDirectory.from_config(_alembic_config(db_url)).get_current_head()


def test_upgrade_from_empty_is_complete_and_idempotent(empty_db_url):
    upgrade(empty_db_url)
    upgrade(empty_db_url)  # a second run changes nothing
    engine = make_engine(empty_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {
            "tickets",
            "ticket_events",
            "ticket_counters",
            "conversations",
            "messages",
            "customers",
            "agents",
        } <= tables
        assert current_revision(engine) == _head(empty_db_url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()


LEGACY_TICKETS = [
    # id, sender, created (day of November 2026), phone, email
    ("CP-20261101-0001", "alice", 1, "13812345678", None),
    ("CP-20261102-0001", "alice", 2, None, "alice@example.com"),
    ("CP-20261103-0001", "alice", 3, "15900001234", None),
    ("CP-20261103-0002", "bob", 3, None, None),
]


def _legacy_data(engine) -> None:
    with engine.begin() as conn:
        for ticket_id, sender, day, phone, email in LEGACY_TICKETS:
            created = f"2026-11-{day:02d} 09:30:00.000000"
            conn.execute(
                text(
                    "INSERT INTO tickets (id, status, category, severity, channel, sender_id, "
                    "language, reopen_count, created_at, updated_at, sla_breached, "
                    "contact_phone, contact_email) VALUES (:id, 'open', 'other', 'general', "
                    "'rest', :sender, 'zh', 0, :created, :created, false, :phone, :email)"
                ),
                {
                    "id": ticket_id,
                    "sender": sender,
                    "created": created,
                    "phone": phone,
                    "email": email,
                },  # fmt: skip
            )
            conn.execute(
                text(
                    "INSERT INTO ticket_events (ticket_id, at, actor, action) "
                    "VALUES (:id, :created, 'bot', 'created')"
                ),
                {"id": ticket_id, "created": created},
            )


def test_0002_upgrades_existing_data_and_downgrades_without_losing_any(empty_db_url):
    upgrade(empty_db_url, "0001")
    engine = make_engine(empty_db_url)
    try:
        _legacy_data(engine)
        upgrade(empty_db_url)
        with engine.connect() as conn:
            customers = conn.execute(
                text("SELECT sender_id, phone, email FROM customers ORDER BY sender_id")
            ).all()
            links = conn.execute(
                text(
                    "SELECT t.id, c.sender_id FROM tickets t JOIN customers c "
                    "ON c.id = t.customer_id ORDER BY t.id"
                )
            ).all()
        # Contacts are the latest known ones, each kind on its own.
        assert [tuple(row) for row in customers] == [
            ("alice", "15900001234", "alice@example.com"),
            ("bob", None, None),
        ]
        assert [tuple(row) for row in links] == [(t[0], t[1]) for t in LEGACY_TICKETS]

        command.downgrade(_alembic_config(empty_db_url), "0001")
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM ticket_events")).scalar_one() == 4
            assert conn.execute(text("SELECT COUNT(*) FROM tickets")).scalar_one() == 4
            assert "customers" not in inspect(conn).get_table_names()
        upgrade(empty_db_url)
        with engine.connect() as conn:
            assert current_revision(engine) == _head(empty_db_url)
            assert conn.execute(text("SELECT COUNT(*) FROM customers")).scalar_one() == 2
    finally:
        engine.dispose()
