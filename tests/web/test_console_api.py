"""The console API on a real database (SQLite and PostgreSQL): sign-in, the queue, claims,
messages to a REST customer, release and resolve handing the conversation back to the bot,
transfers, notes, role rules and bad input."""

from __future__ import annotations

import functools
import threading
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketDisconnect
from web.conftest import NOW, new_ticket

from bot.agents import passwords as console_passwords
from bot.agents.service import get_agent
from bot.conversations.models import Conversation
from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import transaction
from bot.tickets.models import Ticket

PASSWORD = "a console password"


@functools.cache
def password_hash() -> str:
    """PASSWORD hashed once for the whole session by the console's own hasher (argon2 is slow
    on purpose: hashing it for every agent of every test costs minutes of the suite). Read
    when first called, after tests/conftest.py has put the tests' cheaper one in place."""
    return console_passwords._hasher.hash(PASSWORD)


def give_password(session: Session, username: str) -> None:
    """What `set_password(session, username=username, password=PASSWORD)` stores."""
    agent = get_agent(session, username)
    assert agent is not None, username
    agent.password_hash = password_hash()


@pytest.fixture
def passwords(db, tokens) -> None:
    with transaction(db) as session:
        for name in ("alice", "bob", "sue"):
            give_password(session, name)


def queue_ticket(
    client: TestClient, sender: str, severity: str = "general", **fields: object
) -> tuple[str, int]:
    """A ticket waiting in the queue with its conversation (owner `queue`), as the handover
    leaves it; the customer's message and the bot's answer are in the transcript."""
    ticket_id = new_ticket(client.app.state.sessions, sender, **fields)
    with transaction(client.app.state.sessions) as session:
        ticket = session.get(Ticket, ticket_id)
        ticket.status, ticket.severity = "escalated", severity
        conv = get_or_create_conversation(session, channel="rest", sender_id=sender, now=NOW)
        add_message(session, conversation=conv, direction="in", author="customer",
                    text="my parcel is lost", now=NOW)  # fmt: skip
        add_message(session, conversation=conv, direction="out", author="bot",
                    text="I'm sorry to hear that", now=NOW, delivered=True)  # fmt: skip
        conv.owner = "queue"
        conv_id = conv.id
    client.app.state.queue.enqueue(ticket_id, conv_id, severity, now=NOW)
    return ticket_id, conv_id


@pytest.fixture
def queued(client):
    """`queued(sender, severity="general", **ticket_fields)`: see queue_ticket."""
    return functools.partial(queue_ticket, client)


def _owner(client: TestClient, conv_id: int) -> tuple[str, str | None]:
    with client.app.state.sessions() as session:
        conv = session.get(Conversation, conv_id)
        return conv.owner, conv.assigned_agent


def test_login_sets_a_strict_httponly_cookie_and_logout_ends_it(client, passwords):
    assert client.get("/api/console/me").status_code == 401
    bad = client.post("/api/console/login", json={"username": "alice", "password": "wrong one!"})
    assert bad.status_code == 401 and bad.json()["detail"] == "wrong username or password"
    assert client.post("/api/console/login",
                       json={"username": "ghost", "password": PASSWORD}).status_code == 401  # fmt: skip
    answer = client.post("/api/console/login", json={"username": "Alice", "password": PASSWORD})
    assert answer.status_code == 200
    assert answer.json() == {
        "username": "alice",
        "display_name": "alice",
        "role": "agent",
        "locale": None,
    }
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("cb_console=cbs_")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Max-Age=43200" in cookie
    assert client.get("/api/console/me").json()["username"] == "alice"
    assert client.post("/api/console/logout").status_code == 204
    client.cookies.clear()
    assert client.get("/api/console/me").status_code == 401
    # The old token no longer works even if a client kept it.
    client.cookies.set("cb_console", cookie.split(";", 1)[0].split("=", 1)[1])
    assert client.get("/api/console/me").status_code == 401


def test_login_bad_input_is_422_not_500(client):
    for body in ({}, {"username": "alice"}, {"username": "", "password": "x"},
                 {"username": "a" * 41, "password": "x"},
                 {"username": "alice", "password": "x" * 300},
                 {"username": "alice", "password": "x", "extra": 1}):  # fmt: skip
        assert client.post("/api/console/login", json=body).status_code == 422, body
    assert client.post("/api/console/login", content=b"\xff\xfe").status_code == 422


def test_the_service_token_cannot_work_tickets(client, tokens):
    assert client.get("/api/queue", headers=tokens["service"]).status_code == 401
    assert client.get("/api/queue", headers=tokens["alice"]).status_code == 200


def test_queue_order_summary_and_waiting_time(client, tokens, queued):
    general, _ = queued("cust-g", "general")
    urgent, _ = queued("cust-u", "urgent", category="safety", description="x" * 300)
    listing = client.get("/api/queue", headers=tokens["alice"]).json()
    rows = listing["items"]
    assert [r["ticket_id"] for r in rows] == [urgent, general]
    assert [r["position"] for r in rows] == [1, 2]
    assert rows[0]["ticket"]["severity"] == "urgent" and rows[0]["ticket"]["status"] == "escalated"
    assert len(rows[0]["ticket"]["description"]) == 160
    assert rows[0]["waiting_seconds"] == 3600  # the app's clock is an hour after enqueueing
    assert listing["agents_on_duty"] == 0


def test_two_agents_claim_the_same_ticket_and_one_wins(client, tokens, queued):
    ticket_id, conv_id = queued("cust-race")
    results: list[int] = []
    barrier = threading.Barrier(2)

    def claim(who: str) -> None:
        barrier.wait()
        results.append(
            client.post(f"/api/queue/{ticket_id}/claim", headers=tokens[who]).status_code
        )

    threads = [threading.Thread(target=claim, args=(who,)) for who in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 409]
    with client.app.state.sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.status == "in_progress" and ticket.assigned_agent in ("alice", "bob")
        winner = ticket.assigned_agent
    assert _owner(client, conv_id) == ("agent", winner)
    assert client.get("/api/queue", headers=tokens["alice"]).json()["items"] == []


def test_claim_next_takes_the_most_severe_first(client, tokens, queued):
    queued("cust-1", "general")
    major, conv = queued("cust-2", "major")
    taken = client.post("/api/queue/claim", headers=tokens["alice"])
    assert taken.status_code == 200
    assert taken.json()["ticket"]["id"] == major and taken.json()["conversation_id"] == conv
    assert taken.json()["ticket"]["assigned_agent"] == "alice"
    client.post("/api/queue/claim", headers=tokens["bob"])
    empty = client.post("/api/queue/claim", headers=tokens["bob"])
    assert empty.status_code == 404 and "nothing is waiting" in empty.json()["detail"]


def test_a_stale_queue_item_is_skipped_and_dropped(client, tokens, queued):
    stale, _ = queued("cust-stale", "urgent")
    waiting, _ = queued("cust-ok", "general")
    with transaction(client.app.state.sessions) as session:
        session.get(Ticket, stale).status = "withdrawn"
    assert client.post(f"/api/queue/{stale}/claim", headers=tokens["alice"]).status_code == 409
    taken = client.post("/api/queue/claim", headers=tokens["alice"])
    assert taken.json()["ticket"]["id"] == waiting
    assert client.app.state.queue.items() == []


def test_agent_message_reaches_the_rest_customer_and_counts_as_first_response(
    client, tokens, queued, db
):
    ticket_id, conv_id = queued("cust-rest")
    with transaction(db) as session:
        session.get(Ticket, ticket_id).first_responded_at = None
    # Before a claim nobody may write into the conversation.
    early = client.post(f"/api/conversations/{conv_id}/messages", headers=tokens["alice"],
                        json={"text": "hi"})  # fmt: skip
    assert early.status_code == 409
    client.post(f"/api/queue/{ticket_id}/claim", headers=tokens["alice"])
    sent = client.post(
        f"/api/conversations/{conv_id}/messages",
        headers=tokens["alice"],
        json={"text": "Hello, I'm looking into your parcel now."},
    )
    assert sent.status_code == 201
    assert sent.json() == {"delivered": False, "first_response": False}  # claiming responded
    pending = client.get("/webhooks/rest/messages", params={"sender": "cust-rest"}).json()
    assert pending == [
        {
            "recipient_id": "cust-rest",
            "text": "Hello, I'm looking into your parcel now.",
            "custom": {"author": "agent", "display_name": "alice"},
        }
    ]
    assert client.get("/webhooks/rest/messages", params={"sender": "cust-rest"}).json() == []
    transcript = client.get(f"/api/conversations/{conv_id}/messages", headers=tokens["bob"])
    assert [(m["from"], m["text"]) for m in transcript.json()["messages"]] == [
        ("customer", "my parcel is lost"),
        ("bot", "I'm sorry to hear that"),
        ("agent", "Hello, I'm looking into your parcel now."),
    ]
    assert transcript.json()["messages"][2]["name"] == "alice"
    assert transcript.json()["conversation"]["owner"] == "agent"
    later = client.get(f"/api/conversations/{conv_id}/messages?after="
                       f"{transcript.json()['messages'][1]['id']}", headers=tokens["bob"])  # fmt: skip
    assert len(later.json()["messages"]) == 1
    # Another agent cannot speak in alice's conversation; a supervisor can.
    other = client.post(f"/api/conversations/{conv_id}/messages", headers=tokens["bob"],
                        json={"text": "hi"})  # fmt: skip
    assert other.status_code == 403
    sup = client.post(f"/api/conversations/{conv_id}/messages", headers=tokens["sue"],
                      json={"text": "Supervisor here."})  # fmt: skip
    assert sup.status_code == 201


def test_first_response_is_stamped_by_the_first_message(client, tokens, queued, db):
    ticket_id, conv_id = queued("cust-first")
    client.post(f"/api/queue/{ticket_id}/claim", headers=tokens["alice"])
    with transaction(db) as session:  # as if the claim had not counted
        session.get(Ticket, ticket_id).first_responded_at = None
    sent = client.post(f"/api/conversations/{conv_id}/messages", headers=tokens["alice"],
                       json={"text": "Hello"})  # fmt: skip
    assert sent.json()["first_response"] is True
    with db() as session:
        assert session.get(Ticket, ticket_id).first_responded_at is not None


def test_resolve_needs_a_note_and_gives_the_conversation_back_to_the_bot(client, tokens, queued):
    ticket_id, conv_id = queued("cust-resolve")
    client.post(f"/api/queue/{ticket_id}/claim", headers=tokens["alice"])
    url = f"/api/tickets/{ticket_id}/resolve"
    assert client.post(url, headers=tokens["alice"], json={}).status_code == 422
    assert client.post(url, headers=tokens["alice"],
                       json={"resolution_note": "   "}).status_code == 422  # fmt: skip
    assert client.post(url, headers=tokens["bob"],
                       json={"resolution_note": "done"}).status_code == 403  # fmt: skip
    done = client.post(url, headers=tokens["alice"],
                       json={"resolution_note": "Refund issued, 59 CNY"})  # fmt: skip
    assert done.status_code == 200
    body = done.json()
    assert body["status"] == "resolved" and body["resolution_note"] == "Refund issued, 59 CNY"
    assert body["events"][-1]["who"] == "agent:alice"
    assert _owner(client, conv_id) == ("bot", None)
    again = client.post(url, headers=tokens["alice"], json={"resolution_note": "again"})
    assert again.status_code == 409


def test_a_supervisor_can_resolve_straight_from_the_queue(client, tokens, queued):
    ticket_id, conv_id = queued("cust-sup")
    done = client.post(f"/api/tickets/{ticket_id}/resolve", headers=tokens["sue"],
                       json={"resolution_note": "duplicate of an answered ticket"})  # fmt: skip
    assert done.status_code == 200 and done.json()["assigned_agent"] == "sue"
    assert client.app.state.queue.items() == []
    assert _owner(client, conv_id) == ("bot", None)


def test_release_gives_the_chat_to_the_bot_and_keeps_the_ticket(client, tokens, queued):
    ticket_id, conv_id = queued("cust-release")
    url = f"/api/tickets/{ticket_id}/release"
    assert client.post(url, headers=tokens["alice"]).status_code == 403  # not hers yet
    client.post(f"/api/queue/{ticket_id}/claim", headers=tokens["alice"])
    assert client.post(url, headers=tokens["bob"]).status_code == 403
    released = client.post(url, headers=tokens["alice"], json={"note": "waiting on warehouse"})
    assert released.status_code == 200
    body = released.json()
    assert (body["status"], body["assigned_agent"]) == ("in_progress", "alice")
    assert body["events"][-1]["data"] == {
        "text": "conversation released to the bot: waiting on warehouse"
    }
    assert _owner(client, conv_id) == ("bot", None)
    assert client.post(url, headers=tokens["alice"]).status_code == 409  # already the bot's


def test_transfer_and_notes(client, tokens, queued):
    ticket_id, conv_id = queued("cust-transfer")
    client.post(f"/api/queue/{ticket_id}/claim", headers=tokens["alice"])
    url = f"/api/tickets/{ticket_id}/transfer"
    assert client.post(url, headers=tokens["bob"], json={"to_agent": "bob"}).status_code == 403
    assert client.post(url, headers=tokens["alice"], json={"to_agent": "ghost"}).status_code == 422
    assert client.post(url, headers=tokens["alice"], json={"to_agent": "alice"}).status_code == 409
    moved = client.post(url, headers=tokens["alice"], json={"to_agent": "bob", "note": "billing"})
    assert moved.status_code == 200 and moved.json()["assigned_agent"] == "bob"
    assert _owner(client, conv_id) == ("agent", "bob")
    mine = client.get("/api/console/tickets", headers=tokens["bob"]).json()
    assert [(t["id"], t["conversation_id"], t["conversation_owner"]) for t in mine] == [
        (ticket_id, conv_id, "agent")
    ]
    assert client.get("/api/console/tickets", headers=tokens["alice"]).json() == []

    notes = f"/api/tickets/{ticket_id}/notes"
    assert client.post(notes, headers=tokens["alice"], json={"text": "hm"}).status_code == 403
    noted = client.post(notes, headers=tokens["bob"], json={"text": "called the courier"})
    assert noted.status_code == 201
    assert noted.json()["events"][-1]["data"] == {"text": "called the courier"}
    assert client.post(notes, headers=tokens["bob"], json={"text": ""}).status_code == 422
    assert client.post(notes, headers=tokens["bob"], json={"text": "x" * 5000}).status_code == 422


def test_unknown_ids_and_bad_bodies_are_clear_answers(client, tokens, queued):
    alice = tokens["alice"]
    for method, url, body in (
        ("post", "/api/queue/CP-20260101-9999/claim", None),
        ("post", "/api/queue/not-a-ticket/claim", None),
        ("get", "/api/conversations/999999/messages", None),
        ("post", "/api/conversations/999999/messages", {"text": "hi"}),
        ("post", "/api/tickets/CP-20260101-9999/resolve", {"resolution_note": "x"}),
        ("post", "/api/tickets/nonsense/notes", {"text": "x"}),
        ("post", "/api/tickets/CP-20260101-9999/transfer", {"to_agent": "bob"}),
    ):
        answer = client.request(method, url, headers=alice, json=body)
        assert answer.status_code == 404, (url, answer.text)
    ticket_id, conv_id = queued("cust-bad")
    for url, body in (
        (f"/api/conversations/{conv_id}/messages", {}),
        (f"/api/conversations/{conv_id}/messages", {"text": ""}),
        (f"/api/conversations/{conv_id}/messages", {"text": "x" * 4001}),
        (f"/api/conversations/{conv_id}/messages", {"text": 5, "extra": True}),
        ("/api/conversations/abc/messages", {"text": "hi"}),
        (f"/api/tickets/{ticket_id}/transfer", {}),
        ("/api/console/presence", {"status": "asleep"}),
    ):
        answer = client.post(url, headers=alice, json=body)
        assert answer.status_code == 422, (url, body, answer.text)
        assert answer.json()["detail"]
    assert client.get(f"/api/conversations/{conv_id}/messages?after=-1",
                      headers=alice).status_code == 422  # fmt: skip
    assert client.post("/api/queue/claim", headers=alice, content=b"\x00garbage").status_code == 200


def test_presence_and_heartbeat(client, tokens):
    alice = tokens["alice"]
    assert client.post("/api/console/heartbeat", headers=alice).json() == {"on_duty": False}
    on = client.post("/api/console/presence", headers=alice, json={"status": "on_duty"})
    assert on.json() == {"status": "on_duty", "agents_on_duty": 1}
    assert client.post("/api/console/heartbeat", headers=alice).json() == {"on_duty": True}
    client.app.state.clock = lambda: NOW + timedelta(hours=2)  # heartbeats stopped
    assert client.post("/api/console/heartbeat", headers=alice).json() == {"on_duty": False}
    away = client.post("/api/console/presence", headers=alice, json={"status": "away"})
    assert away.json() == {"status": "away", "agents_on_duty": 0}


def test_the_console_socket_pushes_the_queue_and_customer_messages(client, passwords, queued):
    first, conv_id = queued("cust-live", "general")
    client.post("/api/console/login", json={"username": "alice", "password": PASSWORD})
    with client.websocket_connect("/console/ws") as socket:
        assert socket.receive_json()["type"] == "hello"
        shown = socket.receive_json()
        assert shown["type"] == "queue" and [r["ticket_id"] for r in shown["items"]] == [first]
        urgent, _ = queued("cust-urgent", "urgent")
        update = socket.receive_json()  # within one poll at most
        assert [r["ticket_id"] for r in update["items"]] == [urgent, first]
        assert client.post(f"/api/queue/{first}/claim").status_code == 200
        assert [r["ticket_id"] for r in socket.receive_json()["items"]] == [urgent]
        # The customer writes over REST: the router stores it and the socket shows it.
        answer = client.post(
            "/webhooks/rest/webhook", json={"sender": "cust-live", "message": "still there?"}
        )
        assert answer.json() == []  # the agent has the conversation: the bot is silent
        pushed = socket.receive_json()
        assert pushed["type"] == "messages"
        assert [(m["from"], m["text"], m["conversation_id"]) for m in pushed["messages"]] == [
            ("customer", "still there?", conv_id)
        ]
        socket.send_json({"type": "ping"})
        assert socket.receive_json() == {"type": "pong"}


def test_the_console_socket_refuses_strangers(client, passwords):
    with client.websocket_connect("/console/ws") as socket:
        assert socket.receive_json() == {"type": "signed_out"}
    client.post("/api/console/login", json={"username": "alice", "password": PASSWORD})
    with client.websocket_connect("/console/ws", headers={"origin": "https://evil.example"}) as s:
        assert s.receive_json() == {"type": "signed_out"}


def test_malformed_console_frames_get_an_error_frame_or_a_clean_close(client, passwords):
    client.post("/api/console/login", json={"username": "alice", "password": PASSWORD})
    with client.websocket_connect("/console/ws") as socket:
        assert socket.receive_json()["type"] == "hello"
        # The socket's first poll always pushes the queue, at a moment of its own: wait for
        # it. The queue does not change after that, so every later frame is an answer.
        assert socket.receive_json() == {"type": "queue", "items": [], "agents_on_duty": 0}
        for bad in ("not json {", "[1, 2]", '"ping"', '{"type": "shutdown"}', "{}"):
            socket.send_text(bad)
            frame = socket.receive_json()
            assert frame["type"] == "error" and frame["message"], bad
        socket.send_json({"type": "ping"})
        assert socket.receive_json() == {"type": "pong"}
    for bad_frame, code in ({"bytes": b"\x00\xffbinary"}, 1003), ({"text": "x" * 5000}, 1009):
        with client.websocket_connect("/console/ws") as socket:
            assert socket.receive_json()["type"] == "hello"
            socket.send({"type": "websocket.receive", **bad_frame})
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    socket.receive_json()
        assert closed.value.code == code


def test_the_console_page_and_its_files_are_same_origin_only(client):
    page = client.get("/console")
    assert page.status_code == 200 and "Agent console" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert client.get("/console/console.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/console/console.css").status_code == 200
    assert client.get("/console/secrets.py").status_code == 404
    assert "console" in {tag for op in client.get("/openapi.json").json()["paths"].values()
                         for method in op.values() for tag in method.get("tags", [])}  # fmt: skip
