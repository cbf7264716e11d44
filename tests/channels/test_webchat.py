"""The web chat WebSocket: frames, history, and messages pushed to (or kept for) a browser.

The gateway runs in-process on a real SQLite database; Rasa is not running, so the bot's
answer is the router's apology (the real path when Rasa is down).
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from bot.agents.service import create_agent
from bot.channels.webchat import (
    MAX_FRAME_BYTES,
    MAX_TEXT_CHARS,
    RATE_FRAMES,
    TRY_AGAIN_LATER,
    parse_frame,
)
from bot.conversations.models import Conversation, Message
from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import transaction
from bot.routing.messages import Reply
from bot.stack import free_port
from bot.web.app import create_app


def new_session() -> str:
    return "wc_" + secrets.token_hex(16)


@pytest.fixture
def client(gateway) -> TestClient:
    return gateway()


def connect(client: TestClient, session: str):
    return client.websocket_connect(f"/webchat/ws?session={session}")


def send_out(client: TestClient, session: str, *replies: Reply) -> bool:
    """What an agent or a follow-up does: Outbound.send on the gateway's own event loop."""
    outbound = client.app.state.outbound
    return client.portal.call(outbound.send, "webchat", session, list(replies))


def receive_until(ws, kind: str, limit: int = 20) -> list[dict]:
    """Frames up to and including the first one of type `kind`."""
    frames = []
    for _ in range(limit):
        frames.append(ws.receive_json())
        if frames[-1]["type"] == kind:
            return frames
    raise AssertionError(f"no {kind!r} frame in {frames}")


def pending_ids(client: TestClient, session: str) -> list[int]:
    with client.app.state.sessions() as db:
        return list(
            db.scalars(
                select(Message.id)
                .join(Conversation)
                .where(
                    Conversation.sender_id == session,
                    Message.direction == "out",
                    Message.delivered_at.is_(None),
                )
            )
        )


def test_history_comes_first_and_is_empty_for_a_new_browser(client):
    with connect(client, new_session()) as ws:
        first = ws.receive_json()
    assert first == {"type": "history", "messages": [], "max_text": MAX_TEXT_CHARS}


@pytest.mark.parametrize("session", ["", "abc", "wc_" + "g" * 32, "wc_" + "a" * 31, "../etc"])
def test_a_malformed_session_id_is_refused_with_an_error_frame(client, session):
    with connect(client, session) as ws:
        frame = ws.receive_json()
        assert frame["type"] == "error" and frame["code"] == "bad_session"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 1008


def test_bad_frames_get_error_frames_and_the_socket_keeps_working(client):
    with connect(client, new_session()) as ws:
        ws.receive_json()  # history
        cases = [
            (lambda: ws.send_text("not json {"), "not_json"),
            (lambda: ws.send_text("[1, 2]"), "bad_frame"),
            (lambda: ws.send_json({"text": "no type"}), "bad_frame"),
            (lambda: ws.send_json({"type": "message", "text": 42}), "bad_frame"),
            (lambda: ws.send_json({"type": "message", "text": "hi", "id": 7}), "bad_frame"),
            (lambda: ws.send_json({"type": "button", "payload": " "}), "bad_frame"),
            (lambda: ws.send_json({"type": "button", "payload": {"x": 1}}), "bad_frame"),
            (lambda: ws.send_json({"type": "shutdown"}), "bad_frame"),
            (lambda: ws.send_bytes(b"\x00\xff\x10binary"), "binary"),
            (lambda: ws.send_text("x" * (MAX_FRAME_BYTES + 1)), "too_large"),
            (
                lambda: ws.send_json(
                    {"type": "message", "text": "很" * (MAX_TEXT_CHARS + 1), "id": "c9"}
                ),
                "too_long",
            ),
        ]
        for send, code in cases:
            send()
            frame = ws.receive_json()
            assert frame["type"] == "error" and frame["code"] == code, frame
            assert frame["message"]
        assert frame["id"] == "c9"  # the widget can mark exactly that message as not sent
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    with client.app.state.sessions() as db:
        assert db.scalars(select(Message)).all() == []  # nothing bad was stored


def test_parse_frame_reads_only_the_fields_it_knows():
    frame = parse_frame({"text": json.dumps({"type": "message", "text": "hi", "admin": True})})
    assert frame == {"type": "message", "text": "hi", "id": None}


def test_a_message_is_stored_answered_and_acknowledged(client):
    session = new_session()
    with connect(client, session) as ws:
        ws.receive_json()
        ws.send_json(
            {"type": "message", "text": "my parcel never arrived, order JD0098812", "id": "c1"}
        )
        frames = receive_until(ws, "ack")
    kinds = [f["type"] for f in frames]
    assert kinds[0] == "typing" and frames[0]["on"] is True
    assert kinds[-2:] == ["typing", "ack"] and frames[-2]["on"] is False
    assert frames[-1]["id"] == "c1"
    answers = [f for f in frames if f["type"] == "message"]
    assert answers and answers[0]["from"] == "system"  # Rasa is down: the apology
    assert "saved" in answers[0]["text"]


def test_a_reconnecting_browser_gets_its_history_and_button_titles(client):
    session = new_session()
    with transaction(client.app.state.sessions) as db:
        conv = get_or_create_conversation(
            db, channel="webchat", sender_id=session, now=datetime.now(UTC)
        )
        add_message(
            db,
            conversation=conv,
            direction="out",
            author="bot",
            text="What would you like us to do?",
            buttons=[{"title": "A refund", "payload": '/inform{"desired_resolution":"refund"}'}],
            now=datetime.now(UTC),
            delivered=True,
        )
    with connect(client, session) as ws:
        history = ws.receive_json()["messages"]
        assert history[0]["buttons"][0]["title"] == "A refund"
        ws.send_json(
            {
                "type": "button",
                "payload": '/inform{"desired_resolution":"refund"}',
                "title": "A refund",
                "id": "c1",
            }
        )
        receive_until(ws, "ack")
    with connect(client, session) as ws:
        history = ws.receive_json()["messages"]
    assert [m["from"] for m in history] == ["bot", "customer", "system"]
    assert history[1]["text"] == "A refund"  # the payload is shown as the button's title
    assert all(isinstance(m["id"], int) for m in history)
    assert not any(m.get("new") for m in history)

    response = client.get("/webchat/history", params={"session": session})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.json()["messages"] == history
    assert client.get("/webchat/history", params={"session": "nope"}).status_code == 400


def test_a_message_sent_by_outbound_reaches_every_open_tab_with_the_agent_name(client):
    session = new_session()
    with transaction(client.app.state.sessions) as db:
        create_agent(
            db, username="wang", role="agent", display_name="专员小王", now=datetime.now(UTC)
        )
    with connect(client, session) as first, connect(client, session) as second:
        first.receive_json()
        second.receive_json()
        delivered = send_out(
            client,
            session,
            Reply("I have found your parcel.", author="agent:wang", display_name="专员小王"),
        )
        assert delivered is True
        for ws in (first, second):
            frame = ws.receive_json()
            assert frame["type"] == "message"
            assert (frame["from"], frame["name"]) == ("agent", "专员小王")
            assert frame["text"] == "I have found your parcel."
    assert pending_ids(client, session) == []
    with connect(client, session) as ws:  # and it is part of the history
        history = ws.receive_json()["messages"]
    assert history[-1]["name"] == "专员小王"


def test_a_customer_message_shows_in_the_other_tabs(client):
    session = new_session()
    with connect(client, session) as first, connect(client, session) as second:
        first.receive_json()
        second.receive_json()
        first.send_json({"type": "message", "text": "hello from tab one"})
        frames = receive_until(second, "typing")  # typing on
        frames += receive_until(second, "message")
        assert frames[-1] == {**frames[-1], "from": "customer", "text": "hello from tab one"}


def test_with_no_tab_open_a_message_waits_and_arrives_on_the_next_visit(client):
    session = new_session()
    with connect(client, session) as ws:
        ws.receive_json()
    assert client.app.state.webchat.open_sockets(session) == 0
    delivered = send_out(client, session, Reply("Your refund has been approved."))
    assert delivered is False
    assert len(pending_ids(client, session)) == 1

    with connect(client, session) as ws:
        history = ws.receive_json()["messages"]
    assert history[-1]["text"] == "Your refund has been approved."
    assert history[-1]["new"] is True  # the widget shows it as unread
    assert pending_ids(client, session) == []  # delivered by this visit
    with connect(client, session) as ws:
        assert "new" not in ws.receive_json()["messages"][-1]


def test_a_flood_of_frames_is_rate_limited(client):
    with connect(client, new_session()) as ws:
        ws.receive_json()
        for _ in range(RATE_FRAMES + 5):
            ws.send_json({"type": "ping"})
        answers = [ws.receive_json() for _ in range(RATE_FRAMES + 5)]
    assert answers[:RATE_FRAMES] == [{"type": "pong"}] * RATE_FRAMES
    assert {a.get("code") for a in answers[RATE_FRAMES:]} == {"rate_limited"}


def test_a_lone_surrogate_is_refused_and_the_socket_keeps_working(client):
    with connect(client, new_session()) as ws:
        ws.receive_json()
        ws.send_text('{"type": "message", "text": "broken \\ud800 text", "id": "c1"}')
        assert ws.receive_json()["code"] == "bad_text"
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}
    with client.app.state.sessions() as db:
        assert db.scalars(select(Message)).all() == []


def test_over_the_per_sender_cap_a_message_is_refused_by_id_and_not_stored(gateway, stored_texts):
    client = gateway(rate_limit_per_sender=2)
    session = new_session()
    with connect(client, session) as ws:
        ws.receive_json()
        for n in (1, 2):
            ws.send_json({"type": "message", "text": f"parcel lost {n}", "id": f"c{n}"})
            receive_until(ws, "ack")
        ws.send_json({"type": "message", "text": "parcel lost 3", "id": "c3"})
        refused = ws.receive_json()
        assert refused["type"] == "error" and refused["code"] == "rate_limited"
        assert refused["id"] == "c3" and "send it again in" in refused["message"]
        ws.send_json({"type": "ping"})
        assert ws.receive_json() == {"type": "pong"}  # pings are not customer messages
    assert stored_texts(client, "webchat", session) == ["parcel lost 1", "parcel lost 2"]


def test_over_the_per_address_cap_a_connection_is_closed_with_try_again_later(gateway):
    client = gateway(rate_limit_per_ip=2)
    for _ in range(2):
        with connect(client, new_session()) as ws:
            assert ws.receive_json()["type"] == "history"
    with connect(client, new_session()) as ws:
        frame = ws.receive_json()
        assert frame["code"] == "rate_limited" and "Connect again in" in frame["message"]
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == TRY_AGAIN_LATER


ANSWERS = {"pong", "typing", "message", "ack", "error"}
FRAME_ERRORS = {"binary", "too_large", "not_json", "bad_frame", "bad_text", "too_long"}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
frames = st.one_of(
    st.text(max_size=300).map(lambda t: {"text": t}),
    st.binary(max_size=300).map(lambda b: {"bytes": b}),
    json_values.map(lambda v: {"text": json.dumps(v)}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["message", "button", "ping", "", "MESSAGE"]) | json_values},
        optional={
            "text": json_values,
            "payload": json_values,
            "title": json_values,
            "id": st.text(max_size=80) | json_values,
        },
    ).map(lambda v: {"text": json.dumps(v)}),
)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(raw=frames)
def test_any_frame_gets_an_answer_or_an_error_and_the_socket_keeps_working(client, raw):
    with connect(client, new_session()) as ws:
        ws.receive_json()
        if "bytes" in raw:
            ws.send_bytes(raw["bytes"])
        else:
            ws.send_text(raw["text"])
        ws.send_json({"type": "ping"})
        answers = receive_until(ws, "pong")
    assert {a["type"] for a in answers} <= ANSWERS
    for answer in answers:
        if answer["type"] == "error":
            assert answer["code"] in FRAME_ERRORS and answer["message"], answer
        elif answer["type"] == "message":
            assert answer["text"]  # a reply, never an empty frame


def test_invalid_utf8_and_oversized_frames_close_a_real_socket_cleanly(offline_settings, serve_app):
    """Over a real WebSocket (uvicorn): broken UTF-8 closes with 1007, a frame over the
    server's size limit with 1009; the gateway serves the next browser as usual."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect as ws_connect

    port = free_port()
    url = serve_app(create_app(offline_settings(port=port)), port).replace("http", "ws")
    socket_url = f"{url}/webchat/ws?session={new_session()}"
    for frame, code in ((b'{"type": "ping", "x": "\xff\xfe"}', 1007), (b"x" * (17 << 20), 1009)):
        with ws_connect(socket_url, open_timeout=10, max_size=None) as ws:
            assert json.loads(ws.recv(timeout=10))["type"] == "history"
            try:
                ws.send(frame, text=True)
                ws.recv(timeout=10)
            except ConnectionClosed:
                pass
            assert ws.close_code == code
    with ws_connect(socket_url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "history"
        ws.send(json.dumps({"type": "ping"}))
        assert json.loads(ws.recv(timeout=10)) == {"type": "pong"}


@pytest.mark.stack
def test_the_real_bot_answers_over_the_socket_with_buttons(stack):
    """Against the running gateway and the trained model, over a real WebSocket."""
    from websockets.sync.client import connect as ws_connect

    url = stack.base_url.replace("http://", "ws://") + f"/webchat/ws?session={new_session()}"
    with ws_connect(url, open_timeout=10) as ws:
        assert json.loads(ws.recv(timeout=10))["type"] == "history"
        ws.send(json.dumps({"type": "message", "text": "I want to make a complaint", "id": "c1"}))
        frames = []
        while not frames or frames[-1]["type"] != "ack":
            frames.append(json.loads(ws.recv(timeout=60)))
    assert frames[0] == {"type": "typing", "on": True}
    answers = [f for f in frames if f["type"] == "message"]
    assert answers and {a["from"] for a in answers} == {"bot"}
    payloads = [b["payload"] for a in answers for b in a["buttons"]]
    assert "/complain_delivery" in payloads  # the category buttons
