"""REST channel in Rasa's format: POST /webhooks/rest/webhook (DESIGN §7)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from bot.routing.router import Router

router = APIRouter(tags=["channels"])


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


@router.post(
    "/webhooks/rest/webhook",
    response_model=list[RestReply],
    response_model_exclude_none=True,
    summary="Send a customer message; returns the replies",
)
async def rest_webhook(body: RestMessage, request: Request) -> list[dict[str, Any]]:
    """The message is stored before this returns. While an agent owns the conversation the
    list is empty and the message waits for the agent."""
    routing: Router = request.app.state.router
    sender = body.sender.strip() or body.sender
    replies = await routing.handle("rest", sender, body.message)
    return [reply.as_rest(body.sender) for reply in replies]
