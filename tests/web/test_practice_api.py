"""Practice mode through the gateway on SQLite and PostgreSQL: a session with a good
answer and one with a bad answer, scored as the rubric says; the customer calmer or
angrier; supervisors see every agent's history, agents their own; no ticket, conversation
or analytics figure comes of it."""

from __future__ import annotations

from practice.test_practice import BAD, GOOD
from sqlalchemy import func, select

from bot.conversations.models import Conversation
from bot.tickets.models import Ticket

PERSONA = "en-fury-wrong-colour-again"


def _play(client, headers, answer: str) -> tuple[dict, dict]:
    started = client.post("/api/practice/sessions", json={"persona_id": PERSONA}, headers=headers)
    assert started.status_code == 201, started.text
    session = started.json()
    assert session["turns"][0]["from"] == "customer" and session["emotion"] == "furious"
    assert "satisfied_by" not in str(session)  # hidden until the end
    url = f"/api/practice/sessions/{session['id']}"
    after = client.post(f"{url}/replies", json={"text": answer}, headers=headers).json()
    done = client.post(f"{url}/finish", headers=headers).json()
    return after, done


def test_a_good_and_a_bad_practice_session(client, tokens):
    assert PERSONA in [p["id"] for p in client.get("/api/practice/personas",
                                                    headers=tokens["alice"]).json()]  # fmt: skip
    after, done = _play(client, tokens["alice"], GOOD)
    assert after["emotion"] == "angry"  # a step calmer than furious
    assert after["turns"][-1] == {**after["turns"][-1], "from": "customer",
                                  "text": "order SO20261120001, the sofa"}  # fmt: skip
    assert done["score"]["points"] == 6 and done["score"]["satisfied_by"] == "replacement"
    after, done = _play(client, tokens["bob"], BAD)
    assert after["emotion"] == "furious"  # no calmer after blame
    assert done["score"]["points"] == 1  # answered at once: speed only
    failed = {item["name"] for item in done["score"]["items"] if not item["passed"]}
    assert failed == {"fact", "feeling", "plan", "no_blame", "remedy"}
    # An ended session takes no more answers; another agent's is not found.
    url = f"/api/practice/sessions/{done['id']}/replies"
    assert client.post(url, json={"text": "sorry"}, headers=tokens["bob"]).status_code == 409
    assert client.post(url, json={"text": "sorry"}, headers=tokens["alice"]).status_code == 404
    assert client.post(url, json={"text": ""}, headers=tokens["bob"]).status_code == 422
    assert client.post("/api/practice/sessions", json={"persona_id": "nobody"},
                       headers=tokens["bob"]).status_code == 422  # fmt: skip

    everyone = client.get("/api/practice/history", headers=tokens["sue"]).json()["items"]
    assert [(s["agent"], s["score"]["points"]) for s in everyone] == [("bob", 1), ("alice", 6)]
    own = client.get("/api/practice/history", headers=tokens["alice"]).json()["items"]
    assert [s["agent"] for s in own] == ["alice"]
    assert client.get("/api/practice/history", params={"agent": "bob"},
                      headers=tokens["alice"]).status_code == 403  # fmt: skip
    # Practice is not work: no ticket, no conversation, nothing in the figures.
    with client.app.state.sessions() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 0
        assert session.scalar(select(func.count(Conversation.id))) == 0
    summary = client.get("/api/analytics/summary", headers=tokens["sue"]).json()
    assert summary["total"] == 0
