"""Console passwords (argon2 hashes) and sign-in sessions (hashed tokens with an expiry)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import Type, profiles
from sqlalchemy import select

from bot.agents import passwords
from bot.agents.models import Agent, AgentSession
from bot.agents.passwords import authenticate, set_password
from bot.agents.service import AgentError, create_agent, deactivate_agent
from bot.agents.sessions import agent_for_session, end_session, start_session
from bot.db import transaction

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery"


@pytest.fixture
def alice(sessions) -> int:
    with transaction(sessions) as session:
        agent, _token = create_agent(session, username="alice", role="agent", now=NOW)
        set_password(session, username="alice", password=PASSWORD)
        return agent.id


def test_the_password_is_stored_as_an_argon2id_hash(sessions, alice):
    with sessions() as session:
        stored = session.get(Agent, alice).password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with transaction(sessions) as session:
        assert authenticate(session, username="Alice ", password=PASSWORD).id == alice
        for wrong in ("", "correct horse", PASSWORD + " ", "x" * 10_000):
            assert authenticate(session, username="alice", password=wrong) is None, wrong
        assert authenticate(session, username="nobody", password=PASSWORD) is None
        assert authenticate(session, username="", password=PASSWORD) is None


def test_password_rules_and_unknown_agents(sessions, alice):
    for bad, message in (("short", "at least 10"), (" " * 12, "not only spaces"),
                         ("x" * 257, "at most 256")):  # fmt: skip
        with pytest.raises(AgentError, match=message), transaction(sessions) as session:
            set_password(session, username="alice", password=bad)
    with pytest.raises(AgentError, match="no agent named"), transaction(sessions) as session:
        set_password(session, username="zed", password=PASSWORD)
    with transaction(sessions) as session:  # the old password still works
        assert authenticate(session, username="alice", password=PASSWORD) is not None


def test_an_agent_without_a_password_or_deactivated_cannot_sign_in(sessions, alice):
    with transaction(sessions) as session:
        create_agent(session, username="bob", role="agent", now=NOW)
        assert authenticate(session, username="bob", password="") is None
        assert authenticate(session, username="bob", password=PASSWORD) is None
        deactivate_agent(session, username="alice")
        assert authenticate(session, username="alice", password=PASSWORD) is None


def test_sessions_expire_end_on_logout_and_on_deactivation(sessions, alice):
    with transaction(sessions) as session:
        agent = session.get(Agent, alice)
        token = start_session(session, agent=agent, now=NOW)
        other = start_session(session, agent=agent, now=NOW)
    assert token.startswith("cbs_") and token != other
    with sessions() as session:
        stored = session.execute(select(AgentSession.token_hash)).scalars().all()
        assert hashlib.sha256(token.encode()).hexdigest() in stored
        assert agent_for_session(session, token, now=NOW).id == alice
        assert agent_for_session(session, token, now=NOW + timedelta(hours=12)) is None
        for wrong in ("", "cbs_", token[:-1], token[4:], "cbs_" + "x" * 200):
            assert agent_for_session(session, wrong, now=NOW) is None
    with transaction(sessions) as session:
        assert end_session(session, token) is True
        assert end_session(session, token) is False
        assert agent_for_session(session, token, now=NOW) is None
        assert agent_for_session(session, other, now=NOW) is not None
        deactivate_agent(session, username="alice")
        assert agent_for_session(session, other, now=NOW) is None


def test_expired_sessions_are_swept_when_a_new_one_starts(sessions, alice):
    with transaction(sessions) as session:
        agent = session.get(Agent, alice)
        start_session(session, agent=agent, now=NOW)
        start_session(session, agent=agent, now=NOW + timedelta(days=1))
    with sessions() as session:
        assert len(session.execute(select(AgentSession)).all()) == 1


def test_the_console_hashes_passwords_with_rfc_9106_low_memory_parameters(cheap_password_hashing):
    """The tests hash with a cheaper hasher (tests/conftest.py); the console's own is argon2id
    at RFC 9106's low-memory profile, and it takes a hash made with cheaper parameters (like
    the tests') for one to redo at the next sign-in (authenticate's check_needs_rehash)."""
    production = cheap_password_hashing
    expected = profiles.RFC_9106_LOW_MEMORY
    assert (production.type, production.time_cost, production.memory_cost) == (
        Type.ID,
        expected.time_cost,
        expected.memory_cost,
    )
    assert (production.parallelism, production.hash_len) == (
        expected.parallelism,
        expected.hash_len,
    )
    assert passwords._hasher is not production
    assert production.check_needs_rehash(passwords._hasher.hash(PASSWORD))
