"""Canned replies for the console: every signed-in agent reads them; supervisors and admins
save a new version of a language's set, audited in the database (bot.canned)."""

from __future__ import annotations

from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.canned.service import (
    LANGUAGES,
    MAX_REPLIES,
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    PARTS,
    PLACEHOLDERS,
    CannedError,
    current_replies,
    reply_history,
    save_replies,
)
from bot.clock import utcnow
from bot.db import transaction
from bot.web.auth import ConsoleAgent, console_agent

EDITORS = frozenset({"supervisor", "admin"})

router = APIRouter(
    tags=["console"],
    responses={
        401: {"description": "not signed in, or the session ended"},
        403: {"description": "only supervisors and admins edit the canned replies"},
        404: {"description": "no canned replies in that language"},
    },
)


class CannedReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    part: Literal["fact", "empathy", "plan", "other"]
    title: str = Field(min_length=1, max_length=MAX_TITLE_CHARS)
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)


class CannedSet(BaseModel):
    version: int = Field(description="0: the shipped file; else the saved version's number")
    replies: list[CannedReply]
    changed_by: str | None = None
    changed_at: str | None = None


class CannedOut(BaseModel):
    parts: list[str]
    placeholders: list[str]
    can_edit: bool = Field(description="the signed-in person may save new versions")
    languages: dict[str, CannedSet]


class CannedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replies: list[CannedReply] = Field(min_length=1, max_length=MAX_REPLIES)


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise HTTPException(404, detail=f"no canned replies in {language!r}")
    return language


@router.get(
    "/api/console/canned",
    summary="The canned replies of every customer language (FEP: fact, empathy, plan)",
    response_model=CannedOut,
)
async def canned(request: Request, agent: ConsoleAgent = Depends(console_agent)) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            return {lang: current_replies(session, lang) for lang in LANGUAGES}

    try:
        languages = await anyio.to_thread.run_sync(work)
    except CannedError as exc:  # a broken shipped file: say which, not a bare 500
        raise HTTPException(503, detail=str(exc)) from exc
    return {"parts": list(PARTS), "placeholders": list(PLACEHOLDERS),
            "can_edit": agent.actor.role in EDITORS, "languages": languages}  # fmt: skip


@router.put(
    "/api/console/canned/{language}",
    summary="Save a new version of a language's canned replies (supervisors and admins)",
    description="The whole set, in order. Placeholders: "
    + ", ".join("{" + name + "}" for name in PLACEHOLDERS)
    + ". Every version is kept with who saved it and when (GET .../history).",
    response_model=CannedSet,
    responses={403: {"description": "not a supervisor or admin"},
               404: {"description": "no such language"},
               422: {"description": "invalid replies (unknown placeholder, id twice...)"}},
)  # fmt: skip
async def save_canned(
    request: Request, language: str, body: CannedIn, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, Any]:
    _language(language)
    if agent.actor.role not in EDITORS:
        raise HTTPException(403, detail="only supervisors and admins edit canned replies")
    now = getattr(request.app.state, "clock", utcnow)()
    replies = [reply.model_dump() for reply in body.replies]

    def work() -> dict[str, Any]:
        with transaction(request.app.state.sessions) as session:
            return save_replies(session, language=language, replies=replies,
                                actor=agent.actor, now=now)  # fmt: skip

    try:
        return await anyio.to_thread.run_sync(work)
    except CannedError as exc:
        raise HTTPException(422, detail=str(exc)) from exc


@router.get(
    "/api/console/canned/{language}/history",
    summary="Who changed a language's canned replies, and when (supervisors and admins)",
    response_model=list[CannedSet],
)
async def canned_history(
    request: Request, language: str, agent: ConsoleAgent = Depends(console_agent)
) -> list[dict[str, Any]]:
    _language(language)
    if agent.actor.role not in EDITORS:
        raise HTTPException(403, detail="only supervisors and admins see the history")

    def work() -> list[dict[str, Any]]:
        with request.app.state.sessions() as session:
            return reply_history(session, language)

    return await anyio.to_thread.run_sync(work)
