"""A deploy with the real stack: the gateway and the action server are up, Rasa is not. A
REST customer and a web chat customer write; their messages are stored, the web chat shows
the typing indicator, /healthz/ready says 503 naming Rasa. Only then is Rasa started (its
~40 s model load is the start-up this is about): both get the bot's real answer, nobody
is put on an `other` ticket for a human, and /healthz/ready turns 200.

One Rasa start of its own (about 1.3 GB): the only such test of tests/ops."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from ops.standin import scrape, wait_until
from websockets.sync.client import connect as ws_connect

from bot.conversations.store import transcript
from bot.db import make_engine, make_session_factory
from bot.model import ensure_model
from bot.paths import PROJECT_ROOT
from bot.stack import Stack, local_settings

pytestmark = pytest.mark.stack

APOLOGY_WORDS = ("saved", "specialist", "保存")


def _stored(sessions: Any, channel: str, sender: str) -> list[str]:
    with sessions() as session:
        return [
            m.text
            for m in transcript(session, channel=channel, sender_id=sender)
            if m.direction == "in"
        ]


def _rest(base_url: str, sender: str, text: str) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=900) as client:
        return client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})


def _webchat(url: str, text: str) -> list[dict[str, Any]]:
    """Sends one message and returns the frames up to the end of the answer (typing off)."""
    frames: list[dict[str, Any]] = []
    with ws_connect(url, open_timeout=30) as socket:
        assert json.loads(socket.recv(timeout=30))["type"] == "history"
        socket.send(json.dumps({"type": "message", "text": text, "id": "c1"}))
        while True:
            frame = json.loads(socket.recv(timeout=900))
            frames.append(frame)
            if frame["type"] == "ack":
                return frames


def test_messages_sent_while_rasa_loads_get_the_bots_answer(tmp_path):
    model = ensure_model(PROJECT_ROOT)  # the cached model; never trained here
    settings = local_settings(
        tmp_path / "var",
        # Rasa shares the machine with the rest of the suite: its load may take minutes.
        rasa_startup_grace=900,
        sla_monitor_interval=0,
    )
    stack = Stack(settings, model, PROJECT_ROOT)
    actions, rasa, gateway = stack.services
    base_url = f"http://127.0.0.1:{settings.port}"
    sessions = make_session_factory(make_engine(settings.database_url))
    assert settings.api_token is not None
    auth = {"Authorization": f"Bearer {settings.api_token.get_secret_value()}"}
    rest_sender = f"deploy-{uuid.uuid4().hex[:8]}"
    web_session = f"wc_{uuid.uuid4().hex}"
    ws_url = base_url.replace("http://", "ws://") + f"/webchat/ws?session={web_session}"
    try:
        for service in (actions, gateway):
            service.start(PROJECT_ROOT)
        for service in (actions, gateway):
            service.wait_healthy()
        with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=base_url, timeout=60) as client:
            ready = client.get("/healthz/ready")
            assert ready.status_code == 503 and ready.json()["not_ready"] == ["rasa"]
            assert client.get("/healthz/live").status_code == 200

            rest = pool.submit(_rest, base_url, rest_sender, "hello")
            web = pool.submit(_webchat, ws_url, "hello")
            wait_until(
                lambda: (
                    _stored(sessions, "rest", rest_sender) == ["hello"]
                    and _stored(sessions, "webchat", web_session) == ["hello"]
                ),
                timeout=60,
                what="both messages to be stored",
            )
            # Both wait for Rasa, which starts only now.
            rasa.start(PROJECT_ROOT)
            assert client.get("/healthz/ready").status_code == 503  # still loading

            rest_answer = rest.result(timeout=900)
            frames = web.result(timeout=900)
            assert rest_answer.status_code == 200
            rest_text = " ".join(r.get("text", "") for r in rest_answer.json())
            web_texts = [f["text"] for f in frames if f["type"] == "message"]
            assert rest_text and web_texts
            for text in (rest_text, *web_texts):
                assert not any(word in text for word in APOLOGY_WORDS), text
            assert "complaint" in rest_text.lower()  # the bot's greeting
            assert frames[0] == {"type": "typing", "on": True}  # shown while Rasa loaded
            assert {"type": "typing", "on": False} in frames

            wait_until(
                lambda: client.get("/healthz/ready").status_code == 200,
                timeout=60,
                what="/healthz/ready to answer 200",
            )
            others = client.get("/api/tickets", params={"category": "other"}, headers=auth)
            assert others.json()["total"] == 0  # nobody was handed to a human
            metrics = scrape(client, auth)
        assert metrics[("complaintbot_rasa_startup_waits_total", "answered")] == 2
        assert metrics[("complaintbot_rasa_startup_waits_total", "expired")] == 0
        assert metrics[("complaintbot_rasa_starting",)] == 0
    finally:
        stack.stop()
