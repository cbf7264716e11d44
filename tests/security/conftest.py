"""The security tests use the web tests' gateway on a real database (SQLite and
PostgreSQL), its agents of every role and its tickets and queued conversations."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from web.conftest import client, db, make_ticket, tokens
from web.test_console_api import passwords, queued

__all__ = ["client", "db", "make_ticket", "passwords", "queued", "tokens"]


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """configure_logging takes over the root logger: give it back to pytest afterwards."""
    names = ("", "uvicorn", "uvicorn.error", "uvicorn.access", "sanic.root", "sanic.access",
             "httpx", "telegram")  # fmt: skip
    saved = {
        name: (logging.getLogger(name).handlers[:], logging.getLogger(name).level,
               logging.getLogger(name).propagate)
        for name in names
    }  # fmt: skip
    yield
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.level, logger.propagate = handlers, level, propagate
