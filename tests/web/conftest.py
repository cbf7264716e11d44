"""The gateway app on a real database (SQLite and PostgreSQL), with agents and tickets."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.service import create_agent
from bot.config import load_settings
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.stack import free_port
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy
from bot.tickets.teams import Teams
from bot.web.app import create_app

SERVICE_TOKEN = "service-token-for-tests-0123456789"
NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
POLICY = load_policy(DEFAULT_SLA_POLICY)


@contextmanager
def gateway_client(db_url: str, var_dir: Path, **overrides: object) -> Iterator[TestClient]:
    """The gateway on `db_url` (lifespan on), its clock an hour after NOW; `overrides` are
    more settings."""
    port = free_port()  # no Rasa: the ticket API does not need it
    settings = load_settings(
        _env_file=None,
        env="development",
        var_dir=var_dir,
        database_url=db_url,
        api_token=SERVICE_TOKEN,
        rasa_url=f"http://127.0.0.1:{port}",
        actions_url=f"http://127.0.0.1:{port}",
        **overrides,
    )
    with TestClient(create_app(settings)) as test_client:
        test_client.app.state.clock = lambda: NOW + timedelta(hours=1)
        yield test_client


@pytest.fixture
def client(db_url, tmp_path) -> Iterator[TestClient]:
    with gateway_client(db_url, tmp_path / "var") as test_client:
        yield test_client


@pytest.fixture
def db(client):
    """The app's own session factory."""
    return client.app.state.sessions


@pytest.fixture
def tokens(db) -> dict[str, str]:
    """Bearer headers by name: service, alice and bob (agents), sue (supervisor), adam (admin)."""
    return make_agents(db)


def make_agents(db: sessionmaker[Session]) -> dict[str, str]:
    """What the `tokens` fixture makes: the agents, and bearer headers by name."""
    headers = {"service": {"Authorization": f"Bearer {SERVICE_TOKEN}"}}
    with transaction(db) as session:
        for name, role in (
            ("alice", "agent"),
            ("bob", "agent"),
            ("sue", "supervisor"),
            ("adam", "admin"),
        ):
            _agent, token = create_agent(session, username=name, role=role, now=NOW)
            headers[name] = {"Authorization": f"Bearer {token}"}
    return headers  # type: ignore[return-value]


def new_ticket(
    db: sessionmaker[Session],
    sender: str = "cust-1",
    now: datetime = NOW,
    teams: Teams | None = None,
    **fields: object,
) -> str:
    """A ticket made as the bot makes it (`teams`: routed as by the action server's)."""
    values: dict[str, object] = {
        "channel": "rest",
        "sender_id": sender,
        "language": "en",
        "category": "delivery",
        "description": "parcel lost",
        "contact_phone": "13812345678",
    }
    values.update(fields)
    with transaction(db) as session:
        new = NewTicket(**values)  # type: ignore[arg-type]
        return create_ticket(session, new=new, policy=POLICY, now=now, teams=teams).id


@pytest.fixture
def make_ticket(db):
    return functools.partial(new_ticket, db)
