"""Copies of prepared databases for tests: a PostgreSQL database made from a template
(CREATE DATABASE ... TEMPLATE, a fraction of a second) and an SQLite file copied, instead
of running the migrations (1-2 s) or building the same data again for every test."""

from __future__ import annotations

import os
import sqlite3
from graphlib import TopologicalSorter
from pathlib import Path
from uuid import uuid4

from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.engine import Engine, make_url

POSTGRES_URL = os.environ.get(
    "COMPLAINTBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def sqlite_path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _admin(server_url: str) -> Engine:
    return create_engine(make_url(server_url), isolation_level="AUTOCOMMIT", poolclass=NullPool)


def copy_postgres_database(server_url: str, template: str, prefix: str) -> str:
    """A new database on the server of `server_url`, a copy of the database `template`
    (nobody may be connected to it); returns its URL."""
    name = f"{prefix}_{uuid4().hex[:12]}"
    admin = _admin(server_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(server_url: str, url: str) -> None:
    """Drops the database of `url` (from the database of `server_url`), closing its
    connections first."""
    name = make_url(url).database
    admin = _admin(server_url)
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def copy_sqlite_file(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database, its write-ahead log included."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()
    target.chmod(source.stat().st_mode & 0o777)


# What a test may not change for its database to be handed to the next test: the migration
# it is at, the tables' columns, the indexes and constraints, the sequences.
_SCHEMA = text(
    """
    SELECT 'version', version_num, '' FROM alembic_version
    UNION ALL
    SELECT 'column', table_name || '.' || column_name, data_type || ' ' || is_nullable
      || ' ' || coalesce(column_default, '')
      FROM information_schema.columns WHERE table_schema = 'public'
    UNION ALL
    SELECT 'index', indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
    UNION ALL
    SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace
    UNION ALL
    SELECT 'sequence', sequence_name, '' FROM information_schema.sequences
      WHERE sequence_schema = 'public'
    ORDER BY 1, 2, 3
    """
)


class ReusedPostgresDatabases:
    """Copies of a migrated template handed to one test at a time and emptied afterwards for
    the next (a DELETE of every table's rows and the sequences restarted: a few milliseconds),
    instead of a new copy for every test (CREATE and DROP DATABASE: 0.5-1.5 s, mostly waiting
    for the server to write and sync the copy; TRUNCATE takes 0.2-0.4 s for its new files).
    Isolation as with a fresh copy: the test's connections are closed first, and a database
    whose schema the test changed is dropped, not reused."""

    def __init__(self, server_url: str, template: str, prefix: str) -> None:
        self.server_url, self.template, self.prefix = server_url, template, prefix
        self._idle: list[str] = []
        self._all: set[str] = set()
        self._schema: list[tuple[str, ...]] | None = None
        self._empty = ""  # the statements emptying a database of the template's schema

    def take(self) -> str:
        """An empty database at the template's schema, this test's alone until give_back."""
        if self._idle:
            return self._idle.pop()
        url = copy_postgres_database(self.server_url, self.template, self.prefix)
        self._all.add(url)
        if self._schema is None:
            self._read_template(url)
        return url

    def give_back(self, url: str) -> None:
        """Empties the database for the next test, or drops it if it cannot be reused."""
        engine = create_engine(make_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with engine.connect() as conn:
                # Whatever the test left connected (a thread, a leaked pool) goes first, as
                # DROP DATABASE ... WITH (FORCE) would do.
                conn.execute(_TERMINATE_OTHERS)
                reusable = [tuple(row) for row in conn.execute(_SCHEMA)] == self._schema
                if reusable:
                    conn.exec_driver_sql(self._empty)
        finally:
            engine.dispose()
        if reusable:
            self._idle.append(url)
        else:
            self._drop(url)

    def drop_all(self) -> None:
        for url in list(self._all):
            self._drop(url)
        self._idle.clear()

    def _drop(self, url: str) -> None:
        drop_postgres_database(self.server_url, url)
        self._all.discard(url)

    def _read_template(self, url: str) -> None:
        """The template's schema, and the statements that empty a copy: its tables' rows
        deleted children first (the foreign keys stay checked), its sequences restarted."""
        engine = create_engine(make_url(url), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                self._schema = [tuple(row) for row in conn.execute(_SCHEMA)]
                tables = conn.scalars(_TABLES).all()
                parents: dict[str, set[str]] = {table: set() for table in tables}
                for child, parent in conn.execute(_FOREIGN_KEYS):
                    if child != parent and child in parents:
                        parents[child].add(parent)
        finally:
            engine.dispose()
        children_first = list(reversed(list(TopologicalSorter(parents).static_order())))
        deletes = "".join(f"DELETE FROM {table}; " for table in children_first)
        self._empty = f"BEGIN; {deletes}{_RESTART_SEQUENCES}; COMMIT"


_TERMINATE_OTHERS = text(
    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
)
_TABLES = text(
    "SELECT quote_ident(tablename) FROM pg_tables"
    " WHERE schemaname = 'public' AND tablename <> 'alembic_version' ORDER BY 1"
)
_FOREIGN_KEYS = text(
    "SELECT quote_ident(c.relname), quote_ident(p.relname) FROM pg_constraint k"
    " JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid"
    " WHERE k.contype = 'f' AND k.connamespace = 'public'::regnamespace"
)
_RESTART_SEQUENCES = (
    "SELECT setval((quote_ident(schemaname) || '.' || quote_ident(sequencename))::regclass,"
    " start_value, false)"
    " FROM pg_sequences WHERE schemaname = 'public'"
)
