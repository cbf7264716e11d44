"""The console's and dashboard's languages: the message catalogues (bot/web/static/i18n/),
the default, the time zone dates are shown in, and each agent's own choice."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Literal

import anyio
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from bot.agents.service import LOCALES, set_agent_locale
from bot.db import transaction
from bot.i18n import BEIJING_ZONES
from bot.web.api_tickets import _policy
from bot.web.auth import ConsoleAgent, console_agent
from bot.web.widget import STATIC_DIR

CATALOGUE_DIR = STATIC_DIR / "i18n"

router = APIRouter(tags=["console"])


@lru_cache(maxsize=len(LOCALES) * 4)
def _catalogue(locale: str, mtime_ns: int) -> dict[str, str]:
    data: dict[str, str] = json.loads((CATALOGUE_DIR / f"{locale}.json").read_text("utf-8"))
    return data


def catalogue(locale: str) -> dict[str, str]:
    """One language's messages, key -> text ({name} placeholders); re-read when edited."""
    path = CATALOGUE_DIR / f"{locale}.json"
    return _catalogue(locale, path.stat().st_mtime_ns)


class TimeZoneOut(BaseModel):
    id: str = Field(description="the SLA policy's IANA zone, e.g. Asia/Shanghai")
    name_zh: str | None = Field(
        description="what the bot calls it in Chinese (北京时间); null: the UTC offset"
    )


class LocalesOut(BaseModel):
    default_locale: str = Field(description="COMPLAINTBOT_DEFAULT_LOCALE")
    locales: list[str]
    timezone: TimeZoneOut
    catalogues: dict[str, dict[str, str]]


@router.get(
    "/api/console/locales",
    summary="The console's and dashboard's message catalogues and display time zone",
    description="Public (the sign-in page needs it). Pages pick the signed-in agent's own "
    "`locale`, else the browser's language, else `default_locale`; times are shown in the "
    "SLA policy's zone, the one the bot quotes deadlines to customers in.",
    response_model=LocalesOut,
)
async def locales(request: Request) -> dict[str, Any]:
    zone = _policy(request).timezone
    return {
        "default_locale": request.app.state.settings.default_locale,
        "locales": list(LOCALES),
        "timezone": {"id": zone.key, "name_zh": "北京时间" if zone.key in BEIJING_ZONES else None},
        "catalogues": {locale: catalogue(locale) for locale in LOCALES},
    }


class LocaleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    locale: Literal["en", "zh-CN"]


@router.put(
    "/api/console/me/locale",
    summary="Remember the signed-in agent's console and dashboard language",
    response_model=LocaleIn,
    responses={401: {"description": "not signed in"}, 422: {"description": "unknown locale"}},
)
async def set_locale(
    request: Request, body: LocaleIn, agent: ConsoleAgent = Depends(console_agent)
) -> dict[str, str]:
    def work() -> None:
        with transaction(request.app.state.sessions) as session:
            set_agent_locale(session, username=agent.username, locale=body.locale)

    await anyio.to_thread.run_sync(work)
    return {"locale": body.locale}
