"""Teams API (tag teams): the teams of the teams file, each team's open tickets for the
coordinating group (supervisors and admins), and handing a ticket to another team (流转).

Without a teams file (COMPLAINTBOT_TEAMS unset) the list is empty and a hand-over answers
409: there is one queue for everyone, as before.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from bot.clock import iso, utcnow
from bot.db import transaction
from bot.tickets.audit import Actor
from bot.tickets.models import Ticket
from bot.tickets.permissions import LEAD_ROLES, Forbidden
from bot.tickets.service import OPEN_STATUSES, TicketNotFound, lock_ticket
from bot.tickets.teams import MAX_REASON_CHARS, HandOverError, Teams, hand_over
from bot.web.api_console import ticket_id_or_404
from bot.web.api_tickets import ERRORS, _policy
from bot.web.auth import ConsoleAgent, console_agent

NO_TEAM = "(none)"
AUTH_DOC = "\n\nSigned-in agents (the console's session cookie or an agent's bearer token)."

router = APIRouter(
    tags=["teams"],
    responses={
        **ERRORS,
        404: {"description": "no such ticket"},
        409: {"description": "not possible now (no teams file, the same team, a closed ticket)"},
    },
)


def configured(request: Request) -> Teams | None:
    teams: Teams | None = getattr(request.app.state, "teams", None)
    return teams


def _now(request: Request) -> datetime:
    return getattr(request.app.state, "clock", utcnow)()


class TeamOut(BaseModel):
    name: str
    title: dict[str, str]
    members: list[str]
    categories: list[str]
    products: list[str]


class TeamsOut(BaseModel):
    default: str | None = Field(description="where tickets no team owns go; null: no team")
    teams: list[TeamOut]
    mine: list[str] = Field(description="the teams of the signed-in agent")


@router.get(
    "/api/teams",
    summary="The teams, and which are yours",
    description="From the teams file; empty without one." + AUTH_DOC,
    response_model=TeamsOut,
)
async def teams_list(
    request: Request, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    teams = configured(request)
    if teams is None:
        return {"default": None, "teams": [], "mine": []}
    return {**teams.to_dict(), "mine": teams.of_member(agent.actor.username or "")}


class TeamQueue(BaseModel):
    team: str = Field(description=f"`{NO_TEAM}`: tickets no team owns")
    open: int = Field(description="tickets not resolved, closed or withdrawn")
    unassigned: int
    breached: int = Field(description="open tickets past an SLA deadline")
    oldest_created_at: str | None
    oldest_age_minutes: int | None


class QueuesOut(BaseModel):
    teams: list[TeamQueue]


def team_queues(session: Session, teams: Teams | None, now: datetime) -> list[dict[str, Any]]:
    """Each team's open tickets (every team of the file, empty ones too), file order, then
    the tickets no team owns."""
    rows = session.execute(
        select(
            Ticket.team,
            func.count(Ticket.id),
            func.sum(case((Ticket.assigned_agent.is_(None), 1), else_=0)),
            func.sum(case((Ticket.sla_breached.is_(True), 1), else_=0)),
            func.min(Ticket.created_at),
        )
        .where(Ticket.status.in_(list(OPEN_STATUSES)))
        .group_by(Ticket.team)
    ).all()
    found = {team: row for team, *row in rows}
    names: list[str | None] = [*(teams.teams if teams is not None else ()), None]
    names += sorted(name for name in found if name is not None and name not in names)
    result = []
    for name in names:
        count, unassigned, breached, oldest = found.get(name, (0, 0, 0, None))
        if name is None and not count:
            continue
        result.append({
            "team": NO_TEAM if name is None else name,
            "open": int(count),
            "unassigned": int(unassigned or 0),
            "breached": int(breached or 0),
            "oldest_created_at": iso(oldest),
            "oldest_age_minutes": None if oldest is None else int((now - oldest).total_seconds() // 60),
        })  # fmt: skip
    return result


@router.get(
    "/api/teams/queues",
    summary="Each team's open tickets, their age and breaches (supervisors)",
    description="For the coordinating group: per team, the open tickets, how many nobody "
    "has taken, how many are past a deadline, and the oldest one's age. Supervisors and "
    "admins; agents get 403." + AUTH_DOC,
    response_model=QueuesOut,
)
async def queues(request: Request, agent: ConsoleAgent = Depends(console_agent)) -> dict[str, Any]:
    if agent.actor.role not in LEAD_ROLES:
        raise HTTPException(403, detail="per-team queues are for supervisors and admins")
    teams, now = configured(request), _now(request)

    def work() -> list[dict[str, Any]]:
        with request.app.state.sessions() as session:
            return team_queues(session, teams, now)

    return {"teams": await anyio.to_thread.run_sync(work)}


class TicketTeamOut(BaseModel):
    ticket_id: str
    team: str | None = Field(description="the owning team; null: none")
    hops: list[dict[str, Any]] = Field(
        description="every hand-over, oldest first: at, who, from, to, reason"
    )


def _ticket_team(ticket: Ticket) -> dict[str, Any]:
    hops = [
        {"at": iso(e.at), "who": e.actor, "from": e.data.get("from"), "to": e.data.get("to"),
         "reason": e.data.get("reason")}
        for e in ticket.events
        if e.action == "handed_over" and e.data
    ]  # fmt: skip
    return {"ticket_id": ticket.id, "team": ticket.team, "hops": hops}


@router.get(
    "/api/tickets/{ticket_id}/team",
    summary="The ticket's owning team and its hand-overs",
    description="The team is kept apart from the ticket record (DESIGN §6 fixes its "
    "fields); the trail holds the same `routed` and `handed_over` events." + AUTH_DOC,
    response_model=TicketTeamOut,
)
async def ticket_team(
    request: Request, ticket_id: str, _agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    canonical = ticket_id_or_404(ticket_id)

    def work() -> dict[str, Any] | None:
        with request.app.state.sessions() as session:
            ticket = session.get(Ticket, canonical)
            return None if ticket is None else _ticket_team(ticket)

    found = await anyio.to_thread.run_sync(work)
    if found is None:
        raise HTTPException(404, detail="no such ticket")
    return found


class HandOverIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    team: str = Field(min_length=1, max_length=40, description="the receiving team")
    reason: str = Field(min_length=1, max_length=MAX_REASON_CHARS, description="on the trail")


def check_hand_over(actor: Actor, ticket: Ticket, teams: Teams) -> None:
    """Supervisors and admins hand over any ticket; an agent, the tickets they work on and
    the untaken ones of their own teams (or of no team)."""
    if actor.role in LEAD_ROLES:
        return
    me = actor.username or ""
    if ticket.assigned_agent == me:
        return
    if ticket.assigned_agent is None and (
        ticket.team is None or ticket.team in teams.of_member(me)
    ):
        return
    raise Forbidden(f"ticket {ticket.id} is not yours or your team's to hand over")


@router.post(
    "/api/tickets/{ticket_id}/team",
    summary="Hand the ticket to another team (流转), with a reason",
    description="The trail keeps every hop (`handed_over`: from, to, reason, by whom); the "
    "receiving team's members are told in the console and in the agents' Telegram group "
    "when there is one. The ticket keeps its agent and conversation until someone of the "
    "new team takes it; a team with its own SLA targets gets the deadlines they give "
    "(from the ticket's creation). Agents hand over their own tickets and their team's "
    "untaken ones; supervisors and admins any. 409 without a teams file; 422 for an unknown team, the "
    "same team or an empty reason." + AUTH_DOC,
    response_model=TicketTeamOut,
)
async def hand_over_endpoint(
    request: Request, ticket_id: str, body: HandOverIn, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    teams = configured(request)
    if teams is None:
        raise HTTPException(409, detail="no teams are set up (COMPLAINTBOT_TEAMS)")
    canonical = ticket_id_or_404(ticket_id)
    now, policy = _now(request), _policy(request)

    def work() -> dict[str, Any]:
        with transaction(request.app.state.sessions) as session:
            ticket = lock_ticket(session, canonical)
            check_hand_over(agent.actor, ticket, teams)
            hand_over(ticket, body.team, body.reason, teams, actor=agent.actor, now=now,
                      policy=policy)  # fmt: skip
            session.flush()
            return _ticket_team(ticket)

    try:
        record = await anyio.to_thread.run_sync(work)
    except TicketNotFound:
        raise HTTPException(404, detail="no such ticket") from None
    except Forbidden as exc:
        raise HTTPException(403, detail=str(exc)) from None
    except HandOverError as exc:
        raise HTTPException(422, detail=str(exc)) from None
    notify_team(request, record["ticket_id"], body.team, body.reason, teams)
    return record


def notify_team(request: Request, ticket_id: str, team: str, reason: str, teams: Teams) -> None:
    """The receiving team's members: a flash in their consoles, a post in the Telegram group."""
    members = sorted(teams.members(team))
    live = getattr(request.app.state, "console_live", None)
    if live is not None:
        live.wake()  # the sockets read the hand-over from the trail (console_live._handovers)
    channel = getattr(request.app.state, "telegram", None)
    group = channel.agents if channel is not None else None
    if group is not None:
        group.team_handover(ticket_id, to_team=team, reason=reason, members=members)
