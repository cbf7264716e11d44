"""The ticket API: tokens and roles, filters, audited updates, OpenAPI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from bot.db import transaction
from bot.tickets.models import SEVERITIES, STATUSES, VALIDITIES
from bot.tickets.service import lock_ticket
from bot.web import api_tickets

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)  # when the fixtures create tickets
DESIGN_FIELDS = {
    "id", "status", "category", "severity", "motive", "emotion_peak", "description",
    "order_id", "product", "desired_resolution", "contact_phone", "contact_email", "channel",
    "sender_id", "language", "assigned_agent", "resolution_note", "csat", "reopen_count",
    "created_at", "first_response_due", "resolution_due", "first_responded_at", "resolved_at",
    "closed_at", "sla_breached", "validity", "remedy", "events",
}  # fmt: skip


def _assign(db, ticket_id: str, username: str | None) -> None:
    with transaction(db) as session:
        lock_ticket(session, ticket_id).assigned_agent = username


# --- authentication: 401 -------------------------------------------------------------


UNAUTHENTICATED = [
    {},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "Bearer cba_not-an-agent-token"},
    {"Authorization": "Basic c2VydmljZTpzZWNyZXQ="},
]


def test_no_or_unknown_token_is_401(client, make_ticket):
    ticket_id = make_ticket()
    for headers in UNAUTHENTICATED:
        for response in (
            client.get("/api/tickets", headers=headers),
            client.get(f"/api/tickets/{ticket_id}", headers=headers),
            client.patch(f"/api/tickets/{ticket_id}", headers=headers, json={"note": "x"}),
        ):
            assert response.status_code == 401, (headers, response.text)
            assert response.headers["www-authenticate"] == "Bearer"


def test_a_deactivated_agent_is_401(client, db, tokens):
    from bot.agents.service import deactivate_agent

    assert client.get("/api/tickets", headers=tokens["bob"]).status_code == 200
    with transaction(db) as session:
        deactivate_agent(session, username="bob")
    assert client.get("/api/tickets", headers=tokens["bob"]).status_code == 401


# --- reading ---------------------------------------------------------------------------


def test_service_token_lists_by_sender_newest_first(client, tokens, make_ticket):
    older = make_ticket("alice-customer")
    newer = make_ticket("alice-customer", now=NOW + timedelta(minutes=5))
    make_ticket("someone-else")
    response = client.get(
        "/api/tickets", params={"sender_id": "alice-customer"}, headers=tokens["service"]
    )
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2
    assert [t["id"] for t in body["items"]] == [newer, older]
    assert set(body["items"][0]) == DESIGN_FIELDS
    assert (body["limit"], body["offset"]) == (50, 0)


def test_every_role_reads_a_ticket(client, tokens, make_ticket):
    ticket_id = make_ticket()
    for who in ("service", "alice", "sue", "adam"):
        response = client.get(f"/api/tickets/{ticket_id.lower()}", headers=tokens[who])
        assert response.status_code == 200, who
        record = response.json()
        assert set(record) == DESIGN_FIELDS
        assert record["id"] == ticket_id
        assert record["events"][0] == {
            "at": "2026-11-22T09:30:00Z",
            "who": "bot",
            "what": "created",
            "data": record["events"][0]["data"],
        }


def test_unknown_ticket_is_404(client, tokens):
    for path in ("/api/tickets/CP-20200101-0001", "/api/tickets/not-a-ticket"):
        assert client.get(path, headers=tokens["service"]).status_code == 404
    missing = client.patch(
        "/api/tickets/CP-20200101-0001", headers=tokens["sue"], json={"note": "x"}
    )
    assert missing.status_code == 404


def test_list_filters_and_pages(client, tokens, make_ticket):
    delivery = make_ticket("f1", description="courier lost it")
    billing = make_ticket(
        "f2", now=NOW + timedelta(days=1), category="billing", description="charged twice"
    )
    safety = make_ticket("f3", now=NOW + timedelta(days=2), category="safety", channel="telegram")

    def ids(**params):
        response = client.get("/api/tickets", params=params, headers=tokens["alice"])
        assert response.status_code == 200, response.text
        return [t["id"] for t in response.json()["items"]]

    assert ids(category=["billing", "safety"]) == [safety, billing]
    assert ids(severity="major") == [safety]
    assert ids(channel="telegram") == [safety]
    assert ids(status=["open"], q="COURIER") == [delivery]
    assert ids(created_from="2026-11-23T00:00:00Z", created_to="2026-11-24") == [billing]
    assert ids(unassigned="true", limit=1, offset=1) == [billing]
    page = client.get("/api/tickets", params={"limit": 2}, headers=tokens["alice"]).json()
    assert page["total"] == 3 and len(page["items"]) == 2


BAD_FILTERS = [
    {"status": "archived"},
    {"severity": "critical"},
    {"category": "weather"},
    {"channel": "fax"},
    {"limit": 0},
    {"limit": 501},
    {"offset": -1},
    {"created_from": "last tuesday"},
]


def test_bad_filters_are_422(client, tokens):
    for params in BAD_FILTERS:
        response = client.get("/api/tickets", params=params, headers=tokens["service"])
        assert response.status_code == 422, params


# --- updating and roles: 403 ---------------------------------------------------------


def test_an_agent_takes_and_works_an_unassigned_ticket(client, tokens, make_ticket):
    ticket_id = make_ticket()
    response = client.patch(
        f"/api/tickets/{ticket_id}",
        headers=tokens["alice"],
        json={"status": "in_progress", "note": "calling the courier"},
    )
    assert response.status_code == 200, response.text
    record = response.json()
    assert record["status"] == "in_progress"
    assert record["assigned_agent"] == "alice"
    assert record["first_responded_at"] == "2026-11-22T10:30:00Z"
    assert [(e["who"], e["what"]) for e in record["events"][1:]] == [
        ("agent:alice", "field_changed"),
        ("agent:alice", "status_changed"),
        ("agent:alice", "first_response"),
        ("agent:alice", "note"),
    ]
    resolved = client.patch(
        f"/api/tickets/{ticket_id}",
        headers=tokens["alice"],
        json={
            "status": "resolved",
            "resolution_note": "reshipped",
            "validity": "valid",
            "validity_reason": "the courier confirmed the loss",
        },  # fmt: skip
    ).json()
    assert (resolved["status"], resolved["resolved_at"]) == ("resolved", "2026-11-22T10:30:00Z")
    assert (resolved["resolution_note"], resolved["validity"]) == ("reshipped", "valid")


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"note": "mine now"}, "assigned to another agent"),
        ({"status": "in_progress"}, "assigned to another agent"),
    ],
)
def test_an_agent_cannot_touch_another_agents_ticket(client, db, tokens, make_ticket, body, detail):
    ticket_id = make_ticket()
    _assign(db, ticket_id, "bob")
    response = client.patch(f"/api/tickets/{ticket_id}", headers=tokens["alice"], json=body)
    assert response.status_code == 403
    assert detail in response.json()["detail"]
    record = client.get(f"/api/tickets/{ticket_id}", headers=tokens["service"]).json()
    assert record["status"] == "open" and len(record["events"]) == 1


def test_an_agent_cannot_give_a_ticket_away_or_lower_severity(client, db, tokens, make_ticket):
    ticket_id = make_ticket(category="safety")  # major
    _assign(db, ticket_id, "alice")
    give = client.patch(
        f"/api/tickets/{ticket_id}", headers=tokens["alice"], json={"assigned_agent": "bob"}
    )
    lower = client.patch(
        f"/api/tickets/{ticket_id}", headers=tokens["alice"], json={"severity": "general"}
    )
    raise_ = client.patch(
        f"/api/tickets/{ticket_id}", headers=tokens["alice"], json={"severity": "urgent"}
    )
    release = client.patch(
        f"/api/tickets/{ticket_id}", headers=tokens["alice"], json={"assigned_agent": None}
    )
    assert (give.status_code, lower.status_code) == (403, 403)
    assert "supervisor" in lower.json()["detail"]
    assert raise_.status_code == 200 and raise_.json()["severity"] == "urgent"
    assert release.status_code == 200 and release.json()["assigned_agent"] is None


@pytest.mark.parametrize("who", ["sue", "adam", "service"])
def test_supervisors_admins_and_the_service_reassign_and_lower_severity(
    client, db, tokens, make_ticket, who
):
    ticket_id = make_ticket(category="safety")  # major: 2 h / 24 h
    _assign(db, ticket_id, "bob")
    response = client.patch(
        f"/api/tickets/{ticket_id}",
        headers=tokens[who],
        json={"assigned_agent": "alice", "severity": "general"},
    )
    assert response.status_code == 200, response.text
    record = response.json()
    assert (record["assigned_agent"], record["severity"]) == ("alice", "general")
    assert record["first_response_due"] == "2026-11-23T09:30:00Z"  # 24 h from creation
    assert record["resolution_due"] == "2026-11-25T09:30:00Z"
    expected_who = "service" if who == "service" else f"agent:{who}"
    assert {e["who"] for e in record["events"][1:]} == {expected_who}


def test_invalid_transition_is_409_and_writes_nothing(client, tokens, make_ticket):
    ticket_id = make_ticket()
    response = client.patch(
        f"/api/tickets/{ticket_id}",
        headers=tokens["sue"],
        json={"status": "closed", "assigned_agent": "alice"},
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "a ticket cannot go from open to closed; from open: escalated, in_progress, "
        "resolved, withdrawn"
    )
    record = client.get(f"/api/tickets/{ticket_id}", headers=tokens["sue"]).json()
    assert (record["status"], record["assigned_agent"], len(record["events"])) == ("open", None, 1)


INVALID_UPDATES = [
    ({}, "nothing to change"),
    ({"status": None}, "nothing to change"),
    ({"assigned_agent": "ghost"}, "no active agent named 'ghost'"),
    ({"status": "archived"}, "invalid request"),
    ({"csat": 5}, "invalid request"),
    ({"note": ""}, "invalid request"),
]


def test_invalid_updates_are_422(client, tokens, make_ticket):
    ticket_id = make_ticket()
    for body, fragment in INVALID_UPDATES:
        response = client.patch(f"/api/tickets/{ticket_id}", headers=tokens["service"], json=body)
        assert response.status_code == 422, body
        assert fragment in response.json()["detail"], body
    record = client.get(f"/api/tickets/{ticket_id}", headers=tokens["service"]).json()
    assert len(record["events"]) == 1


# --- documentation -------------------------------------------------------------------


def test_api_value_lists_match_the_model():
    assert get_args(api_tickets.Status) == STATUSES
    assert get_args(api_tickets.Severity) == SEVERITIES
    assert get_args(api_tickets.Validity) == VALIDITIES


def test_openapi_documents_the_ticket_api_and_its_roles(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert set(paths["/api/tickets"]) == {"get"}
    assert set(paths["/api/tickets/{ticket_id}"]) == {"get", "patch"}
    patch = paths["/api/tickets/{ticket_id}"]["patch"]
    assert {"200", "401", "403", "404", "409", "422"} <= set(patch["responses"])
    assert patch["security"] == [{"HTTPBearer": []}]
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    parameters = {p["name"] for p in paths["/api/tickets"]["get"]["parameters"]}
    assert {"status", "severity", "category", "channel", "created_from", "created_to", "q",
            "limit", "offset", "sender_id"} <= parameters  # fmt: skip
    assert set(spec["components"]["schemas"]["TicketOut"]["properties"]) == DESIGN_FIELDS
    for text in ("agent", "supervisor", "401", "403"):
        assert text in patch["description"], text
