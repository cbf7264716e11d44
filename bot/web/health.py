"""GET /healthz: the state of Rasa, the action server, the database and the queue."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
from fastapi import APIRouter, Request
from sqlalchemy import text

from bot.handoff.queue import make_queue

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Component health (always 200; read `status`)")
async def healthz(request: Request) -> dict[str, Any]:
    state = request.app.state

    def database() -> dict[str, Any]:
        try:
            with state.sessions() as session:
                session.execute(text("SELECT 1"))
            return {"ok": True, "backend": state.settings.database_url.split(":", 1)[0]}
        except Exception as exc:  # reported, not raised: health must always answer
            return {"ok": False, "error": type(exc).__name__}

    async def actions() -> dict[str, Any]:
        try:
            response = await state.http.get(f"{state.settings.actions_url}/health", timeout=3.0)
            return {"ok": response.status_code == 200}
        except httpx.HTTPError as exc:
            return {"ok": False, "error": type(exc).__name__}

    def queue() -> dict[str, Any]:
        handoff = getattr(state, "queue", None)
        if handoff is not None:
            return dict(handoff.health())
        # An app that keeps no queue of its own: a short-lived one answers (no pool kept).
        handoff = make_queue(state.settings, state.sessions, timeout=2.0)
        try:
            return dict(handoff.health())
        finally:
            handoff.close()

    db_state = await anyio.to_thread.run_sync(database)
    components = {
        "rasa": await state.rasa.status(),
        "actions": await actions(),
        "database": db_state,
        "queue": await anyio.to_thread.run_sync(queue),
    }
    healthy = all(part["ok"] for part in components.values())
    return {"status": "ok" if healthy else "degraded", **components}
