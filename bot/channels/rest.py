"""REST channel in Rasa's format: POST /webhooks/rest/webhook (DESIGN §7).

Who may act as a customer: with COMPLAINTBOT_REST_TOKEN set, the integration (its token) or
a client holding the customer's signed sender id; without it, anyone in development and no
one in production (bot.channels.rest_auth)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from bot.channels.limits import NOTHING_LOST, enforce, request_ip, sender_checks
from bot.channels.problems import problem
from bot.channels.rest_auth import REST_SIGNATURE_HEADER, require_rest_customer
from bot.routing.outbound import Outbound
from bot.routing.router import Router

router = APIRouter(tags=["channels"])

CHANNEL = "rest"


# Beyond FastAPI's own 422 (bot.web.app documents its body): credentials and rate caps.
OVER_THE_CAP: dict[int | str, dict[str, Any]] = {
    401: problem(
        "no valid credentials for this customer: with COMPLAINTBOT_REST_TOKEN set, send "
        f"`Authorization: Bearer <token>` or `{REST_SIGNATURE_HEADER}: <HMAC-SHA256 of the "
        "sender id>`; nothing was stored or taken"
    ),
    429: problem(
        "over the per-sender or per-address cap (COMPLAINTBOT_RATE_LIMIT_*): nothing was "
        "stored; send again after Retry-After seconds",
        headers={"Retry-After": {"schema": {"type": "integer"}, "description": "seconds"}},
    ),
}


class RestMessage(BaseModel):
    sender: str = Field(min_length=1, max_length=200, description="the customer's id")
    message: str = Field(max_length=100_000, description="the customer's text")
    metadata: dict[str, Any] | None = Field(
        default=None, description="ignored; kept for Rasa compatibility"
    )


class RestReply(BaseModel):
    recipient_id: str
    text: str
    buttons: list[dict[str, Any]] | None = None
    custom: dict[str, Any] | None = Field(
        default=None, description='for an agent\'s message: {"author": "agent", "display_name"}'
    )


@router.post(
    "/webhooks/rest/webhook",
    response_model=list[RestReply],
    response_model_exclude_none=True,
    summary="Send a customer message; returns the replies",
    responses=OVER_THE_CAP,
)
async def rest_webhook(body: RestMessage, request: Request) -> list[dict[str, Any]]:
    """The message is stored before this returns. Messages sent to this customer since their
    last request (an agent's, a follow-up) come first. While an agent owns the conversation
    the message waits for the agent and only such pending messages are returned."""
    routing: Router = request.app.state.router
    outbound: Outbound = request.app.state.outbound
    sender = body.sender.strip() or body.sender
    require_rest_customer(request, sender)
    settings = request.app.state.settings
    enforce(request, sender_checks(settings, CHANNEL, sender, request_ip(request, settings)))
    # Messages waiting for this customer are taken in the transaction that stores theirs.
    replies = await routing.handle(CHANNEL, sender, body.message, pending=outbound.take_pending_in)
    return [reply.as_rest(body.sender) for reply in replies]


@router.get(
    "/webhooks/rest/messages",
    response_model=list[RestReply],
    response_model_exclude_none=True,
    summary="Messages sent to a REST customer since their last request (agent, follow-up)",
    responses=OVER_THE_CAP,
)
async def rest_pending(
    request: Request, sender: str = Query(min_length=1, max_length=200)
) -> list[dict[str, Any]]:
    """REST cannot push: a client polls here (or just sends its next message) to receive what
    an agent or a follow-up said. Each message is returned once."""
    outbound: Outbound = request.app.state.outbound
    sender = sender.strip() or sender
    require_rest_customer(request, sender)
    settings = request.app.state.settings
    ip = request_ip(request, settings)
    enforce(request, sender_checks(settings, CHANNEL, sender, ip, poll=True), NOTHING_LOST)
    return [reply.as_rest(sender) for reply in await outbound.take_pending(CHANNEL, sender)]
