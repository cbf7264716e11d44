"""Every route of the real gateway is either public by name (below, with the reason) or
refuses callers without valid credentials, whatever the method.

The routes are enumerated from the app, not listed here: a route added without
authentication fails `test_every_route_not_public_by_name_refuses_strangers`. Which
credentials each protected route takes (a bearer token, the console's session cookie, or
either) is read from its dependencies and then checked against the running app.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient

from bot.agents.service import deactivate_agent
from bot.agents.sessions import SESSION_LIFETIME
from bot.db import transaction
from bot.web.auth import CONSOLE_COOKIE, actor_or_console, console_agent, current_actor

# Public on purpose. Anything else must answer 401 to a stranger.
PUBLIC = {
    # Customer channels: customers have no accounts. REST callers show the integration token
    # or a signed sender id when COMPLAINTBOT_REST_TOKEN is set (tests/security/
    # test_rest_auth.py; open in development without it); the widget's random session id is
    # its key; Telegram's webhook checks its own secret header
    # (tests/telegram_channel/test_telegram_channel.py).
    "/webhooks/rest/webhook": "REST channel (Rasa's format)",
    "/webhooks/rest/messages": "REST channel: pending replies of one sender",
    "/webhooks/telegram": "Telegram webhook, secret-token header",
    "/webchat/ws": "web chat widget socket",
    "/webchat/history": "web chat widget history",
    # Static pages and their files; their data comes from the protected API.
    "/": "demo page with the widget",
    "/widget.js": "widget script",
    "/widget.css": "widget stylesheet",
    "/console": "console page (sign-in form)",
    "/console/{name}": "console script and stylesheet",
    "/dashboard": "dashboard page (sign-in form)",
    "/dashboard/{name:path}": "dashboard files",
    "/healthz": "health for load balancers (no data)",
    "/healthz/live": "liveness probe (DESIGN §7)",
    "/healthz/ready": "readiness probe (DESIGN §7)",
    "/api/console/login": "sign-in",
    "/api/console/logout": "sign-out (ends the caller's own session, if any)",
    "/api/console/locales": "the pages' message catalogues and time zone (sign-in page)",
    # The public transparency report: aggregates only, off (404) unless
    # COMPLAINTBOT_PUBLIC_REPORT=on (tests/web/test_report_page.py, tests/analytics/test_report.py).
    "/report": "public transparency report (aggregates only; off by default)",
    "/report/{month}.json": "public transparency report, monthly JSON",
    "/report/{month}.csv": "public transparency report, monthly CSV",
    "/openapi.json": "OpenAPI (DESIGN §7)",
    "/docs": "OpenAPI (DESIGN §7)",
    "/docs/oauth2-redirect": "OpenAPI (DESIGN §7)",
    "/redoc": "OpenAPI (DESIGN §7)",
}
# Sockets that authenticate with the console cookie (checked on their own below).
COOKIE_SOCKETS = {"/console/ws"}

# A value for each path parameter; ids that exist or not, the answer must be 401 first.
PATH_VALUES = {
    "ticket_id": "CP-20261122-0001",
    "conversation_id": "1",
    "alert_id": "1",
    "request_id": "1",
    "action_id": "1",
    "name": "console.js",
}

# Wrong credentials of every shape the gateway recognises.
WRONG: dict[str, dict[str, Any]] = {
    "nothing": {},
    "empty bearer": {"headers": {"Authorization": "Bearer "}},
    "not a bearer": {"headers": {"Authorization": "Basic YWRtaW46YWRtaW4="}},
    "unknown token": {"headers": {"Authorization": "Bearer not-the-service-token-0123456789"}},
    "unknown agent token": {"headers": {"Authorization": "Bearer cba_" + "A" * 43}},
    "unknown session as bearer": {"headers": {"Authorization": "Bearer cbs_" + "A" * 43}},
    "unknown session cookie": {"cookies": {CONSOLE_COOKIE: "cbs_" + "A" * 43}},
    "garbage cookie": {"cookies": {CONSOLE_COOKIE: "' OR 1=1 --"}},
}

AUTH_DEPENDENCIES: dict[Callable[..., Any], str] = {
    current_actor: "bearer",
    console_agent: "console",
    actor_or_console: "either",
}


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    route: Any

    @property
    def url(self) -> str:
        return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PATH_VALUES.get(m.group(1), "x"), self.path)

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _routes(app: Any) -> Iterator[Any]:
    for context in iter_route_contexts(app.routes):
        yield context.original_route


def http_endpoints(app: Any) -> list[Endpoint]:
    found = []
    for route in _routes(app):
        if isinstance(route, APIWebSocketRoute):
            continue
        for method in sorted(getattr(route, "methods", None) or ()):
            found.append(Endpoint(method, route.path, route))
    return found


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def scheme_of(route: APIRoute) -> str | None:
    """bearer, console or either: the auth dependency nearest the endpoint; None if none."""
    for call in _calls(route.dependant):
        if call in AUTH_DEPENDENCIES:
            return AUTH_DEPENDENCIES[call]
    return None


def _send(client: TestClient, endpoint: Endpoint, **credentials: Any) -> Any:
    client.cookies.clear()
    cookies = credentials.pop("cookies", None)
    if cookies:
        for name, value in cookies.items():
            client.cookies.set(name, value)
    body: dict[str, Any] | None = {} if endpoint.method in ("POST", "PATCH", "PUT") else None
    try:
        return client.request(endpoint.method, endpoint.url, json=body, **credentials)
    finally:
        client.cookies.clear()


@pytest.fixture
def db_url(sqlite_url) -> str:
    """Who is let in does not depend on the database (the role matrix runs on both)."""
    return sqlite_url


@pytest.fixture
def protected(client) -> list[Endpoint]:
    endpoints = [e for e in http_endpoints(client.app) if e.path not in PUBLIC]
    assert len(endpoints) >= 30, [str(e) for e in endpoints]  # the enumeration works
    return endpoints


@pytest.fixture
def admin_cookie(client, passwords) -> str:
    with transaction(client.app.state.sessions) as session:
        from bot.agents.passwords import set_password

        set_password(session, username="adam", password="an admin's password")
    answer = client.post(
        "/api/console/login", json={"username": "adam", "password": "an admin's password"}
    )
    assert answer.status_code == 200, answer.text
    cookie = client.cookies.get(CONSOLE_COOKIE)
    client.cookies.clear()
    assert cookie
    return cookie


def test_the_public_allowlist_names_only_routes_that_exist(client):
    paths = {route.path for route in _routes(client.app)}
    assert set(PUBLIC) <= paths, sorted(set(PUBLIC) - paths)
    assert paths >= COOKIE_SOCKETS
    sockets = {r.path for r in _routes(client.app) if isinstance(r, APIWebSocketRoute)}
    assert sockets - set(PUBLIC) == COOKIE_SOCKETS, "a new socket: authenticate it or list it"


def test_every_route_not_public_by_name_refuses_strangers(client, tokens, protected):
    refused: list[str] = []
    for endpoint in protected:
        for what, credentials in WRONG.items():
            answer = _send(client, endpoint, **credentials)
            if answer.status_code != 401:
                refused.append(f"{endpoint} with {what}: {answer.status_code} {answer.text[:80]}")
    assert refused == []


def test_every_protected_route_has_an_auth_dependency(client, protected):
    missing = [str(e) for e in protected if scheme_of(e.route) is None]
    assert missing == []


def test_each_route_takes_exactly_the_credentials_of_its_scheme(client, tokens, admin_cookie,
                                                                  protected):  # fmt: skip
    """Bearer-only routes ignore the console cookie (no cross-site use of a browser's
    session on the integration API); console routes refuse the service token (a person
    acts there); routes for both take either."""
    wrong: list[str] = []
    service = {"headers": tokens["service"]}
    agent_bearer = {"headers": tokens["adam"]}
    cookie = {"cookies": {CONSOLE_COOKIE: admin_cookie}}
    expect = {
        "bearer": {"service": True, "agent bearer": True, "cookie": False},
        "console": {"service": False, "agent bearer": True, "cookie": True},
        "either": {"service": True, "agent bearer": True, "cookie": True},
    }
    for endpoint in protected:
        scheme = scheme_of(endpoint.route)
        assert scheme is not None, str(endpoint)
        for what, credentials in (("service", service), ("agent bearer", agent_bearer),
                                  ("cookie", cookie)):  # fmt: skip
            status = _send(client, endpoint, **credentials).status_code
            if (status != 401) != expect[scheme][what]:
                wrong.append(f"{endpoint} ({scheme}) with {what}: {status}")
    assert wrong == []


def test_deactivated_agents_and_expired_sessions_are_strangers(client, tokens, admin_cookie,
                                                                 protected):  # fmt: skip
    with transaction(client.app.state.sessions) as session:
        deactivate_agent(session, username="alice")
    still_open: list[str] = []
    for endpoint in protected:
        if _send(client, endpoint, headers=tokens["alice"]).status_code != 401:
            still_open.append(f"{endpoint} with a deactivated agent's token")
    expired = client.app.state.clock() + SESSION_LIFETIME + timedelta(seconds=1)
    client.app.state.clock = lambda: expired
    for endpoint in protected:
        if scheme_of(endpoint.route) == "bearer":
            continue  # takes no cookie at all (checked above)
        answer = _send(client, endpoint, cookies={CONSOLE_COOKIE: admin_cookie})
        if answer.status_code != 401:
            still_open.append(f"{endpoint} with an expired session: {answer.status_code}")
    assert still_open == []


@pytest.mark.parametrize("what", ["nothing", "unknown session cookie", "foreign origin"])
def test_the_console_socket_refuses_strangers(client, admin_cookie, what):
    headers = {}
    if what == "unknown session cookie":
        client.cookies.set(CONSOLE_COOKIE, "cbs_" + "A" * 43)
    if what == "foreign origin":  # a valid session, but the page is someone else's
        client.cookies.set(CONSOLE_COOKIE, admin_cookie)
        headers = {"origin": "https://evil.example"}
    with client.websocket_connect("/console/ws", headers=headers) as socket:
        assert socket.receive_json() == {"type": "signed_out"}
    client.cookies.clear()
    client.cookies.set(CONSOLE_COOKIE, admin_cookie)
    with client.websocket_connect("/console/ws") as socket:
        assert socket.receive_json()["type"] == "hello"  # the same socket lets members in
