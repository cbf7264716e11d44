"""Console sign-in sessions: a random token in an HttpOnly cookie, kept only as its SHA-256
hash with an expiry, so logging out or deactivating an agent ends it at once."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.agents.models import Agent, AgentSession
from bot.agents.service import hash_token

logger = logging.getLogger(__name__)

SESSION_PREFIX = "cbs_"
# One working shift; the console signs in again after it.
SESSION_LIFETIME = timedelta(hours=12)


def start_session(
    session: Session, *, agent: Agent, now: datetime, lifetime: timedelta = SESSION_LIFETIME
) -> str:
    """A new session for `agent`; returns its token (to set as the cookie, never stored)."""
    token = SESSION_PREFIX + secrets.token_urlsafe(32)
    session.execute(delete(AgentSession).where(AgentSession.expires_at < now))
    session.add(
        AgentSession(
            token_hash=hash_token(token),
            agent_id=agent.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    logger.info("console session started for %s", agent.username)
    return token


def agent_for_session(session: Session, token: str, *, now: datetime) -> Agent | None:
    """The active agent of an unexpired session token, or None."""
    if not token.startswith(SESSION_PREFIX) or len(token) > 100:
        return None
    row = session.execute(
        select(Agent)
        .join(AgentSession, AgentSession.agent_id == Agent.id)
        .where(AgentSession.token_hash == hash_token(token), AgentSession.expires_at > now)
    ).scalar_one_or_none()
    return row if row is not None and row.active else None


def end_session(session: Session, token: str) -> bool:
    """Logs the session out; False when there was no such session."""
    result = session.execute(
        delete(AgentSession).where(AgentSession.token_hash == hash_token(token))
    )
    return bool(getattr(result, "rowcount", 0))
