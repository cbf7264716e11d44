"""Authentication for the API: who is calling, or 401.

Two kinds of token: the service token (COMPLAINTBOT_API_TOKEN, full access, for
integrations and tests) and agents' own tokens (`complaintbot agents add`), stored hashed.
What each role may do is decided in bot.tickets.permissions (403 when it may not).
The agent console signs in with a password instead and holds a session cookie.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import anyio
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.service import agent_for_token
from bot.agents.sessions import agent_for_session
from bot.clock import utcnow
from bot.routing.agent_desk import DeskAgent
from bot.tickets.audit import SERVICE, Actor

_bearer = HTTPBearer(
    auto_error=False,
    description="COMPLAINTBOT_API_TOKEN (service, full access) or an agent's own token",
)


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"}
    )


def _is_service_token(request: Request, token: str) -> bool:
    expected = request.app.state.settings.api_token
    return expected is not None and hmac.compare_digest(
        token.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    )


async def current_actor(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Actor:
    """Who is calling: the service, or an active agent with their role; 401 otherwise."""
    if credentials is None or not credentials.credentials:
        raise _unauthorised("missing bearer token")
    token = credentials.credentials
    if _is_service_token(request, token):
        return SERVICE

    def lookup() -> Actor | None:
        with request.app.state.sessions() as session:
            agent = agent_for_token(session, token)
            return Actor.agent(agent.username, agent.role) if agent is not None else None

    actor = await anyio.to_thread.run_sync(lookup)
    if actor is None:
        raise _unauthorised("invalid token")
    return actor


# Kept for routers that only need "some valid token".
require_api_token = current_actor


# --- the agent console: a session cookie (or an agent's own bearer token) ------------------

CONSOLE_COOKIE = "cb_console"


# The agent using the console: who they are for the audit trail and for customers (the
# same identity the Telegram agents' group acts with).
ConsoleAgent = DeskAgent


def console_agent_for(
    sessions: sessionmaker[Session], token: str, now: datetime
) -> ConsoleAgent | None:
    """The agent of a console session token or an agent API token; None otherwise."""
    with sessions() as session:
        agent = agent_for_session(session, token, now=now) or agent_for_token(session, token)
        if agent is None:
            return None
        return ConsoleAgent(Actor.agent(agent.username, agent.role), agent.display_name)


async def console_agent(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> ConsoleAgent:
    """The signed-in agent (console cookie, or an agent's bearer token for scripts); 401
    otherwise. The service token has no person behind it, so it cannot work tickets here."""
    token = request.cookies.get(CONSOLE_COOKIE) or (
        credentials.credentials if credentials is not None else ""
    )
    if not token:
        raise _unauthorised("not signed in")
    clock = getattr(request.app.state, "clock", utcnow)
    found = await anyio.to_thread.run_sync(
        console_agent_for, request.app.state.sessions, token, clock()
    )
    if found is None:
        raise _unauthorised("session expired or signed out; sign in again")
    return found


async def actor_or_console(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
) -> Actor:
    """A bearer token (the service's or an agent's), or else the console's session cookie:
    for endpoints both integrations and the console page use (SLA alerts)."""
    if credentials is not None and credentials.credentials:
        return await current_actor(request, credentials)
    if request.cookies.get(CONSOLE_COOKIE):
        return (await console_agent(request, None)).actor
    raise _unauthorised("missing bearer token or console session")
