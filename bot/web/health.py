"""GET /healthz: the state of Rasa, the action server, the database and the queue."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
from fastapi import APIRouter, Request
from sqlalchemy import text

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

    async def queue(db_state: dict[str, Any]) -> dict[str, Any]:
        if not state.settings.redis_url:
            # Embedded default: the handoff queue lives in the database.
            return {"ok": db_state["ok"], "backend": "database"}
        import redis.asyncio as aioredis

        client = aioredis.from_url(state.settings.redis_url, socket_timeout=2)
        try:
            await client.ping()
            return {"ok": True, "backend": "redis"}
        except Exception as exc:  # any Redis failure is a state to report
            return {"ok": False, "backend": "redis", "error": type(exc).__name__}
        finally:
            await client.aclose()

    db_state = await anyio.to_thread.run_sync(database)
    components = {
        "rasa": await state.rasa.status(),
        "actions": await actions(),
        "database": db_state,
        "queue": await queue(db_state),
    }
    healthy = all(part["ok"] for part in components.values())
    return {"status": "ok" if healthy else "degraded", **components}
