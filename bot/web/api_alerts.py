"""SLA alerts for the console: the warnings and breaches the monitor raised, and their
acknowledgement by a person."""

from __future__ import annotations

from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from bot.clock import utcnow
from bot.db import transaction
from bot.sla.alerts import acknowledge, alert_to_dict, list_alerts
from bot.tickets.audit import Actor
from bot.tickets.numbering import normalise_ticket_id
from bot.web.api_tickets import ERRORS, ROLES_DOC, readers
from bot.web.auth import actor_or_console

CONSOLE_DOC = (
    "\n\nThe agent console calls these with its session cookie (SameSite=Strict) instead "
    "of a bearer token."
)


async def alert_readers(actor: Actor = Depends(actor_or_console)) -> Actor:
    """Whoever may read tickets, signed in with a token or in the console."""
    return await readers(actor)


router = APIRouter(prefix="/api/alerts", tags=["alerts"], responses=ERRORS)


class DeliveryOut(BaseModel):
    target: str = Field(description="webhook or telegram (the agents' group)")
    attempts: int
    sent_at: str | None = Field(description="ISO 8601 UTC; null until delivered")
    last_error: str | None


Kind = Literal["warning", "breach", "spike", "cluster"]


class AlertOut(BaseModel):
    id: int
    ticket_id: str | None = Field(description="null on early warnings (spike, cluster)")
    kind: Kind = Field(
        description="warning: 80 % of the time to the deadline has passed; breach: it passed; "
        "spike: a category or product has far more complaints today than its baseline; "
        "cluster: minor complaints pile up on one product (see /api/analytics/warnings)"
    )
    deadline: Literal["first_response", "resolution"] | None = Field(
        default=None, description="null on early warnings"
    )
    due: str = Field(description="ISO 8601 UTC; an early warning's day at 00:00")
    severity: str | None = Field(
        default=None, description="the ticket's severity when the alert was raised"
    )
    category: str | None = None
    subject: str | None = Field(
        default=None, description="early warnings: category:<name> or product:<name>"
    )
    detail: dict[str, Any] | None = Field(
        default=None, description="early warnings: count, expected, p_value, window_days"
    )
    link: str = Field(description="the ticket in the agent console, or the dashboard")
    created_at: str
    acknowledged_at: str | None
    acknowledged_by: str | None = Field(description="who acknowledged it (audit name)")
    deliveries: list[DeliveryOut]


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


@router.get(
    "",
    summary="SLA alerts, newest first",
    description="Warnings (80 % of the time to a deadline gone) and breaches (a deadline "
    "missed), one per ticket and deadline, with their delivery to the webhook and the "
    "agents' Telegram group.\n" + ROLES_DOC + CONSOLE_DOC,
    response_model=AlertPage,
    # SLA alerts carry no subject or detail: left out rather than shown as null.
    response_model_exclude_unset=True,
)
async def list_endpoint(
    request: Request,
    _actor: Actor = Depends(alert_readers),
    unacknowledged: bool = Query(default=False, description="only alerts nobody acknowledged"),
    kind: Kind | None = Query(default=None),
    ticket_id: str | None = Query(default=None, max_length=40),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> dict[str, Any]:
    ticket = None
    if ticket_id is not None:
        ticket = normalise_ticket_id(ticket_id)
        if ticket is None:
            raise HTTPException(422, detail="ticket_id: expected CP-YYYYMMDD-NNNN")

    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            items, total = list_alerts(
                session,
                unacknowledged=unacknowledged,
                ticket_id=ticket,
                kind=kind,
                limit=limit,
                offset=offset,
            )
            return {
                "items": [alert_to_dict(alert) for alert in items],
                "total": total,
                "limit": limit,
                "offset": offset,
            }

    return await anyio.to_thread.run_sync(work)


@router.post(
    "/{alert_id}/ack",
    summary="Acknowledge an alert",
    description="Records who saw the alert (also on the ticket's trail). Acknowledging it "
    "again changes nothing: the first acknowledgement stays.\n" + ROLES_DOC + CONSOLE_DOC,
    response_model=AlertOut,
    response_model_exclude_unset=True,
    responses={404: {"description": "no such alert"}},
)
async def ack_endpoint(
    request: Request, alert_id: int, actor: Actor = Depends(alert_readers)
) -> dict[str, Any]:
    clock = getattr(request.app.state, "clock", utcnow)

    def work() -> dict[str, Any] | None:
        with transaction(request.app.state.sessions) as session:
            alert = acknowledge(session, alert_id, actor=actor, now=clock())
            return None if alert is None else alert_to_dict(alert)

    found = await anyio.to_thread.run_sync(work)
    if found is None:
        raise HTTPException(404, detail="no such alert")
    return found
