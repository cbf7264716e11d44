"""Health of the gateway, three questions for three audiences:

- `GET /healthz/live`: is this process working? (a restart is the cure when not). Touches
  nothing outside the process, so a dead Rasa or database never gets the gateway restarted.
- `GET /healthz/ready`: should traffic come here? 200 only when Rasa, the action server and
  the database answer; 503 otherwise, naming what is not ready.
- `GET /healthz`: the state of every part for people (always 200; read `status`).
"""

from __future__ import annotations

from typing import Any

import anyio
import httpx
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from bot.handoff.queue import make_queue

router = APIRouter(tags=["health"])

# Seconds each dependency gets to answer a health question.
PROBE_TIMEOUT = 3.0


def _database(state: Any) -> dict[str, Any]:
    try:
        with state.sessions() as session:
            session.execute(text("SELECT 1"))
        return {"ok": True, "backend": state.settings.database_url.split(":", 1)[0]}
    except Exception as exc:  # reported, not raised: health must always answer
        return {"ok": False, "error": type(exc).__name__}


async def _actions(state: Any) -> dict[str, Any]:
    try:
        url = f"{state.settings.actions_url}/health"
        response = await state.http.get(url, timeout=PROBE_TIMEOUT)
        if response.status_code == 200:
            return {"ok": True}
        return {"ok": False, "error": f"HTTP {response.status_code}"}
    except httpx.HTTPError as exc:
        return {"ok": False, "error": type(exc).__name__}


def _queue(state: Any) -> dict[str, Any]:
    handoff = getattr(state, "queue", None)
    if handoff is not None:
        return dict(handoff.health())
    # An app that keeps no queue of its own: a short-lived one answers (no pool kept).
    handoff = make_queue(state.settings, state.sessions, timeout=2.0)
    try:
        return dict(handoff.health())
    finally:
        handoff.close()


def _problem(part: dict[str, Any]) -> str | None:
    """The error of a part that did not answer (a replica's, for Rasa)."""
    if part.get("error"):
        return str(part["error"])
    states = [state for state in part.get("replicas", {}).values() if state != "ok"]
    return str(states[0]) if states else None


async def check_parts(state: Any) -> dict[str, dict[str, Any]]:
    """Rasa, the action server and the database, asked at the same time. What they answer
    also feeds the start-up grace (replicas seen ready) and the metrics."""
    found: dict[str, dict[str, Any]] = {}

    async def ask_rasa() -> None:
        found["rasa"] = await state.rasa.status()

    async def ask_actions() -> None:
        found["actions"] = await _actions(state)

    async def ask_database() -> None:
        found["database"] = await anyio.to_thread.run_sync(_database, state)

    async with anyio.create_task_group() as group:
        group.start_soon(ask_rasa)
        group.start_soon(ask_actions)
        group.start_soon(ask_database)
    startup = getattr(state, "startup", None)
    if startup is not None:
        startup.seen(found["rasa"].get("replicas", {}))
    metrics = getattr(state, "metrics", None)
    if metrics is not None:
        for name, part in found.items():
            metrics.component_checked(name, bool(part["ok"]), _problem(part))
    return {name: found[name] for name in ("rasa", "actions", "database")}


@router.get("/healthz", summary="Component health (always 200; read `status`)")
async def healthz(request: Request) -> dict[str, Any]:
    state = request.app.state
    components = await check_parts(state)
    components["queue"] = await anyio.to_thread.run_sync(_queue, state)
    healthy = all(part["ok"] for part in components.values())
    return {"status": "ok" if healthy else "degraded", **components}


@router.get(
    "/healthz/live",
    summary="Liveness: 200 while this process serves requests (asks no other service)",
)
async def live() -> dict[str, str]:
    return {"status": "alive"}


READY_EXAMPLE = {
    "status": "not ready",
    "not_ready": ["rasa"],
    "rasa": {"ok": False, "replicas": {"http://127.0.0.1:5005": "ConnectError"}},
    "actions": {"ok": True},
    "database": {"ok": True, "backend": "sqlite"},
}


@router.get(
    "/healthz/ready",
    summary="Readiness: 200 when Rasa, the action server and the database answer, else 503",
    responses={
        503: {
            "description": "a part is not ready; `not_ready` names it",
            "content": {"application/json": {"example": READY_EXAMPLE}},
        }
    },
)
async def ready(request: Request) -> JSONResponse:
    """For load balancers and Kubernetes readiness probes. With several Rasa replicas
    balanced by turn, one answering replica is enough (the others are skipped); balanced
    by conversation, every replica must answer."""
    parts = await check_parts(request.app.state)
    rasa = parts["rasa"]
    if rasa.get("balance") == "turn":
        rasa_ok = any(value == "ok" for value in rasa.get("replicas", {}).values())
    else:
        rasa_ok = bool(rasa["ok"])
    ok = {"rasa": rasa_ok, "actions": bool(parts["actions"]["ok"])}
    ok["database"] = bool(parts["database"]["ok"])
    not_ready = [name for name, fine in ok.items() if not fine]
    body = {"status": "not ready" if not_ready else "ready", "not_ready": not_ready, **parts}
    return JSONResponse(status_code=503 if not_ready else 200, content=body)
