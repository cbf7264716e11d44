"""Agents' console passwords, kept only as argon2id hashes."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete
from sqlalchemy.orm import Session

from bot.agents.models import Agent, AgentSession
from bot.agents.service import AgentError, get_agent

logger = logging.getLogger(__name__)

MIN_PASSWORD_CHARS = 10
# argon2 hashes anything, but a megabyte "password" is a denial of service, not a secret.
MAX_PASSWORD_CHARS = 256

_hasher = PasswordHasher()
# Checked against when the username is unknown, so a login takes as long either way.
_DUMMY_HASH = _hasher.hash("not-a-password-of-anyone")


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise AgentError(f"password: at least {MIN_PASSWORD_CHARS} characters")
    if len(password) > MAX_PASSWORD_CHARS:
        raise AgentError(f"password: at most {MAX_PASSWORD_CHARS} characters")
    if not password.strip():
        raise AgentError("password: not only spaces")


def set_password(session: Session, *, username: str, password: str) -> Agent:
    """Sets (or replaces) an agent's console password and ends their console sessions: a
    reset after a leaked password must also lock out whoever signed in with it."""
    check_password_rules(password)
    agent = get_agent(session, username.strip().lower())
    if agent is None:
        raise AgentError(f"no agent named {username!r}")
    agent.password_hash = _hasher.hash(password)
    ended = session.execute(delete(AgentSession).where(AgentSession.agent_id == agent.id))
    logger.info("password of agent %s set; %d console session(s) ended", agent.username,
                getattr(ended, "rowcount", 0) or 0)  # fmt: skip
    return agent


def authenticate(session: Session, *, username: str, password: str) -> Agent | None:
    """The active agent with this username and password, or None (whatever was wrong)."""
    agent = get_agent(session, username.strip().lower()) if username else None
    stored = agent.password_hash if agent is not None else None
    if len(password) > MAX_PASSWORD_CHARS:
        return None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if agent is None or stored is None or not agent.active:
        return None
    if _hasher.check_needs_rehash(stored):  # parameters raised since it was set
        agent.password_hash = _hasher.hash(password)
    return agent
