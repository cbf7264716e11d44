"""Agents: creation rules, tokens kept only as SHA-256 hashes, revocation."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.agents.models import Agent
from bot.agents.service import (
    AgentError,
    agent_for_token,
    create_agent,
    deactivate_agent,
    display_names,
    rotate_token,
)
from bot.db import transaction

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _create(sessions, username="alice", role="agent", display_name=None):
    with transaction(sessions) as session:
        agent, token = create_agent(
            session, username=username, role=role, display_name=display_name, now=NOW
        )
        return agent.id, token


def test_token_is_returned_once_and_stored_as_its_sha256(sessions):
    agent_id, token = _create(sessions, "Alice", "supervisor", " 小李 ")
    assert token.startswith("cba_") and len(token) > 40
    with sessions() as session:
        agent = session.get(Agent, agent_id)
        assert agent.token_hash == hashlib.sha256(token.encode()).hexdigest()
        assert (agent.username, agent.role, agent.display_name) == ("alice", "supervisor", "小李")
        assert agent.active is True and agent.password_hash is None
        assert agent.created_at == NOW
        assert agent_for_token(session, token).id == agent_id


def test_display_name_defaults_to_the_username(sessions):
    _create(sessions, "bob")
    with sessions() as session:
        assert display_names(session, ["bob", "ghost"]) == {"bob": "bob"}
        assert display_names(session, []) == {}


REFUSED = [
    ("a", "agent", "username: 2-40 characters"),
    ("has space", "agent", "username: 2-40 characters"),
    ("x" * 41, "agent", "username: 2-40 characters"),
    ("system", "agent", "reserved"),
    ("carol", "owner", "role must be one of agent, supervisor, admin"),
]


def test_creation_rules(sessions):
    for username, role, message in REFUSED:
        with pytest.raises(AgentError, match=message), transaction(sessions) as session:
            create_agent(session, username=username, role=role, now=NOW)
    with sessions() as session:
        assert session.execute(select(Agent)).first() is None


def test_usernames_are_unique(sessions):
    _create(sessions, "dave")
    with pytest.raises(AgentError, match="already exists"):
        _create(sessions, "DAVE")


def test_the_database_refuses_an_unknown_role(sessions):
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(
            Agent(username="eve", display_name="eve", role="root", active=True, created_at=NOW)
        )
        session.flush()


def test_unknown_tokens_find_nobody(sessions):
    _agent_id, token = _create(sessions)
    with sessions() as session:
        for wrong in ("", "cba_", "cba_wrong", token[4:], token + "x", "x" * 500):
            assert agent_for_token(session, wrong) is None, wrong


def test_rotation_and_deactivation_revoke(sessions):
    _agent_id, first = _create(sessions)
    with transaction(sessions) as session:
        second = rotate_token(session, username="alice")
    with sessions() as session:
        assert agent_for_token(session, first) is None
        assert agent_for_token(session, second).username == "alice"
    with transaction(sessions) as session:
        deactivate_agent(session, username="alice")
    with sessions() as session:
        assert agent_for_token(session, second) is None
        assert session.execute(select(Agent.active)).scalar_one() is False
    with pytest.raises(AgentError, match="no agent named 'zed'"), transaction(sessions) as s:
        deactivate_agent(s, username="zed")
