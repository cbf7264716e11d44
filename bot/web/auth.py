"""Bearer-token authentication for the API: who is calling, or 401.

Two kinds of token: the service token (COMPLAINTBOT_API_TOKEN, full access, for
integrations and tests) and agents' own tokens (`complaintbot agents add`), stored hashed.
What each role may do is decided in bot.tickets.permissions (403 when it may not).
"""

from __future__ import annotations

import hmac

import anyio
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.agents.service import agent_for_token
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
