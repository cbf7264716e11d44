"""GET /metrics: Prometheus text format (bot.metrics), behind a bearer token like the API.

Guarded rather than on an admin port: the gateway is one port behind one proxy, and the
figures (ticket volumes, queue length, SLA breaches) are business data. Prometheus sends
the token with `authorization: {credentials_file: ...}` (docs/OPERATIONS.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status

from bot.channels.limits import Check, RateLimiter, Refusal
from bot.metrics import CONTENT_TYPE, Metrics
from bot.tickets.audit import Actor
from bot.web.auth import current_actor
from bot.web.health import check_parts

router = APIRouter(tags=["health"])

# Who may scrape: the service token, or an admin's or supervisor's own token.
SCRAPERS = ("service", "admin", "supervisor")


class Limiter(Protocol):
    def hit(self, checks: Sequence[Check]) -> Refusal | None: ...


class CountingLimiter(RateLimiter):
    """The rate caps (bot.channels.limits, in memory or shared in Redis), counting each
    refusal in the metrics. A RateLimiter to its callers; the counting is `inner`'s."""

    def __init__(self, inner: Limiter, metrics: Metrics) -> None:
        super().__init__()
        self.inner = inner
        self.metrics = metrics

    def hit(self, checks: Sequence[Check]) -> Refusal | None:
        refusal = self.inner.hit(checks)
        if refusal is not None:
            self.metrics.refused(refusal.reason)
        return refusal

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


@router.get(
    "/metrics",
    summary="Prometheus metrics (text format 0.0.4); bearer token of the service or an admin",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}, "description": "the metrics"},
        401: {"description": "no or an invalid token"},
        403: {"description": "an agent's token (admins and supervisors may scrape)"},
    },
)
async def metrics(request: Request, actor: Actor = Depends(current_actor)) -> Response:
    if actor.role not in SCRAPERS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="admins and supervisors only")
    state = request.app.state
    found: Metrics = state.metrics
    await check_parts(state)  # sets complaintbot_dependency_up
    body = await anyio.to_thread.run_sync(found.exposition)
    return Response(content=body, media_type=CONTENT_TYPE)
