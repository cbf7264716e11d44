"""The console's remedy and validity endpoints (员工处理投诉的权力): agents grant remedies
within their authority, supervisors approve or decline the rest, agents judge validity."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from bot.db import transaction
from bot.handoff import desk
from bot.tickets.models import RemedyRequest, Ticket
from bot.tickets.permissions import check_decides
from bot.tickets.remedy import (
    MAX_TEXT_CHARS,
    RemedyConflict,
    approve_request,
    decider_verdict,
    decline_request,
    list_requests,
    request_remedy,
    request_to_dict,
)
from bot.tickets.remedy_policy import (
    REMEDY_TYPES,
    InvalidRemedy,
    RemedyPolicy,
    load_remedy_policy,
)
from bot.tickets.service import mark_validity, ticket_to_dict
from bot.web.api_console import (
    AUTH_DOC,
    ERRORS,
    TicketSummary,
    _clock,
    _run,
    _ticket_action,
    ticket_id_or_404,
)
from bot.web.api_tickets import TicketOut, Validity
from bot.web.auth import ConsoleAgent, console_agent

router = APIRouter(tags=["console"], responses=ERRORS)

REMEDY_DOC = """
What each role may grant on the spot comes from the remedy policy
(`COMPLAINTBOT_REMEDY_POLICY`, default `bot/tickets/remedy_policy.yml`): per role and
remedy type `unlimited`, `approval`, or a limit per currency. Shipped defaults: agents
refund up to 200 CNY (30 USD, 25 EUR, 220 HKD) and compensate up to 100 CNY; supervisors
ten times that; admins without limit; replacement, repair, apology and explanation on the
spot for everyone. One remedy per ticket, and none while a request waits.
"""


def remedy_policy(request: Request) -> RemedyPolicy:
    policy: RemedyPolicy | None = getattr(request.app.state, "remedy_policy", None)
    if policy is None:
        policy = load_remedy_policy(request.app.state.settings.remedy_policy)
        request.app.state.remedy_policy = policy
    return policy


def _conflict(exc: RemedyConflict) -> HTTPException:
    return HTTPException(409, detail=str(exc))


class RemedyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=20, description=" | ".join(REMEDY_TYPES))
    amount: Decimal | None = Field(
        default=None,
        gt=0,
        max_digits=12,
        decimal_places=2,
        description="positive, at most two decimals; required for refund and compensation, "
        "none for apology and explanation, optional (the value) for replacement and repair",
    )
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, description="ISO 4217, from the policy's list"
    )
    note: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)


class RemedyRequestOut(BaseModel):
    id: int
    ticket_id: str
    type: str
    amount: float | None
    currency: str | None
    note: str | None
    why: str = Field(description="why the requester could not grant it themselves")
    status: Literal["pending", "approved", "declined"]
    requested_by: str
    requested_at: str | None
    decided_by: str | None
    decided_at: str | None
    reason: str | None = Field(description="the decline reason, or the approver's note")
    can_decide: bool = Field(description="whether the caller may approve it now")
    cannot_decide_why: str | None
    ticket: TicketSummary | None


class RemedyOutcome(BaseModel):
    outcome: Literal["granted", "pending"]
    why: str = Field(description="the policy rule that decided")
    ticket: TicketOut
    request: RemedyRequestOut | None = Field(description="the request waiting for approval")


class RemedyDecided(BaseModel):
    request: RemedyRequestOut
    ticket: TicketOut


class RemedyRequestList(BaseModel):
    items: list[RemedyRequestOut]


class ApproveIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)


class DeclineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class ValidityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    validity: Validity
    reason: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


def _request_out(
    request_row: RemedyRequest, ticket: Ticket | None, agent: ConsoleAgent, policy: RemedyPolicy
) -> dict[str, Any]:
    verdict = decider_verdict(request_row, agent.actor, policy, approving=True)
    can = verdict.granted and request_row.status == "pending"
    return {
        **request_to_dict(request_row),
        "can_decide": can,
        "cannot_decide_why": None if can or request_row.status != "pending" else verdict.why,
        "ticket": desk.ticket_summary(ticket) if ticket is not None else None,
    }


class RemedyTypeOut(BaseModel):
    type: str
    amount: Literal["required", "optional", "none"]
    your_rule: str | dict[str, float] = Field(
        description="unlimited, approval, or your limit per currency"
    )


class RemedyPolicyOut(BaseModel):
    currencies: list[str]
    max_amount: float
    types: list[RemedyTypeOut]


@router.get(
    "/api/remedy-policy",
    summary="The remedy types, currencies and the signed-in person's own authority",
    description="What the console's remedy form offers, and what the caller may grant "
    "without approval." + REMEDY_DOC + AUTH_DOC,
    response_model=RemedyPolicyOut,
)
async def policy_for_me(
    request: Request, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    policy = remedy_policy(request)
    types = []
    for remedy_type in policy.types:
        rule = policy.rule(agent.actor.role, remedy_type)
        mine: str | dict[str, float] = (
            {code: float(limit) for code, limit in rule.limits.items()}
            if rule.kind == "limit"
            else rule.kind
        )
        types.append(
            {"type": remedy_type, "amount": policy.amount_rules[remedy_type], "your_rule": mine}
        )
    return {
        "currencies": list(policy.currencies),
        "max_amount": float(policy.max_amount),
        "types": types,
    }


@router.post(
    "/api/tickets/{ticket_id}/remedy",
    summary="Grant a remedy, or send it for approval when above your authority",
    description="200 with `outcome: granted`: within the caller's limit, written to the "
    "ticket's `remedy` (type, amount, currency, granted_by, approved_by null, granted_at) "
    "and audited as remedy_granted. 202 with `outcome: pending`: above it, a request for a "
    "supervisor (remedy_requested). 409 when the ticket is closed or withdrawn, already "
    "has a remedy, or has a request waiting. Agents on their own tickets only."
    + REMEDY_DOC
    + AUTH_DOC,
    response_model=RemedyOutcome,
    responses={202: {"description": "sent for approval", "model": RemedyOutcome}},
)
async def grant_remedy(
    request: Request,
    response: Response,
    ticket_id: str,
    body: RemedyIn,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    policy = remedy_policy(request)
    now = _clock(request)()
    try:
        remedy = policy.check(body.type, body.amount, body.currency)
    except InvalidRemedy as exc:
        raise HTTPException(422, detail=str(exc)) from None
    outcome: dict[str, Any] = {}

    def change(session: Any, ticket: Ticket) -> None:
        try:
            result = request_remedy(session, ticket=ticket, remedy=remedy, note=body.note,
                                    actor=agent.actor, now=now, policy=policy)  # fmt: skip
        except RemedyConflict as exc:
            raise _conflict(exc) from None
        outcome["granted"], outcome["why"] = result.granted, result.why
        if result.request is not None:
            outcome["request"] = _request_out(result.request, ticket, agent, policy)

    record, _conv, _owner = await _ticket_action(request, ticket_id, agent, change)
    if not outcome["granted"]:
        response.status_code = 202
    return {
        "outcome": "granted" if outcome["granted"] else "pending",
        "why": outcome["why"],
        "ticket": record,
        "request": outcome.get("request"),
    }


@router.get(
    "/api/remedy-requests",
    summary="Remedy requests: the pending ones for supervisors to decide",
    description="Supervisors and admins see everyone's requests, agents their own. "
    "`can_decide` says whether the caller may approve a pending one (not their own, "
    "within their authority). Pending requests oldest first, decided ones newest first." + AUTH_DOC,
    response_model=RemedyRequestList,
)
async def remedy_requests(
    request: Request,
    status: Literal["pending", "approved", "declined", "all"] = Query(default="pending"),
    ticket_id: str | None = Query(default=None, max_length=40),
    limit: int = Query(default=100, ge=1, le=500),
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    policy = remedy_policy(request)
    canonical = ticket_id_or_404(ticket_id) if ticket_id is not None else None
    mine_only = agent.actor.role not in ("supervisor", "admin")

    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            rows = list_requests(
                session,
                status=None if status == "all" else status,
                requested_by=agent.username if mine_only else None,
                ticket_id=canonical,
                limit=limit,
            )
            return {
                "items": [
                    _request_out(row, session.get(Ticket, row.ticket_id), agent, policy)
                    for row in rows
                ]
            }

    return await _run(work)


async def _decided(
    request: Request,
    agent: ConsoleAgent,
    decide: Callable[[Any, RemedyPolicy], tuple[RemedyRequest, Ticket]],
) -> dict[str, Any]:
    policy = remedy_policy(request)

    def work() -> dict[str, Any]:
        with transaction(request.app.state.sessions) as session:
            try:
                row, ticket = decide(session, policy)
            except RemedyConflict as exc:
                raise _conflict(exc) from None
            return {
                "request": _request_out(row, ticket, agent, policy),
                "ticket": ticket_to_dict(ticket),
            }

    return await _run(work)


@router.post(
    "/api/remedy-requests/{request_id}/approve",
    summary="Approve a pending remedy request (one click)",
    description="The remedy is written to the ticket with `granted_by` the requester and "
    "`approved_by` the caller (remedy_approved on the trail). Supervisors and admins "
    "only, within their own authority; nobody approves their own request except an "
    "admin. 409 when the request was already decided." + REMEDY_DOC + AUTH_DOC,
    response_model=RemedyDecided,
)
async def approve(
    request: Request,
    request_id: int,
    body: ApproveIn | None = None,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    now = _clock(request)()
    note = body.note if body is not None else None

    def decide(session: Any, policy: RemedyPolicy) -> tuple[RemedyRequest, Ticket]:
        return approve_request(session, request_id=request_id, actor=agent.actor, now=now,
                               policy=policy, note=note)  # fmt: skip

    return await _decided(request, agent, decide)


@router.post(
    "/api/remedy-requests/{request_id}/decline",
    summary="Decline a pending remedy request with a reason",
    description="The reason is kept on the request and the trail (remedy_declined); the "
    "ticket is free for another request. Supervisors and admins, not on their own "
    "requests (admins excepted)." + AUTH_DOC,
    response_model=RemedyDecided,
)
async def decline(
    request: Request,
    request_id: int,
    body: DeclineIn,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    now = _clock(request)()

    def decide(session: Any, policy: RemedyPolicy) -> tuple[RemedyRequest, Ticket]:
        return decline_request(session, request_id=request_id, reason=body.reason,
                               actor=agent.actor, now=now, policy=policy)  # fmt: skip

    return await _decided(request, agent, decide)


@router.post(
    "/api/tickets/{ticket_id}/validity",
    summary="Judge the complaint valid, invalid or malicious, with a reason",
    description="有效/无效, 善意/恶意: sets the ticket's `validity`; the reason is mandatory "
    "and kept on the trail (field_changed with before, after and reason). Agents on their "
    "own tickets; supervisors and admins on any." + AUTH_DOC,
    response_model=TicketOut,
)
async def set_validity(
    request: Request,
    ticket_id: str,
    body: ValidityIn,
    agent: ConsoleAgent = Depends(console_agent),
) -> dict[str, Any]:
    now = _clock(request)()

    def change(_session: Any, ticket: Ticket) -> None:
        check_decides(agent.actor, ticket, "judging validity")
        mark_validity(ticket, body.validity, body.reason, actor=agent.actor, now=now)

    record, _conv, _owner = await _ticket_action(request, ticket_id, agent, change)
    return record
