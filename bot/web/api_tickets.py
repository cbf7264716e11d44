"""Ticket API (DESIGN §7): list with filters, fetch one, update by agents (audited)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.clock import utcnow
from bot.db import transaction
from bot.tickets.audit import Actor
from bot.tickets.lifecycle import InvalidTransition
from bot.tickets.models import CATEGORIES, CHANNELS
from bot.tickets.numbering import normalise_ticket_id
from bot.tickets.permissions import Forbidden, check_decides, check_read, check_update
from bot.tickets.service import (
    InvalidChange,
    TicketFilter,
    TicketNotFound,
    apply_changes,
    get_ticket,
    list_tickets,
    lock_ticket,
    mark_validity,
    ticket_to_dict,
)
from bot.tickets.sla import SlaPolicy, load_policy
from bot.web.auth import actor_or_console, current_actor

Status = Literal["open", "escalated", "in_progress", "resolved", "closed", "reopened", "withdrawn"]
Severity = Literal["general", "major", "urgent"]
Validity = Literal["valid", "invalid", "malicious"]

ROLES_DOC = """
Every endpoint needs `Authorization: Bearer <token>`: the service token
(`COMPLAINTBOT_API_TOKEN`, full access) or an agent's own token
(`complaintbot agents add NAME --role agent|supervisor|admin`).

- **service, admin, supervisor**: read every ticket; change anything on any ticket
  (status, severity, assignment, validity, resolution note, notes).
- **agent**: read every ticket; change only tickets assigned to them or unassigned ones
  (starting work on an unassigned ticket takes it); take a ticket or release their own,
  never give one to someone else; raise severity, never lower it.

401: no token, or an unknown or deactivated one. 403: a valid token whose role does not
allow the change.
"""

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "no bearer token, or an unknown or deactivated one"},
    403: {"description": "the token is valid but its role does not allow this"},
}


async def readers(actor: Actor = Depends(current_actor)) -> Actor:
    """Any authenticated caller whose role may read tickets (all roles today)."""
    try:
        check_read(actor)
    except Forbidden as exc:
        raise HTTPException(403, detail=str(exc)) from None
    return actor


async def list_readers(actor: Actor = Depends(actor_or_console)) -> Actor:
    """`readers`, or the console's session too: the dashboard's all-tickets list reads
    with the signed-in person's cookie (reading only; changes need a bearer token here)."""
    return await readers(actor)


router = APIRouter(prefix="/api/tickets", tags=["tickets"], responses=ERRORS)


class TicketEventOut(BaseModel):
    at: str = Field(description="ISO 8601 UTC")
    who: str = Field(description="bot, system, service, agent:<username> or operator:<name>")
    what: str = Field(
        description="created, status_changed, field_changed (before → after), note, "
        "first_response, sla_breached, customer_forgotten, ..."
    )
    data: dict[str, Any] | None = None


class TicketOut(BaseModel):
    """The ticket record, field names as in DESIGN §6; times ISO 8601 UTC."""

    id: str
    status: str
    category: str
    severity: str
    motive: str | None
    emotion_peak: str | None
    description: str | None
    order_id: str | None
    product: str | None
    desired_resolution: str | None
    contact_phone: str | None
    contact_email: str | None
    channel: str
    sender_id: str
    language: str
    assigned_agent: str | None
    resolution_note: str | None
    csat: int | None
    reopen_count: int
    created_at: str
    first_response_due: str | None
    resolution_due: str | None
    first_responded_at: str | None
    resolved_at: str | None
    closed_at: str | None
    sla_breached: bool
    validity: str | None
    remedy: dict[str, Any] | None
    events: list[TicketEventOut]


class TicketPage(BaseModel):
    items: list[TicketOut]
    total: int = Field(description="tickets matching the filters, all pages")
    limit: int
    offset: int


class TicketPatch(BaseModel):
    """The changes to make; fields left out stay as they are. All or nothing."""

    model_config = ConfigDict(extra="forbid")

    status: Status | None = Field(
        default=None,
        description="next status; only lifecycle transitions are accepted (409 otherwise)",
    )
    severity: Severity | None = Field(
        default=None, description="recomputes both SLA deadlines from the ticket's creation"
    )
    assigned_agent: str | None = Field(
        default=None, max_length=40, description="an active agent's username; null unassigns"
    )
    validity: Validity | None = Field(
        default=None,
        description="the judgement of a person working the ticket (as the console's): an "
        "agent on their own ticket, a supervisor or admin on any, never the service token; "
        "needs `validity_reason`",
    )
    validity_reason: str | None = Field(
        default=None, max_length=1000, description="why: mandatory with `validity`"
    )
    resolution_note: str | None = Field(default=None, max_length=4000)
    note: str | None = Field(
        default=None, min_length=1, max_length=4000, description="internal note for the trail"
    )


def _policy(request: Request) -> SlaPolicy:
    policy: SlaPolicy | None = getattr(request.app.state, "sla_policy", None)
    if policy is None:
        policy = load_policy(request.app.state.settings.sla_policy)
        request.app.state.sla_policy = policy
    return policy


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@router.get(
    "",
    summary="List tickets, newest first, with filters",
    description="Filters combine with AND; repeat status, severity or category for OR.\n"
    + ROLES_DOC,
    response_model=TicketPage,
)
async def list_endpoint(
    request: Request,
    _actor: Actor = Depends(list_readers),
    sender_id: str | None = Query(default=None, max_length=200),
    channel: str | None = Query(default=None, pattern="^(" + "|".join(CHANNELS) + ")$"),
    status: list[Status] | None = Query(default=None, description="repeat for several"),
    severity: list[Severity] | None = Query(default=None, description="repeat for several"),
    category: list[str] | None = Query(default=None, description=", ".join(CATEGORIES)),
    assigned_agent: str | None = Query(default=None, max_length=40),
    unassigned: bool = Query(default=False, description="only tickets nobody has taken"),
    breached: bool | None = Query(default=None, description="SLA breached or not"),
    created_from: datetime | None = Query(default=None, description="inclusive; UTC if naive"),
    created_to: datetime | None = Query(default=None, description="exclusive; UTC if naive"),
    q: str | None = Query(
        default=None,
        max_length=200,
        description="text in the id, description, order, product, contact or sender id",
    ),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
) -> dict[str, Any]:
    unknown = sorted(set(category or ()) - set(CATEGORIES))
    if unknown:
        raise HTTPException(422, detail=f"unknown category {', '.join(unknown)}")
    where = TicketFilter(
        sender_id=sender_id,
        channel=channel,
        statuses=list(status or ()),
        severities=list(severity or ()),
        categories=list(category or ()),
        assigned_agent=assigned_agent,
        unassigned=unassigned,
        breached=breached,
        created_from=_utc(created_from),
        created_to=_utc(created_to),
        text=q,
    )

    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            items, total = list_tickets(session, where=where, limit=limit, offset=offset)
            return {
                "items": [ticket_to_dict(t) for t in items],
                "total": total,
                "limit": limit,
                "offset": offset,
            }

    return await anyio.to_thread.run_sync(work)


@router.get(
    "/{ticket_id}",
    summary="One ticket with its audit trail",
    description=ROLES_DOC,
    response_model=TicketOut,
    responses={404: {"description": "no such ticket"}},
)
async def get_endpoint(
    request: Request, ticket_id: str, _actor: Actor = Depends(readers)
) -> dict[str, Any]:
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


@router.patch(
    "/{ticket_id}",
    summary="Update a ticket (status, severity, assignment, validity, notes), audited",
    description="Applies every given change with an audit event each (who, what, before → "
    "after, when), or none of them. Status changes follow the lifecycle: open → escalated | "
    "in_progress | resolved | withdrawn; escalated, in_progress, reopened → the same "
    "minus themselves; resolved → closed | reopened; closed and withdrawn are final. A "
    "change to in_progress or resolved by a person counts as the first response and, on "
    "an unassigned ticket, assigns it to them. A severity change recomputes both "
    "deadlines from the ticket's creation.\n" + ROLES_DOC,
    response_model=TicketOut,
    responses={
        404: {"description": "no such ticket"},
        409: {"description": "the status change is not an allowed lifecycle transition"},
        422: {"description": "invalid values (unknown agent, empty update, ...)"},
    },
)
async def patch_endpoint(
    request: Request, ticket_id: str, body: TicketPatch, actor: Actor = Depends(readers)
) -> dict[str, Any]:
    canonical = normalise_ticket_id(ticket_id)
    if canonical is None:
        raise HTTPException(404, detail="no such ticket")
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    for name in ("status", "severity", "note"):
        if name in changes and changes[name] is None:
            del changes[name]  # null means "no change" for fields that cannot be empty
    if not changes:
        raise HTTPException(422, detail="nothing to change")
    # Validity is a person's judgement with a reason, as in the console (bot.web.api_remedy).
    reason = changes.pop("validity_reason", None)
    judged = "validity" in changes
    verdict = changes.pop("validity", None)
    if not judged and reason is not None:
        raise HTTPException(422, detail="validity_reason goes with validity")
    policy = _policy(request)
    clock = getattr(request.app.state, "clock", utcnow)

    def work() -> dict[str, Any]:
        with transaction(request.app.state.sessions) as session:
            try:
                ticket = lock_ticket(session, canonical)
                check_update(actor, ticket, changes)
                if judged:
                    check_decides(actor, ticket, "judging validity")
                if changes:
                    apply_changes(session, ticket=ticket, changes=changes, actor=actor,
                                  now=clock(), policy=policy)  # fmt: skip
                if judged and verdict is None:  # back to "not assessed"
                    apply_changes(session, ticket=ticket, changes={"validity": None},
                                  actor=actor, now=clock(), policy=policy)  # fmt: skip
                elif judged:
                    mark_validity(ticket, verdict, reason or "", actor=actor, now=clock())
            except TicketNotFound:
                raise HTTPException(404, detail="no such ticket") from None
            except Forbidden as exc:
                raise HTTPException(403, detail=str(exc)) from None
            except InvalidTransition as exc:
                raise HTTPException(409, detail=str(exc)) from None
            except InvalidChange as exc:
                raise HTTPException(422, detail=str(exc)) from None
            return ticket_to_dict(ticket)

    result = await anyio.to_thread.run_sync(work)
    followup = getattr(request.app.state, "followup", None)
    if changes.get("status") == "resolved" and followup is not None:
        followup.start_soon(result["id"])  # 回访: the bot asks the customer for a rating
    return result
