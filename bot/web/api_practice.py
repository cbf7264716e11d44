"""Practice API (tag practice, 模拟投诉): an agent chats with a simulated customer from
bot/practice/personas.yml and gets a score with reasons; supervisors see every agent's
practice history. Practice never touches tickets, conversations, Rasa or analytics."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

import anyio
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.clock import utcnow
from bot.db import transaction
from bot.practice import sessions as practice
from bot.practice.models import PracticeSession
from bot.practice.personas import load_personas
from bot.tickets.permissions import LEAD_ROLES
from bot.web.api_tickets import ERRORS
from bot.web.auth import ConsoleAgent, console_agent

router = APIRouter(
    prefix="/api/practice",
    tags=["practice"],
    responses={**ERRORS, 404: {"description": "no such practice session of yours"}},
)


@cache
def personas() -> dict[str, dict[str, Any]]:
    return {persona["id"]: persona for persona in load_personas()}


def _now(request: Request) -> datetime:
    return getattr(request.app.state, "clock", utcnow)()


class PersonaOut(BaseModel):
    id: str
    name: str | None
    lang: str
    category: str | None


@router.get("/personas", summary="The simulated customers to practise on",
            response_model=list[PersonaOut])  # fmt: skip
async def persona_list(_agent: ConsoleAgent = Depends(console_agent)) -> list[dict[str, Any]]:
    return [{key: p.get(key) for key in ("id", "name", "lang", "category")}
            for p in personas().values()]  # fmt: skip


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    persona_id: str = Field(min_length=1, max_length=80)


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1, max_length=practice.MAX_REPLY_CHARS)


async def _in_session(request: Request, work: Any) -> Any:
    def run() -> Any:
        with transaction(request.app.state.sessions) as session:
            return work(session)

    return await anyio.to_thread.run_sync(run)


@router.post("/sessions", status_code=201, summary="Start a practice chat")
async def start(request: Request, body: StartIn,
                agent: ConsoleAgent = Depends(console_agent)) -> dict[str, Any]:  # fmt: skip
    persona = personas().get(body.persona_id)
    if persona is None:
        raise HTTPException(422, detail=f"no persona {body.persona_id!r}")
    now = _now(request)

    def work(session: Any) -> dict[str, Any]:
        found = practice.start(session, agent=agent.username, persona=persona, now=now)
        return practice.view(found, persona)

    result: dict[str, Any] = await _in_session(request, work)
    return result


def _own(session: Any, session_id: int, agent: ConsoleAgent) -> PracticeSession:
    found = session.get(PracticeSession, session_id, with_for_update=True)
    if found is None or found.agent != agent.username:
        raise HTTPException(404, detail="no such practice session of yours")
    return found


@router.post("/sessions/{session_id}/replies", summary="Answer the simulated customer")
async def reply(request: Request, session_id: int, body: AnswerIn,
                agent: ConsoleAgent = Depends(console_agent)) -> dict[str, Any]:  # fmt: skip
    now, policy = _now(request), request.app.state.remedy_policy

    def work(session: Any) -> dict[str, Any]:
        found = _own(session, session_id, agent)
        persona = personas()[found.persona_id]
        try:
            practice.answer(session, found, persona, body.text, now=now, policy=policy,
                            role=agent.actor.role or "agent")  # fmt: skip
        except practice.PracticeError as exc:
            raise HTTPException(409 if "over" in str(exc) else 422, detail=str(exc)) from None
        return practice.view(found, persona)

    result: dict[str, Any] = await _in_session(request, work)
    return result


@router.post("/sessions/{session_id}/finish", summary="End the practice chat and score it")
async def finish(request: Request, session_id: int,
                 agent: ConsoleAgent = Depends(console_agent)) -> dict[str, Any]:  # fmt: skip
    now, policy = _now(request), request.app.state.remedy_policy

    def work(session: Any) -> dict[str, Any]:
        found = _own(session, session_id, agent)
        persona = personas()[found.persona_id]
        practice.finish(found, persona, now=now, policy=policy, role=agent.actor.role or "agent")
        session.flush()
        return practice.view(found, persona)

    result: dict[str, Any] = await _in_session(request, work)
    return result


@router.get("/history", summary="Practice sessions, newest first",
            description="Agents see their own; supervisors and admins every agent's, or one "
            "agent's with `agent`.")  # fmt: skip
async def history(request: Request, agent_name: str | None = Query(default=None, alias="agent",
                  max_length=40), agent: ConsoleAgent = Depends(console_agent)) -> dict[str, Any]:  # fmt: skip
    if agent.actor.role not in LEAD_ROLES:
        if agent_name not in (None, agent.username):
            raise HTTPException(403, detail="agents see their own practice only")
        agent_name = agent.username

    def work(session: Any) -> dict[str, Any]:
        rows = practice.history(session, agent_name)
        return {"items": [practice.view(row, personas().get(row.persona_id)) for row in rows]}

    result: dict[str, Any] = await _in_session(request, work)
    return result
