"""The gateway application factory."""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import yaml
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from bot.channels import rest, rest_auth, telegram, webchat
from bot.channels.shared_limits import make_limiter
from bot.channels.telegram_agents import AgentGroup
from bot.clock import utcnow
from bot.config import Settings, ensure_secrets, load_settings
from bot.db import make_engine, make_session_factory, upgrade
from bot.handoff.queue import make_queue
from bot.metrics import Metrics, ParseWatcher
from bot.owner_only import UMASK, secure_tree
from bot.paths import PROJECT_ROOT
from bot.privacy import configure_logging
from bot.routing.agent_desk import AgentDesk
from bot.routing.followup import FollowUp
from bot.routing.handover import Handover
from bot.routing.outbound import Outbound
from bot.routing.rasa_client import RasaClient
from bot.routing.relay import Relay
from bot.routing.router import Router
from bot.routing.startup import StartupGrace
from bot.tickets.remedy_policy import load_remedy_policy
from bot.tickets.sla import load_policy
from bot.tickets.teams import load_teams, team_policy
from bot.web import (
    api_alerts,
    api_analytics,
    api_canned,
    api_console,
    api_locale,
    api_practice,
    api_remedy,
    api_teams,
    api_tickets,
    console_live,
    console_page,
    dashboard_page,
    health,
    metrics,
    report_page,
    widget,
)
from bot.web.body_limit import BodyLimit
from bot.web.outage import STORAGE_DOWN, storage_unavailable
from bot.web.shared_throttle import make_login_throttle
from bot.web.sla_monitor import start_sla_monitor, stop_sla_monitor

logger = logging.getLogger(__name__)


# A 422 body as documented in the OpenAPI: the RequestValidationError handler below sends
# "invalid request" with `errors`; routes that check values themselves send only `detail`.
INVALID_REQUEST: dict[str, Any] = {
    "title": "InvalidRequest",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "what is wrong, in plain words"},
        "errors": {
            "description": "one entry per malformed field or parameter",
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "problem"],
                "properties": {
                    "field": {"type": "string", "description": "dotted path; body = whole"},
                    "problem": {"type": "string"},
                },
            },
        },
    },
}


PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"type": "string", "description": "what is wrong, in plain words"}},
}
BODY_PROBLEMS = {
    "400": "the body could not be read (not UTF-8 JSON)",
    "413": "the body is larger than the gateway accepts (1 MiB)",
}


def problem_response(description: str) -> dict[str, Any]:
    """An OpenAPI response whose body is `{"detail": "..."}`."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def domain_intents() -> frozenset[str]:
    """Intent names a button payload may carry (read from domain.yml, again when it changes)."""
    path = PROJECT_ROOT / "domain.yml"
    return _intents_in(path, path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=2)
def _intents_in(path: Path, _mtime_ns: int) -> frozenset[str]:
    # libyaml's loader when PyYAML has it: the pure-Python one takes 0.05-0.1 s on domain.yml,
    # paid by every gateway start (hundreds of them in the test suite).
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    domain = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
    return frozenset(str(name) for name in domain.get("intents", []))


def _agents_group(app: FastAPI) -> AgentGroup | None:
    """The agents' Telegram group, when the channel runs with one."""
    channel: telegram.TelegramChannel | None = getattr(app.state, "telegram", None)
    return channel.agents if channel is not None else None


def create_app(settings: Settings | None = None) -> FastAPI:
    """Builds the gateway; engines and clients are created at start-up, not at import."""
    settings, _sources = ensure_secrets(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        secure_tree(settings.var_dir)  # owner-only, also what older versions left looser
        upgrade(settings.database_url)
        engine = make_engine(settings.database_url)
        app.state.settings = settings
        app.state.sessions = make_session_factory(engine)
        app.state.http = httpx.AsyncClient()
        app.state.rasa = RasaClient(
            settings.rasa_urls,
            settings.rasa_token.get_secret_value() if settings.rasa_token else None,
            settings.rasa_timeout,
            settings.rasa_balance,
        )
        # Messages wait for a Rasa still loading its model (COMPLAINTBOT_RASA_STARTUP_GRACE).
        app.state.startup = StartupGrace(app.state.rasa, settings.rasa_startup_grace)
        # Intents and emotions of answered turns, read from Rasa in the background.
        app.state.parse_watch = ParseWatcher(
            app.state.http,
            app.state.rasa.url_for,
            settings.rasa_token.get_secret_value() if settings.rasa_token else None,
            app.state.metrics,
        )
        # One way out to customers on any channel; channels register their deliverers.
        app.state.outbound = Outbound(app.state.sessions)
        # The teams file (None without one: no routing), checked at start-up; its teams' own
        # SLA targets join the policy.
        app.state.teams = load_teams(settings.teams)
        policy = team_policy(load_policy(settings.sla_policy), app.state.teams)
        app.state.sla_policy = policy

        # Hooks for agents: built before the parts they reach (the Telegram channel).
        def ticket_queued(ticket_id: str) -> None:
            group = _agents_group(app)
            if group is not None:
                group.ticket_queued(ticket_id)

        def customer_message(conversation_id: int) -> None:
            app.state.console_live.wake(conversation_id)
            group = _agents_group(app)
            if group is not None:
                group.customer_message(conversation_id)

        # Checked at start-up: a broken policy file stops the gateway with a clear message.
        app.state.remedy_policy = load_remedy_policy(settings.remedy_policy)
        # Redis when COMPLAINTBOT_REDIS_URL is set, else the embedded queue in the database.
        app.state.queue = await anyio.to_thread.run_sync(
            lambda: make_queue(settings, app.state.sessions)
        )
        app.state.handover = Handover(
            sessions=app.state.sessions,
            queue=app.state.queue,
            rasa=app.state.rasa,
            timezone=policy.timezone,
            on_queued=ticket_queued,
        )
        # Wakes the agent consoles' sockets when something they show changes.
        app.state.console_live = console_live.ConsoleLive()
        app.state.router = Router(
            sessions=app.state.sessions,
            rasa=app.state.rasa,
            allowed_intents=domain_intents(),
            max_chars=settings.max_message_chars,
            policy=policy,
            teams=app.state.teams,
            handover=app.state.handover,
            on_customer_message=customer_message,
            startup=app.state.startup,
            metrics=app.state.metrics,
            parse_watch=app.state.parse_watch.observe if settings.metrics_parse_data else None,
        )
        app.state.webchat = webchat.WebchatHub()
        app.state.outbound.register(
            "webchat",
            app.state.webchat.deliver,
            present=lambda sender: app.state.webchat.open_sockets(sender) > 0,
        )
        # Several gateways on one Redis: an agent's message reaches the customer's web chat
        # on whichever gateway holds it (bot.routing.relay).
        app.state.relay = None
        if settings.redis_url:
            app.state.relay = Relay(settings.redis_url, app.state.outbound.deliver_waiting)
            app.state.outbound.publish = app.state.relay.publish
            app.state.relay.start()
        # 回访: after a resolution the bot asks the customer for a rating on their channel.
        app.state.followup = FollowUp(
            sessions=app.state.sessions,
            rasa=app.state.rasa,
            outbound=app.state.outbound,
            handover=app.state.handover,
            metrics=app.state.metrics,
        )
        # What agents do with a handed-over conversation, from the console or Telegram.
        app.state.desk = AgentDesk(
            sessions=app.state.sessions,
            queue=app.state.queue,
            handover=app.state.handover,
            outbound=app.state.outbound,
            policy=policy,
            followup=app.state.followup,
            clock=lambda: getattr(app.state, "clock", utcnow)(),
        )
        app.state.desk.listen(lambda _event: app.state.console_live.wake())
        app.state.telegram = None
        if settings.telegram_token is not None:
            app.state.telegram = telegram.TelegramChannel(
                settings,
                router=app.state.router,
                outbound=app.state.outbound,
                sessions=app.state.sessions,
                desk=app.state.desk,
            )
            app.state.outbound.register("telegram", app.state.telegram.deliver)
            await app.state.telegram.start()
        start_sla_monitor(app, policy)
        app.state.metrics.watch(
            app.state.sessions,
            webchat_sockets=app.state.webchat.connections,
            console_sockets=app.state.console_live.sockets,
            rasa_starting=app.state.startup.starting,
            clock=lambda: getattr(app.state, "clock", utcnow)(),
        )
        rest_note = rest_auth.startup_warning(settings)
        if rest_note is not None:
            logger.warning(rest_note)
        logger.info("gateway ready on %s:%s", settings.host, settings.port)
        try:
            yield
        finally:
            await stop_sla_monitor(app)
            await app.state.followup.drain()
            await app.state.parse_watch.drain()
            if app.state.relay is not None:
                await app.state.relay.close()
            if app.state.telegram is not None:
                await app.state.telegram.stop()
            await app.state.rasa.close()
            await anyio.to_thread.run_sync(app.state.queue.close)
            await app.state.http.aclose()
            # Tests may swap in a plain in-memory RateLimiter, which holds nothing to close.
            close_limiter = getattr(app.state.limiter, "close", None)
            if close_limiter is not None:
                close_limiter()
            engine.dispose()

    app = FastAPI(
        title="complaintbot gateway",
        version="0.1.0",
        description="Channels, tickets, the agent console and health of the complaint-intake "
        "assistant.",
        lifespan=lifespan,
        # The interactive pages load Swagger UI and ReDoc from a CDN: third-party scripts on
        # the console's origin. Off in production; /openapi.json stays.
        docs_url=None if settings.env == "production" else "/docs",
        redoc_url=None if settings.env == "production" else "/redoc",
    )
    app.state.settings = settings
    # GET /metrics: this app's own registry (bot.metrics), created with the app.
    app.state.metrics = Metrics(domain_intents())
    # Per-sender and per-address caps on customer requests, refusals counted in the metrics.
    # Shared by every gateway in Redis when COMPLAINTBOT_REDIS_URL is set.
    app.state.limiter = metrics.CountingLimiter(make_limiter(settings.redis_url), app.state.metrics)
    if settings.redis_url:  # the console's sign-in throttle, shared by every gateway too
        app.state.login_throttle = make_login_throttle(settings.redis_url)
    app.add_middleware(BodyLimit)

    @app.exception_handler(RequestValidationError)
    async def _invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"field": ".".join(str(p) for p in err["loc"][1:]) or "body", "problem": err["msg"]}
            for err in exc.errors()
        ]
        return JSONResponse(
            status_code=422, content={"detail": "invalid request", "errors": problems}
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(sa_exc.DataError)
    async def _unstorable_value(request: Request, exc: Exception) -> JSONResponse:
        # Values the database refuses: an id past its integer range, a NUL in PostgreSQL text.
        logger.warning("%s %s: unstorable value (%s)", request.method, request.url.path, exc)
        return JSONResponse(
            status_code=422,
            content={
                "detail": "a value in the request cannot be used: a number out of range or "
                "a NUL character in text"
            },
        )

    def documented_openapi() -> dict[str, Any]:
        """FastAPI's schema, with the 422 body the handler above sends, and the answers to an
        unreadable (400) or too large (413) body on every operation that takes one."""
        if app.openapi_schema is None:
            schema = FastAPI.openapi(app)
            schemas = schema.setdefault("components", {}).setdefault("schemas", {})
            schemas["HTTPValidationError"] = INVALID_REQUEST
            schemas.setdefault("Problem", PROBLEM)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    if "requestBody" in operation:
                        for status, what in BODY_PROBLEMS.items():
                            operation["responses"].setdefault(status, problem_response(what))
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = documented_openapi  # type: ignore[method-assign]

    # The database unreachable: an explicit 503 to retry, never a 500 (bot.web.outage).
    for storage_error in STORAGE_DOWN:
        app.add_exception_handler(storage_error, storage_unavailable)

    app.include_router(rest.router)
    app.include_router(telegram.router)
    app.include_router(webchat.router)
    app.include_router(widget.router)
    app.include_router(api_tickets.router)
    app.include_router(api_alerts.router)
    app.include_router(api_console.router)
    app.include_router(api_locale.router)
    app.include_router(api_canned.router)
    app.include_router(api_remedy.router)
    app.include_router(api_teams.router)
    app.include_router(api_practice.router)
    app.include_router(api_analytics.router)
    app.include_router(api_analytics.improvements)
    app.include_router(console_live.router)
    app.include_router(console_page.router)
    app.include_router(dashboard_page.router)
    app.include_router(report_page.router)
    app.include_router(health.router)
    app.include_router(metrics.router)
    return app


def app_from_environment() -> FastAPI:
    """uvicorn factory entry point: `uvicorn --factory bot.web.app:app_from_environment`."""
    settings = load_settings()
    os.umask(UMASK)  # whatever this process writes (database, evidence) is owner-only
    configure_logging(settings.log_level)
    return create_app(settings)
