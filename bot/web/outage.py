"""What a request gets when the database cannot be reached: 503 with Retry-After.

Every customer message is stored before it is answered, so without the database nothing
can be acknowledged; the honest answer is an explicit refusal the client can retry (REST
clients and Telegram both retry), never a 500 that reads like a bug.
"""

from __future__ import annotations

import logging

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
# Connection refused or lost, and a pool with no connection to give within its timeout.
STORAGE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
DETAIL = (
    "The service cannot store your request right now, so it was not taken. "
    "Please send it again in a few seconds."
)


async def storage_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """Exception handler for STORAGE_DOWN (registered by the app factory)."""
    cause = getattr(exc, "orig", None) or exc
    logger.error(
        "database unavailable (%s) during %s %s: answered 503",
        type(cause).__name__,
        request.method,
        request.url.path,
    )
    return JSONResponse(
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        content={"detail": DETAIL},
    )
