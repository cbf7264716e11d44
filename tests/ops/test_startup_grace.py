"""Start-up grace (COMPLAINTBOT_RASA_STARTUP_GRACE): a message that meets a Rasa which has
not been ready since the gateway started is stored, waits for Rasa and gets the bot's answer,
with no ticket for a human; only when the grace runs out does the apology-and-ticket path
apply; and once Rasa has answered, an outage takes that path at once.

Rasa is a stand-in here (started late on purpose); tests/ops/test_stack_startup.py does the
same with the real Rasa."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from fastapi import FastAPI
from ops.standin import ANSWER, SERVICE_TOKEN, scrape, wait_until
from websockets.sync.client import connect as ws_connect

from bot.channels import webchat
from bot.conversations.store import transcript
from bot.stack import free_port
from bot.web.app import create_app

AUTH = {"Authorization": f"Bearer {SERVICE_TOKEN}"}


def _inbound(app: FastAPI, sender: str) -> list[str]:
    with app.state.sessions() as session:
        return [
            m.text
            for m in transcript(session, channel="rest", sender_id=sender)
            if m.direction == "in"
        ]


def _send(base_url: str, sender: str, text: str) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=120) as client:
        return client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})


def _tickets(client: httpx.Client, sender: str) -> int:
    response = client.get("/api/tickets", params={"sender_id": sender}, headers=AUTH)
    return int(response.json()["total"])


def test_messages_wait_for_a_starting_rasa_and_get_its_answers_in_order(
    ops_settings, stand_in_rasa, serve_app
):
    app = create_app(ops_settings(rasa_startup_grace=300))
    base_url = serve_app(app, free_port())
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=base_url, timeout=30) as client:
        assert client.get("/healthz/ready").status_code == 503
        first = pool.submit(_send, base_url, "early", "hello")
        wait_until(lambda: _inbound(app, "early") == ["hello"], timeout=30, what="message 1")
        second = pool.submit(_send, base_url, "early", "is anyone there?")
        wait_until(lambda: len(_inbound(app, "early")) == 2, timeout=30, what="message 2")
        # Both messages are stored and waiting: only now does Rasa come up.
        stand_in_rasa.start()
        answers = [first.result(timeout=120), second.result(timeout=120)]
        assert [a.status_code for a in answers] == [200, 200]
        assert [a.json() for a in answers] == [[{"recipient_id": "early", "text": ANSWER}]] * 2
        assert stand_in_rasa.turns == ["hello", "is anyone there?"]  # in arrival order
        assert _tickets(client, "early") == 0  # nobody was handed to a human
        metrics = scrape(client)
    assert metrics[("complaintbot_rasa_startup_waits_total", "answered")] == 2
    assert metrics[("complaintbot_rasa_startup_waits_total", "expired")] == 0
    assert metrics[("complaintbot_turns_total", "rest", "bot")] == 2
    assert metrics[("complaintbot_rasa_starting",)] == 0


def test_when_the_grace_runs_out_the_message_goes_on_a_ticket(ops_settings, serve_app):
    app = create_app(ops_settings(rasa_startup_grace=0.5))
    base_url = serve_app(app, free_port())
    with httpx.Client(base_url=base_url, timeout=60) as client:
        (reply,) = _send(base_url, "late", "My order JD0098812 never came").json()
        assert "saved on ticket CP-" in reply["text"]
        (ticket,) = client.get("/api/tickets", params={"sender_id": "late"}, headers=AUTH).json()[
            "items"
        ]
        assert ticket["category"] == "other" and ticket["status"] == "escalated"
        metrics = scrape(client)
    assert _inbound(app, "late") == ["My order JD0098812 never came"]
    assert metrics[("complaintbot_rasa_startup_waits_total", "expired")] == 1
    assert metrics[("complaintbot_turns_total", "rest", "bot_unavailable")] == 1
    assert metrics[("complaintbot_handoffs_total", "general", "bot_unavailable")] == 1
    assert metrics[("complaintbot_rasa_starting",)] == 1


def test_after_rasa_has_answered_an_outage_apologises_at_once(
    ops_settings, stand_in_rasa, serve_app
):
    stand_in_rasa.start()
    # A grace longer than the client's timeout: a wait would fail the test.
    app = create_app(ops_settings(rasa_startup_grace=3600))
    base_url = serve_app(app, free_port())
    with httpx.Client(base_url=base_url, timeout=60) as client:
        assert _send(base_url, "steady", "hello").json()[0]["text"] == ANSWER
        stand_in_rasa.stop()
        (reply,) = _send(base_url, "steady", "hello again").json()
        assert "saved on ticket CP-" in reply["text"]
        metrics = scrape(client)
    assert metrics[("complaintbot_rasa_startup_waits_total", "answered")] == 0
    assert metrics[("complaintbot_rasa_startup_waits_total", "expired")] == 0
    assert metrics[("complaintbot_rasa_errors_total", "connect")] == 1


def test_a_grace_of_zero_never_waits(ops_settings, serve_app):
    app = create_app(ops_settings(rasa_startup_grace=0))
    base_url = serve_app(app, free_port())
    with httpx.Client(base_url=base_url, timeout=60) as client:
        (reply,) = _send(base_url, "nowait", "hello").json()
        metrics = scrape(client)
    assert "saved on ticket CP-" in reply["text"]
    assert metrics[("complaintbot_rasa_startup_waits_total", "expired")] == 0


def test_the_web_chat_keeps_showing_typing_while_the_message_waits(
    ops_settings, stand_in_rasa, serve_app, monkeypatch
):
    # The widget hides the indicator 30 s after the last "typing on"; a short refresh here.
    monkeypatch.setattr(webchat, "TYPING_REFRESH_SECONDS", 0.2)
    app = create_app(ops_settings(rasa_startup_grace=300))
    base_url = serve_app(app, free_port())
    session = f"wc_{uuid.uuid4().hex}"
    url = base_url.replace("http://", "ws://") + f"/webchat/ws?session={session}"
    frames: list[dict] = []
    with ws_connect(url, open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=30))["type"] == "history"
        socket.send(json.dumps({"type": "message", "text": "hello", "id": "c1"}))
        while sum(f == {"type": "typing", "on": True} for f in frames) < 3:
            frames.append(json.loads(socket.recv(timeout=30)))
        stand_in_rasa.start()  # the message has waited through two refreshes
        while frames[-1].get("type") != "ack":
            frames.append(json.loads(socket.recv(timeout=60)))
    kinds = [f["type"] for f in frames]
    assert kinds[-3:] == ["message", "typing", "ack"]
    assert frames[-3]["text"] == ANSWER and frames[-2] == {"type": "typing", "on": False}
    assert set(kinds[:-3]) == {"typing"} and all(f["on"] for f in frames[:-3])
