"""Migrations build the schema from empty on SQLite and PostgreSQL, matching the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import bot.models  # noqa: F401
from bot.db import Base, current_revision, make_engine, upgrade


def test_upgrade_from_empty_is_complete_and_idempotent(db_url):
    upgrade(db_url)
    upgrade(db_url)  # a second run changes nothing
    engine = make_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert {
            "tickets",
            "ticket_events",
            "ticket_counters",
            "conversations",
            "messages",
        } <= tables
        assert current_revision(engine) is not None
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        assert diff == [], f"models and migrations differ: {diff}"
    finally:
        engine.dispose()
