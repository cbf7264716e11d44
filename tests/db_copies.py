"""Copies of prepared databases for tests: a PostgreSQL database made from a template
(CREATE DATABASE ... TEMPLATE, a fraction of a second) and an SQLite file copied, instead
of running the migrations (1-2 s) or building the same data again for every test."""

from __future__ import annotations

import os
import sqlite3
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
