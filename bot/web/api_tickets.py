"""Ticket API (DESIGN §7): list by customer and fetch one."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request

from bot.tickets.models import CHANNELS
from bot.tickets.numbering import normalise_ticket_id
from bot.tickets.service import get_ticket, list_tickets, ticket_to_dict
from bot.web.auth import require_api_token

router = APIRouter(
    prefix="/api/tickets", tags=["tickets"], dependencies=[Depends(require_api_token)]
)


@router.get("", summary="List tickets, newest first")
async def list_endpoint(
    request: Request,
    sender_id: str | None = Query(default=None, max_length=200),
    channel: str | None = Query(default=None, pattern="^(" + "|".join(CHANNELS) + ")$"),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            items, total = list_tickets(
                session, sender_id=sender_id, channel=channel, limit=limit, offset=offset
            )
            return {"items": [ticket_to_dict(t) for t in items], "total": total}

    return await anyio.to_thread.run_sync(work)


@router.get("/{ticket_id}", summary="One ticket with its audit trail")
async def get_endpoint(request: Request, ticket_id: str) -> dict[str, Any]:
    canonical = normalise_ticket_id(ticket_id)
    if canonical is None:
        raise HTTPException(404, detail="no such ticket")

    def work() -> dict[str, Any] | None:
        with request.app.state.sessions() as session:
            ticket = get_ticket(session, canonical)
            return ticket_to_dict(ticket) if ticket else None

    found = await anyio.to_thread.run_sync(work)
    if found is None:
        raise HTTPException(404, detail="no such ticket")
    return found
