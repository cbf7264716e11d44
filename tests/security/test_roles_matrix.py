"""Every forbidden (role, action) pair answers 403 and changes nothing in the database; its
allowed counterpart succeeds and changes what it should, so no case passes by accident.

Roles: agent (alice, bob), supervisor (sue), admin (adam), and the service token. The
rules: bot/tickets/permissions.py (tickets), bot/tickets/remedy.py and the remedy policy
(remedies), bot/web/api_analytics.py (analytics: supervisors, admins, service).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from db_copies import (
    POSTGRES_URL,
    copy_postgres_database,
    copy_sqlite_file,
    drop_postgres_database,
    sqlite_path,
)
from fastapi.testclient import TestClient
from security.test_auth_matrix import http_endpoints
from sqlalchemy import text
from sqlalchemy.engine import make_url
from web.conftest import gateway_client, make_agents, new_ticket
from web.test_console_api import PASSWORD, give_password, queue_ticket

from bot.db import Base, transaction


@dataclass(frozen=True)
class Case:
    name: str
    who: str  # a key of `tokens`, or "<name>-cookie" for a console session
    method: str
    url: str  # formatted with the world's ids
    body: dict[str, Any] | None = None


def build_world(client: TestClient, tokens: dict[str, Any]) -> dict[str, Any]:
    """Tickets in every relation to the agents, and remedy requests waiting:
    - t_alice (major), t_alice2: claimed by alice (conversations c_alice, ...);
    - t_bob, conversation c_bob: claimed by bob;
    - t_free: unassigned; t_lead: unassigned, with sue's own request waiting;
    - r_small: alice's 500 CNY refund (above an agent's 200, within a supervisor's 2000);
    - r_big: alice's 5000 CNY refund (above a supervisor's authority, an admin's call);
    - r_sue: sue's own 5000 CNY refund request."""
    with transaction(client.app.state.sessions) as session:
        for name in ("alice", "bob", "sue", "adam"):
            give_password(session, name)
    ids: dict[str, Any] = {}
    for name, who, severity in (("alice", "alice", "major"), ("alice2", "alice", "general"),
                                ("bob", "bob", "general")):  # fmt: skip
        ticket_id, conv_id = queue_ticket(client, f"cust-{name}", severity)
        answer = client.post(f"/api/queue/{ticket_id}/claim", headers=tokens[who])
        assert answer.status_code == 200, answer.text
        ids[f"t_{name}"], ids[f"c_{name}"] = ticket_id, conv_id
    ids["t_free"] = new_ticket(client.app.state.sessions, "cust-free")
    ids["t_lead"] = new_ticket(client.app.state.sessions, "cust-lead")
    for key, ticket, who, amount in (("r_small", "t_alice", "alice", 500),
                                     ("r_big", "t_alice2", "alice", 5000),
                                     ("r_sue", "t_lead", "sue", 5000)):  # fmt: skip
        answer = client.post(
            f"/api/tickets/{ids[ticket]}/remedy",
            json={"type": "refund", "amount": amount, "currency": "CNY"},
            headers=tokens[who],
        )
        assert answer.status_code == 202, answer.text
        ids[key] = answer.json()["request"]["id"]
    action = client.post(
        "/api/improvements",
        json={
            "category": "delivery",
            "title": "Courier retraining",
            "owner": "logistics",
            "started_on": "2026-11-01",
        },
        headers=tokens["sue"],
    )
    assert action.status_code == 201, action.text
    ids["action"] = action.json()["id"]
    return ids


@dataclass(frozen=True)
class World:
    """A database holding the world (the template of each test's copy), the agents' bearer
    headers and the world's ids."""

    url: str
    tokens: dict[str, Any]
    ids: dict[str, Any]


def _backend(db_url: str) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgresql"


@pytest.fixture(scope="module")
def worlds() -> Iterator[dict[str, World]]:
    """The world built once per database backend (through the API, as the tests used to build
    it for each case: several seconds), then copied for each test."""
    built: dict[str, World] = {}
    yield built
    if "postgresql" in built:
        drop_postgres_database(POSTGRES_URL, built["postgresql"].url)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, worlds, tmp_path, tmp_path_factory) -> str:
    """Overrides the shared db_url: this test's own copy of the world's database."""
    backend = request.param
    if backend not in worlds:
        blank = tmp_path_factory.mktemp(f"world-{backend}")
        if backend == "sqlite":
            url = f"sqlite:///{blank / 'world.db'}"
            copy_sqlite_file(request.getfixturevalue("migrated_sqlite_file"), sqlite_path(url))
        else:
            template = request.getfixturevalue("migrated_postgres_template")
            url = copy_postgres_database(POSTGRES_URL, template, "cbworld")
        with gateway_client(url, blank / "var") as client:
            tokens = make_agents(client.app.state.sessions)
            ids = build_world(client, tokens)
        # The gateway has stopped and disposed of its engine: nobody is connected to it.
        worlds[backend] = World(url, tokens, ids)
    world = worlds[backend]
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        copy_sqlite_file(sqlite_path(world.url), sqlite_path(url))
        return url
    template = make_url(world.url).database
    assert template is not None
    url = copy_postgres_database(POSTGRES_URL, template, "cbtest")
    request.addfinalizer(lambda: drop_postgres_database(POSTGRES_URL, url))
    return url


@pytest.fixture
def tokens(worlds, db_url) -> dict[str, Any]:
    return worlds[_backend(db_url)].tokens


@pytest.fixture
def world(worlds, db_url) -> dict[str, Any]:
    return worlds[_backend(db_url)].ids


def database(client: TestClient) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    app: Any = client.app
    with app.state.sessions() as session:
        return {
            table.name: sorted(
                (tuple(row) for row in session.execute(text(f"SELECT * FROM {table.name}"))),
                key=repr,
            )
            for table in Base.metadata.sorted_tables
        }


def call(client: TestClient, tokens: dict[str, Any], case: Case, ids: dict[str, Any]) -> Any:
    client.cookies.clear()
    headers: dict[str, str] = {}
    if case.who.endswith("-cookie"):
        username = case.who.removesuffix("-cookie")
        signed_in = client.post(
            "/api/console/login", json={"username": username, "password": PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
    else:
        headers = tokens[case.who]
    try:
        return client.request(case.method, case.url.format(**ids), json=case.body, headers=headers)
    finally:
        client.cookies.clear()


# (forbidden, allowed): the same action by someone who may not and by someone who may.
PAIRS: list[tuple[Case, Case]] = [
    # The ticket API (bearer tokens).
    (Case("agent reassigns another agent's ticket to herself", "alice", "PATCH",
          "/api/tickets/{t_bob}", {"assigned_agent": "alice"}),
     Case("supervisor reassigns it", "sue", "PATCH", "/api/tickets/{t_bob}",
          {"assigned_agent": "alice"})),
    (Case("agent gives an unassigned ticket to someone else", "alice", "PATCH",
          "/api/tickets/{t_free}", {"assigned_agent": "bob"}),
     Case("admin assigns it", "adam", "PATCH", "/api/tickets/{t_free}",
          {"assigned_agent": "bob"})),
    (Case("agent works another agent's ticket", "alice", "PATCH", "/api/tickets/{t_bob}",
          {"status": "resolved", "resolution_note": "done"}),
     Case("its agent works it", "bob", "PATCH", "/api/tickets/{t_bob}",
          {"status": "resolved", "resolution_note": "done"})),
    (Case("agent notes on another agent's ticket (API)", "alice", "PATCH",
          "/api/tickets/{t_bob}", {"note": "hm"}),
     Case("service notes on it", "service", "PATCH", "/api/tickets/{t_bob}", {"note": "hm"})),
    (Case("agent lowers the severity of her own ticket (API)", "alice", "PATCH",
          "/api/tickets/{t_alice}", {"severity": "general"}),
     Case("supervisor lowers it", "sue", "PATCH", "/api/tickets/{t_alice}",
          {"severity": "general"})),
    # The console (agents' own tokens; the cookie is checked at the end).
    (Case("agent lowers the severity of her own ticket (console)", "alice", "POST",
          "/api/tickets/{t_alice}/severity", {"severity": "general", "reason": "calmer"}),
     Case("supervisor lowers it (console)", "sue", "POST", "/api/tickets/{t_alice}/severity",
          {"severity": "general", "reason": "calmer"})),
    (Case("agent raises the severity of another agent's ticket", "alice", "POST",
          "/api/tickets/{t_bob}/severity", {"severity": "urgent", "reason": "injury"}),
     Case("its agent raises it", "bob", "POST", "/api/tickets/{t_bob}/severity",
          {"severity": "urgent", "reason": "injury"})),
    (Case("agent notes on another agent's ticket (console)", "alice", "POST",
          "/api/tickets/{t_bob}/notes", {"text": "hm"}),
     Case("its agent notes on it", "bob", "POST", "/api/tickets/{t_bob}/notes", {"text": "hm"})),
    (Case("agent resolves another agent's ticket", "alice", "POST",
          "/api/tickets/{t_bob}/resolve", {"resolution_note": "refunded"}),
     Case("its agent resolves it", "bob", "POST", "/api/tickets/{t_bob}/resolve",
          {"resolution_note": "refunded"})),
    (Case("agent releases another agent's conversation", "alice", "POST",
          "/api/tickets/{t_bob}/release", {}),
     Case("its agent releases it", "bob", "POST", "/api/tickets/{t_bob}/release", {})),
    (Case("agent transfers another agent's ticket to herself", "alice", "POST",
          "/api/tickets/{t_bob}/transfer", {"to_agent": "alice"}),
     Case("supervisor transfers it", "sue", "POST", "/api/tickets/{t_bob}/transfer",
          {"to_agent": "alice"})),
    (Case("agent writes in another agent's conversation", "alice", "POST",
          "/api/conversations/{c_bob}/messages", {"text": "hello from alice"}),
     Case("its agent writes", "bob", "POST", "/api/conversations/{c_bob}/messages",
          {"text": "hello from bob"})),
    (Case("agent grants a remedy on another agent's ticket", "alice", "POST",
          "/api/tickets/{t_bob}/remedy", {"type": "apology"}),
     Case("its agent grants it", "bob", "POST", "/api/tickets/{t_bob}/remedy",
          {"type": "apology"})),
    (Case("agent grants a remedy on an unassigned ticket", "alice", "POST",
          "/api/tickets/{t_free}/remedy", {"type": "apology"}),
     Case("supervisor grants it", "sue", "POST", "/api/tickets/{t_free}/remedy",
          {"type": "apology"})),
    (Case("agent judges the validity of another agent's ticket", "alice", "POST",
          "/api/tickets/{t_bob}/validity", {"validity": "invalid", "reason": "duplicate"}),
     Case("its agent judges it", "bob", "POST", "/api/tickets/{t_bob}/validity",
          {"validity": "invalid", "reason": "duplicate"})),
    # Remedy approvals (员工处理投诉的权力).
    (Case("agent approves a remedy request", "bob", "POST",
          "/api/remedy-requests/{r_small}/approve", {}),
     Case("supervisor approves it", "sue", "POST", "/api/remedy-requests/{r_small}/approve",
          {})),
    (Case("agent declines a remedy request", "bob", "POST",
          "/api/remedy-requests/{r_small}/decline", {"reason": "no"}),
     Case("supervisor declines it", "sue", "POST", "/api/remedy-requests/{r_small}/decline",
          {"reason": "no"})),
    (Case("supervisor approves above her own authority", "sue", "POST",
          "/api/remedy-requests/{r_big}/approve", {}),
     Case("admin approves it", "adam", "POST", "/api/remedy-requests/{r_big}/approve", {})),
    (Case("supervisor approves her own request", "sue", "POST",
          "/api/remedy-requests/{r_sue}/approve", {}),
     Case("admin approves it", "adam", "POST", "/api/remedy-requests/{r_sue}/approve", {})),
    (Case("agent approves her own request", "alice", "POST",
          "/api/remedy-requests/{r_small}/approve", {}),
     Case("a supervisor approves it", "sue", "POST",
          "/api/remedy-requests/{r_small}/approve", {})),
    # Analytics and the dashboard: supervisors and admins (and the service token).
    (Case("agent changes an improvement action", "alice", "PATCH",
          "/api/improvements/{action}", {"title": "Something else"}),
     Case("supervisor changes it", "sue", "PATCH", "/api/improvements/{action}",
          {"title": "Something else"})),
    (Case("agent deletes an improvement action", "bob", "DELETE", "/api/improvements/{action}"),
     Case("admin deletes it", "adam", "DELETE", "/api/improvements/{action}")),
    (Case("agent adds an improvement action", "alice", "POST", "/api/improvements",
          {"category": "billing", "title": "Mine", "owner": "finance", "started_on": "2026-11-02"}),
     Case("service adds it", "service", "POST", "/api/improvements",
          {"category": "billing", "title": "Mine", "owner": "finance", "started_on": "2026-11-02"})),
    # Canned replies: supervisors and admins edit them.
    (Case("agent edits the canned replies", "alice", "PUT", "/api/console/canned/en",
          {"replies": [{"id": "hi", "part": "other", "title": "Hi", "text": "Hello"}]}),
     Case("supervisor edits them", "sue", "PUT", "/api/console/canned/en",
          {"replies": [{"id": "hi", "part": "other", "title": "Hi", "text": "Hello"}]})),
]  # fmt: skip

READS: list[tuple[Case, Case]] = [
    (Case(f"agent reads {path}", "alice", "GET", path),
     Case(f"supervisor reads {path}", "sue", "GET", path))
    for path in ("/api/analytics/summary", "/api/analytics/timeseries",
                 "/api/analytics/warnings", "/api/analytics/tickets",
                 "/api/analytics/summary?format=csv", "/api/improvements",
                 "/api/improvements/{action}")
] + [
    (Case("agent opens the dashboard's data with her console cookie", "alice-cookie", "GET",
          "/api/analytics/summary"),
     Case("admin with his console cookie", "adam-cookie", "GET", "/api/analytics/summary")),
    (Case("agent lists remedy requests: only her own", "bob", "GET",
          "/api/remedy-requests?status=all"),
     Case("supervisor reads them all", "sue", "GET", "/api/remedy-requests?status=all")),
]  # fmt: skip


def _ids(pairs: list[tuple[Case, Case]]) -> list[str]:
    return [forbidden.name for forbidden, _allowed in pairs]


@pytest.mark.parametrize(("forbidden", "allowed"), PAIRS, ids=_ids(PAIRS))
def test_forbidden_changes_nothing_and_the_allowed_counterpart_works(
    client, tokens, world, forbidden, allowed
):
    before = database(client)
    refused = call(client, tokens, forbidden, world)
    assert refused.status_code == 403, refused.text
    assert refused.json()["detail"]  # says why
    assert database(client) == before, "a refused request changed the database"

    done = call(client, tokens, allowed, world)
    assert done.status_code in (200, 201, 202, 204), done.text
    assert database(client) != before, "the allowed request changed nothing"


# Reads change nothing, so the database makes no difference: SQLite only.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("forbidden", "allowed"), READS, ids=_ids(READS))
def test_forbidden_reads_and_their_allowed_counterparts(client, tokens, world, forbidden,
                                                        allowed):  # fmt: skip
    refused = call(client, tokens, forbidden, world)
    done = call(client, tokens, allowed, world)
    assert done.status_code == 200, done.text
    if forbidden.url.startswith("/api/remedy-requests"):
        # Agents may list requests, but only their own: bob has none, sue sees all three.
        assert refused.status_code == 200 and refused.json()["items"] == []
        assert len(done.json()["items"]) == 3
    else:
        assert refused.status_code == 403, refused.text


def test_the_matrix_covers_every_console_and_ticket_action(client):
    """A new state-changing route under /api must get a case here (or a reason not to)."""
    no_role_rule = {  # any signed-in person may; nothing to refuse by role
        ("POST", "/api/console/login"), ("POST", "/api/console/logout"),
        ("POST", "/api/console/presence"), ("POST", "/api/console/heartbeat"),
        ("POST", "/api/queue/claim"), ("POST", "/api/queue/{ticket_id}/claim"),
        ("POST", "/api/alerts/{alert_id}/ack"),
        ("PUT", "/api/console/me/locale"),  # one's own language
        # One's own practice sessions (another agent's answers 404: test_practice_api.py).
        ("POST", "/api/practice/sessions"),
        ("POST", "/api/practice/sessions/{session_id}/replies"),
        ("POST", "/api/practice/sessions/{session_id}/finish"),
    }  # fmt: skip
    # Needs a teams file: its role rules (an agent hands over her own or her team's untaken
    # tickets, supervisors any) are tested with one in tests/web/test_teams_api.py.
    teams_file_rules = {("POST", "/api/tickets/{ticket_id}/team")}
    covered = {(case.method, _template(case.url)) for pair in PAIRS for case in pair}
    changing = {
        (endpoint.method, endpoint.path)
        for endpoint in http_endpoints(client.app)
        if endpoint.method in ("POST", "PATCH", "PUT", "DELETE")
        and endpoint.path.startswith("/api/")
    }
    assert changing - no_role_rule - teams_file_rules - covered == set()


def _template(url: str) -> str:
    names = {"t_alice": "ticket_id", "t_alice2": "ticket_id", "t_bob": "ticket_id",
             "t_free": "ticket_id", "c_bob": "conversation_id", "r_small": "request_id",
             "r_big": "request_id", "r_sue": "request_id", "action": "action_id"}  # fmt: skip
    for key, name in names.items():
        url = url.replace("{" + key + "}", "{" + name + "}")
    return re.sub(r"^/api/console/canned/(en|zh)$", "/api/console/canned/{language}", url)
