"""Fault fixtures: a private Redis, PostgreSQL and never-answering Rasa for one test each,
and agents in a gateway's database."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.service import create_agent
from bot.db import transaction
from faults.servers import (
    BlackHole,
    PostgresServer,
    RedisServer,
    start_private_postgres,
    start_private_redis,
)

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


@pytest.fixture
def private_redis(tmp_path) -> Iterator[RedisServer]:
    server = start_private_redis(tmp_path)
    yield server
    server.kill()


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    server, clean_up = start_private_postgres()
    yield server
    clean_up()


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    server = BlackHole()
    yield server
    server.close()


@pytest.fixture
def add_agent() -> Callable[[sessionmaker[Session], str], dict[str, str]]:
    """Creates an agent in the gateway's database; returns their bearer header."""

    def add(sessions: sessionmaker[Session], username: str) -> dict[str, str]:
        with transaction(sessions) as session:
            _agent, token = create_agent(session, username=username, role="agent", now=NOW)
        return {"Authorization": f"Bearer {token}"}

    return add
