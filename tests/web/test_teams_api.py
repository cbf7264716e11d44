"""Teams through the gateway on SQLite and PostgreSQL: routing of new tickets, the queue
with my team first, hand-over (流转) with its rules and bad input, the console flash to
the receiving team, per-team queues for supervisors and per-team figures; and nothing of
it without a teams file."""

from __future__ import annotations

import time

import pytest
import yaml
from sqlalchemy import select
from web.conftest import NOW, gateway_client, make_agents, new_ticket
from web.test_console_api import PASSWORD, give_password, queue_ticket

from bot.db import transaction
from bot.tickets.models import Ticket

TEAMS = {
    "default": "coordination",
    "teams": [
        {"name": "coordination", "members": ["sue"]},
        {"name": "logistics", "members": ["alice"], "categories": ["delivery"]},
        {"name": "quality", "members": ["bob"], "categories": ["product_quality"],
         "products": ["kettle"]},
    ],
}  # fmt: skip


@pytest.fixture
def teamed(db_url, tmp_path):
    path = tmp_path / "teams.yml"
    path.write_text(yaml.safe_dump(TEAMS), encoding="utf-8")
    with gateway_client(db_url, tmp_path / "var", teams=path) as test_client:
        yield test_client


@pytest.fixture
def heads(teamed):
    return make_agents(teamed.app.state.sessions)


def routed(client, sender: str, **fields: object) -> str:
    """A ticket as the action server makes it: routed by the same teams file."""
    return new_ticket(client.app.state.sessions, sender, teams=client.app.state.teams, **fields)


def _team(client, ticket_id: str) -> str | None:
    with client.app.state.sessions() as session:
        return session.get(Ticket, ticket_id).team


def test_new_tickets_are_routed_and_the_ticket_shows_its_team(teamed, heads):
    parcel = routed(teamed, "c1")
    kettle = routed(teamed, "c2", product="Kettle K2")  # the product before the category
    bill = routed(teamed, "c3", category="billing")
    assert [_team(teamed, t) for t in (parcel, kettle, bill)] == [
        "logistics", "quality", "coordination"
    ]  # fmt: skip
    shown = teamed.get(f"/api/tickets/{kettle}/team", headers=heads["bob"]).json()
    assert shown == {"ticket_id": kettle, "team": "quality", "hops": []}
    record = teamed.get(f"/api/tickets/{kettle}", headers=heads["sue"]).json()
    assert "team" not in record  # DESIGN §6 fixes the record's fields; the trail has it
    assert [e["data"] for e in record["events"] if e["what"] == "routed"] == [
        {"team": "quality", "by": "product"}
    ]
    mine = teamed.get("/api/teams", headers=heads["alice"]).json()
    assert mine["mine"] == ["logistics"] and mine["default"] == "coordination"
    assert [t["name"] for t in mine["teams"]] == ["coordination", "logistics", "quality"]


def test_the_queue_shows_my_team_first(teamed, heads):
    teams = teamed.app.state.teams
    older, _ = queue_ticket(teamed, "q1", category="billing", teams=teams)  # coordination
    kettle, _ = queue_ticket(teamed, "q2", product="kettle", teams=teams)  # quality
    parcel, _ = queue_ticket(teamed, "q3", teams=teams)  # logistics
    serving = [older, kettle, parcel]
    for who, first in (("alice", parcel), ("bob", kettle), ("sue", older)):
        rows = teamed.get("/api/queue", headers=heads[who]).json()["items"]
        assert rows[0]["ticket_id"] == first, who
        assert [r["ticket_id"] for r in rows[1:]] == [t for t in serving if t != first]
        assert {r["ticket_id"]: r["position"] for r in rows} == {
            t: i for i, t in enumerate(serving, 1)
        }
    # Agents still take from other teams.
    assert teamed.post(f"/api/queue/{kettle}/claim", headers=heads["alice"]).status_code == 200


def test_hand_over_rules_and_bad_input(teamed, heads):
    parcel = routed(teamed, "c1")  # logistics, nobody on it
    url = f"/api/tickets/{parcel}/team"
    body = {"team": "quality", "reason": "the kettle arrived broken: quality's call"}
    # bob is not in logistics and does not work on it.
    assert teamed.post(url, json=body, headers=heads["bob"]).status_code == 403
    for bad, status in (
        ({"team": "nowhere", "reason": "x"}, 422),
        ({"team": "logistics", "reason": "x"}, 422),  # already there
        ({"team": "quality", "reason": "   "}, 422),
        ({"team": "quality"}, 422),
        ({"team": "quality", "reason": "x" * 501}, 422),
        ({"team": "quality", "reason": "x", "extra": 1}, 422),
    ):
        answer = teamed.post(url, json=bad, headers=heads["alice"])
        assert answer.status_code == status, (bad, answer.text)
        assert answer.json()["detail"]
    assert teamed.post("/api/tickets/CP-20261122-9999/team", json=body,
                       headers=heads["sue"]).status_code == 404  # fmt: skip
    assert teamed.post("/api/tickets/nonsense/team", json=body,
                       headers=heads["sue"]).status_code == 404  # fmt: skip
    moved = teamed.post(url, json=body, headers=heads["alice"])
    assert moved.status_code == 200 and moved.json()["team"] == "quality"
    assert [hop["to"] for hop in moved.json()["hops"]] == ["quality"]
    # Now quality's: alice may no longer move it; a supervisor may.
    again = {"team": "coordination", "reason": "refund above our limit"}
    assert teamed.post(url, json=again, headers=heads["alice"]).status_code == 403
    assert teamed.post(url, json=again, headers=heads["sue"]).status_code == 200
    hops = [
        (hop["who"], hop["from"], hop["to"], hop["reason"])
        for hop in teamed.get(f"/api/tickets/{parcel}/team", headers=heads["bob"]).json()["hops"]
    ]
    assert hops == [
        ("agent:alice", "logistics", "quality", body["reason"]),
        ("agent:sue", "quality", "coordination", again["reason"]),
    ]


def test_the_receiving_team_gets_a_console_flash(teamed, heads):
    with transaction(teamed.app.state.sessions) as session:
        give_password(session, "bob")
    parcel = routed(teamed, "c1")
    teamed.post("/api/console/login", json={"username": "bob", "password": PASSWORD})
    with teamed.websocket_connect("/console/ws") as socket:
        assert socket.receive_json()["type"] == "hello"
        assert socket.receive_json()["type"] == "queue"  # the first poll
        body = {"team": "quality", "reason": "damaged, not late"}
        teamed.cookies.clear()  # the socket keeps bob's session; the hand-over is alice's
        assert teamed.post(f"/api/tickets/{parcel}/team", json=body,
                           headers=heads["alice"]).status_code == 200  # fmt: skip
        deadline = time.monotonic() + 10
        frame: dict = {}
        while frame.get("type") != "flash" and time.monotonic() < deadline:
            socket.send_json({"type": "ping"})  # answered at once: never blocks for long
            frame = socket.receive_json()
            if frame["type"] == "pong":
                time.sleep(0.05)  # polling pace; the deadline decides
        assert frame == {"type": "flash", "kind": "team_handover", "ticket_id": parcel,
                         "team": "quality", "reason": "damaged, not late",
                         "by": "agent:alice"}  # fmt: skip


def test_supervisors_see_each_teams_queue(teamed, heads):
    db = teamed.app.state.sessions
    made = [routed(teamed, f"c{i}", now=NOW.replace(hour=i)) for i in range(1, 4)]
    kettle = routed(teamed, "c9", product="kettle", now=NOW.replace(hour=2))
    with transaction(db) as session:
        session.get(Ticket, made[0]).sla_breached = True
        session.get(Ticket, made[1]).assigned_agent = "alice"
        session.get(Ticket, made[2]).status = "resolved"
    assert teamed.get("/api/teams/queues", headers=heads["alice"]).status_code == 403
    found = teamed.get("/api/teams/queues", headers=heads["sue"]).json()["teams"]
    assert kettle
    # The gateway's clock: an hour after NOW (09:30 → 10:30).
    assert found == [
        {"team": "coordination", "open": 0, "unassigned": 0, "breached": 0,
         "oldest_created_at": None, "oldest_age_minutes": None},
        {"team": "logistics", "open": 2, "unassigned": 1, "breached": 1,
         "oldest_created_at": "2026-11-22T01:30:00Z", "oldest_age_minutes": 540},
        {"team": "quality", "open": 1, "unassigned": 1, "breached": 0,
         "oldest_created_at": "2026-11-22T02:30:00Z", "oldest_age_minutes": 480},
    ]  # fmt: skip
    figures = teamed.get("/api/analytics/teams", params={"since": "2026-11-01"},
                         headers=heads["sue"]).json()["teams"]  # fmt: skip
    assert [(row["team"], row["total"], row["sla"]["compliance_pct"]) for row in figures] == [
        ("logistics", 3, 66.67),
        ("quality", 1, 100.0),
    ]
    csv_text = teamed.get("/api/analytics/teams", params={"since": "2026-11-01", "format": "csv"},
                          headers=heads["sue"]).text  # fmt: skip
    assert csv_text.splitlines()[1].startswith("logistics,3,")


def test_without_a_teams_file_nothing_changes(client, tokens, make_ticket):
    ticket_id = make_ticket()
    record = client.get(f"/api/tickets/{ticket_id}", headers=tokens["sue"]).json()
    assert "team" not in record and [e["what"] for e in record["events"]] == ["created"]
    assert client.get("/api/teams", headers=tokens["alice"]).json() == {
        "default": None, "teams": [], "mine": []
    }  # fmt: skip
    answer = client.post(f"/api/tickets/{ticket_id}/team", json={"team": "x", "reason": "y"},
                         headers=tokens["sue"])  # fmt: skip
    assert answer.status_code == 409 and "COMPLAINTBOT_TEAMS" in answer.json()["detail"]
    shown = client.get(f"/api/tickets/{ticket_id}/team", headers=tokens["alice"]).json()
    assert shown == {"ticket_id": ticket_id, "team": None, "hops": []}
    assert (
        client.get("/api/tickets/CP-20261122-9999/team", headers=tokens["alice"]).status_code == 404
    )


def test_a_ticket_made_while_the_bot_is_down_is_routed_too(teamed, heads):
    # Rasa's URL leads nowhere: the gateway puts the message on a ticket for a human.
    answer = teamed.post("/webhooks/rest/webhook",
                         json={"sender": "down-1", "message": "my order never came"})  # fmt: skip
    assert answer.status_code == 200
    with teamed.app.state.sessions() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.sender_id == "down-1")).one()
        assert (ticket.category, ticket.team) == ("other", "coordination")
        assert [e.data for e in ticket.events if e.action == "routed"] == [
            {"team": "coordination", "by": "default"}
        ]
