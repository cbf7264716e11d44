"""Analytics API (tag analytics): summary figures, daily series, early warnings, the
tickets behind a figure, CSV export, and improvement actions. Supervisors and admins (or
the service token); the dashboard calls it with the console's session cookie."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from bot.analytics import export
from bot.analytics.figures import (
    DIMENSIONS,
    DRILL_FIELDS,
    DrillDown,
    Filters,
    by_team,
    drill_down,
    summary,
    timeseries,
)
from bot.analytics.improvements import (
    InvalidAction,
    NewAction,
    action_to_dict,
    create_action,
    delete_action,
    list_actions,
    update_action,
)
from bot.analytics.models import ImprovementAction
from bot.analytics.warnings import detect_range
from bot.clock import utcnow
from bot.db import transaction
from bot.tickets.audit import Actor
from bot.tickets.models import CATEGORIES, CHANNELS
from bot.web.api_tickets import ERRORS
from bot.web.auth import actor_or_console

ANALYST_ROLES = frozenset({"service", "supervisor", "admin"})
DEFAULT_DAYS = 30
MAX_DAYS = 731
MAX_WARNING_DAYS = 92

ROLES_DOC = """
For supervisors and admins (their bearer token or the console's session cookie) and the
service token (`COMPLAINTBOT_API_TOKEN`); agents get 403. Days are UTC; `until` is
included. Without dates: the last 30 days up to today.
"""

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
Channel = Literal[CHANNELS]  # type: ignore[valid-type]
Format = Literal["json", "csv"]


async def analysts(actor: Actor = Depends(actor_or_console)) -> Actor:
    if actor.role not in ANALYST_ROLES:
        raise HTTPException(403, detail="analytics are for supervisors and admins")
    return actor


def _today(request: Request) -> date:
    return getattr(request.app.state, "clock", utcnow)().date()


def filters_from(
    request: Request,
    since: date | None = Query(default=None, description="first day (UTC), included"),
    until: date | None = Query(default=None, description="last day (UTC), included"),
    category: Category | None = Query(default=None),
    channel: Channel | None = Query(default=None),
    language: Literal["zh", "en"] | None = Query(default=None),
) -> Filters:
    last = until or _today(request)
    first = since or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise HTTPException(422, detail="since is after until")
    if (last - first).days >= MAX_DAYS:
        raise HTTPException(422, detail=f"at most {MAX_DAYS} days at a time")
    return Filters.days(first, last, category=category, channel=channel, language=language)


# Operations with `format=csv` answer text/csv instead of JSON: documented as such.
CSV_TOO: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
}


def _csv(text: str, name: str) -> Response:
    return Response(
        content=text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


async def _read(request: Request, work: Any) -> Any:
    def run() -> Any:
        with request.app.state.sessions() as session:
            return work(session)

    return await anyio.to_thread.run_sync(run)


router = APIRouter(prefix="/api/analytics", tags=["analytics"], responses=ERRORS)


@router.get(
    "/summary",
    responses=CSV_TOO,
    summary="Summary figures",
    description="Counts by category, severity, channel, language, product (top 20), motive "
    "and day; SLA compliance; median and p90 minutes to first response and to resolution; "
    "CSAT; reopen rate; repeat complainants; validity; top root causes (category × "
    "product, invalid and malicious tickets left out). `format=csv`: rows of figure, key, "
    "value.\n" + ROLES_DOC,
)
async def summary_endpoint(
    request: Request,
    _actor: Actor = Depends(analysts),
    filters: Filters = Depends(filters_from),
    format: Format = Query(default="json"),
) -> Any:
    found = await _read(request, lambda session: summary(session, filters))
    return _csv(export.to_csv(found), "summary") if format == "csv" else found


@router.get(
    "/timeseries",
    responses=CSV_TOO,
    summary="Complaints per day",
    description="Every day of the range (zeros included), in total or one series per value "
    "of `by`.\n" + ROLES_DOC,
)
async def timeseries_endpoint(
    request: Request,
    _actor: Actor = Depends(analysts),
    filters: Filters = Depends(filters_from),
    by: Literal[DIMENSIONS] | None = Query(default=None),  # type: ignore[valid-type]
    format: Format = Query(default="json"),
) -> Any:
    found = await _read(request, lambda session: timeseries(session, filters, by=by))
    if format == "csv":
        names = list(found["series"])
        items = [
            {"day": day, **{name: found["series"][name][i] for name in names}}
            for i, day in enumerate(found["days"])
        ]
        return _csv(export.table_csv(items, ("day", *names)), "timeseries")
    return found


@router.get(
    "/teams",
    responses=CSV_TOO,
    summary="Figures per owning team",
    description="For each team of the teams file (tickets without a team under "
    "`(none)`): volume, median minutes to first response and to resolution, SLA "
    "compliance and CSAT, largest team first. `format=csv`: one row per team.\n" + ROLES_DOC,
)
async def teams_endpoint(
    request: Request,
    _actor: Actor = Depends(analysts),
    filters: Filters = Depends(filters_from),
    format: Format = Query(default="json"),
) -> Any:
    found = await _read(request, lambda session: by_team(session, filters))
    if format == "csv":
        items = [
            {
                "team": row["team"],
                "total": row["total"],
                "first_response_median_minutes": row["first_response_median_minutes"],
                "resolution_median_minutes": row["resolution_median_minutes"],
                "sla_compliance_pct": row["sla"]["compliance_pct"],
                "csat_rated": row["csat"]["rated"],
                "csat_average": row["csat"]["average"],
            }
            for row in found
        ]
        columns = ("team", "total", "first_response_median_minutes", "resolution_median_minutes",
                   "sla_compliance_pct", "csat_rated", "csat_average")  # fmt: skip
        return _csv(export.table_csv(items, columns), "teams")
    return {"filters": filters.shown(), "teams": found}


@router.get(
    "/warnings",
    summary="Early warnings: spikes and clusters",
    description="Each day of the range tested (see docs/ANALYTICS.md): a spike when a "
    "category's or product's count is improbably high for its 28-day baseline (Poisson, "
    "p < 0.001, at least 5), a cluster when a product's general-severity complaints over 7 "
    "days are. Today's are also raised as alerts (GET /api/alerts?kind=spike|cluster). "
    f"At most {MAX_WARNING_DAYS} days; default the last 14.\n" + ROLES_DOC,
)
async def warnings_endpoint(
    request: Request,
    _actor: Actor = Depends(analysts),
    since: date | None = Query(default=None),
    until: date | None = Query(default=None),
) -> dict[str, Any]:
    last = until or _today(request)
    first = since or last - timedelta(days=13)
    if first > last or (last - first).days >= MAX_WARNING_DAYS:
        raise HTTPException(422, detail=f"since ≤ until, at most {MAX_WARNING_DAYS} days")
    found = await _read(request, lambda session: detect_range(session, first, last))
    return {"since": first.isoformat(), "until": last.isoformat(),
            "items": [d.to_dict() for d in found]}  # fmt: skip


@router.get(
    "/tickets",
    responses=CSV_TOO,
    summary="The tickets behind a figure",
    description="Newest first, without personal data (no description or contact). "
    "`product=(none)` for tickets without one; `validity=unassessed` for those not judged "
    "yet. `format=csv` exports every matching ticket (up to 100 000).\n" + ROLES_DOC,
)
async def tickets_endpoint(
    request: Request,
    _actor: Actor = Depends(analysts),
    filters: Filters = Depends(filters_from),
    severity: Literal["general", "major", "urgent"] | None = Query(default=None),
    product: str | None = Query(default=None, max_length=200),
    motive: Literal["suggestion", "venting", "resolution", "compensation"] | None = None,
    validity: Literal["valid", "invalid", "malicious", "unassessed"] | None = None,
    day: date | None = Query(default=None),
    sla_breached: bool | None = Query(default=None),
    reopened: bool | None = Query(default=None),
    csat: int | None = Query(default=None, ge=1, le=5),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    format: Format = Query(default="json"),
) -> Any:
    narrower = DrillDown(severity, product, motive, validity, day, sla_breached, reopened, csat)
    if format == "csv":
        limit, offset = 100_000, 0
    items, total = await _read(
        request,
        lambda session: drill_down(session, filters, narrower, limit=limit, offset=offset),
    )
    if format == "csv":
        return _csv(export.table_csv(items, DRILL_FIELDS), "tickets")
    return {"items": items, "total": total, "limit": limit, "offset": offset}


# --- improvement actions -------------------------------------------------------------------

improvements = APIRouter(prefix="/api/improvements", tags=["analytics"], responses=ERRORS)

ACTIONS_DOC = (
    "Corrective actions against a root cause: a category, or a category on one product. "
    "Each carries `effect`: the cause's complaints per day (and share of all complaints) in "
    "the 28 days before `started_on` and from then on (up to today, at most 28 days); "
    "invalid and malicious tickets left out.\n" + ROLES_DOC
)
Status = Literal["planned", "in_progress", "done", "cancelled"]


class ActionIn(BaseModel):
    category: Category
    product: str | None = Field(default=None, max_length=200, description="null: all products")
    title: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    owner: str = Field(min_length=1, max_length=100, description="who does it")
    due_on: date | None = None
    started_on: date = Field(description="the day the change took effect")
    status: Status = "planned"


class ActionChange(BaseModel):
    product: str | None = Field(default=None, max_length=200)
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    owner: str | None = Field(default=None, min_length=1, max_length=100)
    due_on: date | None = None
    started_on: date | None = None
    status: Status | None = None


def _shown(request: Request, session: Any, action: ImprovementAction) -> dict[str, Any]:
    return action_to_dict(session, action, today=_today(request))


@improvements.get("", summary="Improvement actions, latest start first", description=ACTIONS_DOC)
async def list_improvements(
    request: Request,
    _actor: Actor = Depends(analysts),
    status: Status | None = Query(default=None),
    category: Category | None = Query(default=None),
) -> dict[str, Any]:
    def work(session: Any) -> dict[str, Any]:
        found = list_actions(session, status=status, category=category)
        return {"items": [_shown(request, session, action) for action in found]}

    return await _read(request, work)


@improvements.post(
    "", status_code=201, summary="Record an improvement action", description=ACTIONS_DOC
)
async def create_improvement(
    request: Request, body: ActionIn, actor: Actor = Depends(analysts)
) -> dict[str, Any]:
    now: datetime = getattr(request.app.state, "clock", utcnow)()

    def work() -> dict[str, Any]:
        with transaction(request.app.state.sessions) as session:
            action = create_action(
                session, new=NewAction(**body.model_dump()), actor=actor, now=now
            )
            return _shown(request, session, action)

    return await anyio.to_thread.run_sync(work)


@improvements.get("/{action_id}", summary="One improvement action", description=ACTIONS_DOC,
                  responses={404: {"description": "no such action"}})  # fmt: skip
async def get_improvement(
    request: Request, action_id: int, _actor: Actor = Depends(analysts)
) -> dict[str, Any]:
    def work(session: Any) -> dict[str, Any] | None:
        action = session.get(ImprovementAction, action_id)
        return None if action is None else _shown(request, session, action)

    found = await _read(request, work)
    if found is None:
        raise HTTPException(404, detail="no such action")
    return found


@improvements.patch(
    "/{action_id}",
    summary="Change an improvement action (status, owner, dates, ...)",
    description=ACTIONS_DOC,
    responses={404: {"description": "no such action"}},
)
async def change_improvement(
    request: Request, action_id: int, body: ActionChange, _actor: Actor = Depends(analysts)
) -> dict[str, Any]:
    now: datetime = getattr(request.app.state, "clock", utcnow)()
    changes = body.model_dump(exclude_unset=True)
    for required in ("title", "owner", "started_on", "status"):
        if required in changes and changes[required] is None:
            raise HTTPException(422, detail=f"{required} cannot be null")

    def work() -> dict[str, Any] | None:
        with transaction(request.app.state.sessions) as session:
            action = update_action(session, action_id, changes, now=now)
            return None if action is None else _shown(request, session, action)

    try:
        found = await anyio.to_thread.run_sync(work)
    except InvalidAction as exc:
        raise HTTPException(422, detail=str(exc)) from None
    if found is None:
        raise HTTPException(404, detail="no such action")
    return found


@improvements.delete("/{action_id}", status_code=204, summary="Delete an improvement action",
                     responses={404: {"description": "no such action"}})  # fmt: skip
async def delete_improvement(
    request: Request, action_id: int, _actor: Actor = Depends(analysts)
) -> Response:
    def work() -> bool:
        with transaction(request.app.state.sessions) as session:
            return delete_action(session, action_id)

    if not await anyio.to_thread.run_sync(work):
        raise HTTPException(404, detail="no such action")
    return Response(status_code=204)
