"""Creating agents, issuing their API tokens and recognising a token again."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.models import ROLES, Agent

logger = logging.getLogger(__name__)

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,39}$")
# Names the audit trail uses for non-humans: an agent called "bot" would be ambiguous.
RESERVED_USERNAMES = frozenset({"bot", "system", "service", "customer"})
TOKEN_PREFIX = "cba_"


class AgentError(ValueError):
    """An agent cannot be created or changed as asked; the message says why."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh API token; the prefix makes a leaked one easy to recognise in a scan."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def get_agent(session: Session, username: str) -> Agent | None:
    return session.execute(select(Agent).where(Agent.username == username)).scalar_one_or_none()


def list_agents(session: Session) -> list[Agent]:
    return list(session.execute(select(Agent).order_by(Agent.username)).scalars())


def create_agent(
    session: Session,
    *,
    username: str,
    role: str,
    now: datetime,
    display_name: str | None = None,
) -> tuple[Agent, str]:
    """Stores a new active agent; returns it with its token (shown once, kept hashed)."""
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise AgentError("username: 2-40 characters, lower-case letters, digits, '.', '_' or '-'")
    if username in RESERVED_USERNAMES:
        raise AgentError(f"username {username!r} is reserved")
    if role not in ROLES:
        raise AgentError(f"role must be one of {', '.join(ROLES)}")
    if get_agent(session, username) is not None:
        raise AgentError(f"an agent named {username!r} already exists")
    token = new_token()
    agent = Agent(
        username=username,
        display_name=(display_name or "").strip()[:100] or username,
        role=role,
        token_hash=hash_token(token),
        active=True,
        created_at=now,
    )
    session.add(agent)
    session.flush()
    logger.info("agent %s created with role %s", username, role)
    return agent, token


def rotate_token(session: Session, *, username: str) -> str:
    """Replaces an agent's token; the old one stops working at once."""
    agent = get_agent(session, username)
    if agent is None:
        raise AgentError(f"no agent named {username!r}")
    token = new_token()
    agent.token_hash = hash_token(token)
    logger.info("token of agent %s rotated", username)
    return token


def deactivate_agent(session: Session, *, username: str) -> Agent:
    agent = get_agent(session, username)
    if agent is None:
        raise AgentError(f"no agent named {username!r}")
    agent.active = False
    logger.info("agent %s deactivated", username)
    return agent


def agent_for_token(session: Session, token: str) -> Agent | None:
    """The active agent holding `token`, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    agent = session.execute(
        select(Agent).where(Agent.token_hash == hash_token(token))
    ).scalar_one_or_none()
    return agent if agent is not None and agent.active else None


def display_names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    """username -> display name for the given agents (unknown names are left out)."""
    wanted = {name for name in usernames if name}
    if not wanted:
        return {}
    rows = session.execute(
        select(Agent.username, Agent.display_name).where(Agent.username.in_(wanted))
    )
    return {username: display for username, display in rows}


def link_telegram(session: Session, *, username: str, telegram_user_id: int | None) -> Agent:
    """Lets the agent act from the agents' Telegram group as that Telegram user (None:
    unlinks). One Telegram account belongs to one agent."""
    agent = get_agent(session, username.strip().lower())
    if agent is None:
        raise AgentError(f"no agent named {username!r}")
    if telegram_user_id is not None:
        if telegram_user_id <= 0:
            raise AgentError("a Telegram user id is a positive number (groups are negative)")
        holder = agent_for_telegram(session, telegram_user_id, active_only=False)
        if holder is not None and holder.id != agent.id:
            raise AgentError(
                f"Telegram user {telegram_user_id} is already linked to {holder.username!r}"
            )
    agent.telegram_user_id = telegram_user_id
    logger.info(
        "agent %s %s Telegram", agent.username, "linked to" if telegram_user_id else "unlinked from"
    )
    return agent


def agent_for_telegram(
    session: Session, telegram_user_id: int, *, active_only: bool = True
) -> Agent | None:
    """The agent linked to that Telegram user (active ones only, unless told otherwise)."""
    agent = session.execute(
        select(Agent).where(Agent.telegram_user_id == telegram_user_id)
    ).scalar_one_or_none()
    if agent is not None and active_only and not agent.active:
        return None
    return agent


# The console's and dashboard's languages (catalogues in bot/web/static/i18n/).
LOCALES = ("en", "zh-CN")


def agent_locale(session: Session, username: str) -> str | None:
    """The language an agent chose for the console and dashboard; None if none yet."""
    return session.execute(
        select(Agent.locale).where(Agent.username == username)
    ).scalar_one_or_none()


def set_agent_locale(session: Session, *, username: str, locale: str) -> None:
    if locale not in LOCALES:
        raise AgentError(f"unknown locale {locale!r}; expected one of {', '.join(LOCALES)}")
    agent = get_agent(session, username)
    if agent is None:
        raise AgentError(f"no agent {username!r}")
    agent.locale = locale
