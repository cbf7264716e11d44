"""The security tests use the web tests' gateway on a real database (SQLite and
PostgreSQL), its agents of every role and its tickets and queued conversations."""

from __future__ import annotations

from web.conftest import client, db, make_ticket, tokens
from web.test_console_api import passwords, queued

__all__ = ["client", "db", "make_ticket", "passwords", "queued", "tokens"]
