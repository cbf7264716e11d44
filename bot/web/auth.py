"""Bearer-token authentication for the API."""

from __future__ import annotations

import hmac

from fastapi import HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

_bearer = HTTPBearer(auto_error=False, description="COMPLAINTBOT_API_TOKEN")


async def require_api_token(request: Request) -> str:
    """Lets the request through with the service token; 401 otherwise."""
    credentials: HTTPAuthorizationCredentials | None = await _bearer(request)
    expected = request.app.state.settings.api_token
    if credentials is None or expected is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="missing bearer token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(
        credentials.credentials.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    ):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="invalid token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return "service"
