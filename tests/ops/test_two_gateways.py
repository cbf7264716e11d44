"""Two gateways behind one load balancer, on one PostgreSQL and one Redis: the customer's
web chat is on gateway A, the agent works from gateway B. Handoff, claim, chat both ways,
resolve and the follow-up; every message reaches the customer exactly once, live (relayed
through Redis to the gateway that holds the socket), and nothing is left pending. The rate
cap shared by the two: tests/ops/test_shared_limits.py. Rasa is the stand-in."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
from ops.standin import ANSWER, FOLLOW_UP, HANDOFF, wait_until
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from bot.agents.service import create_agent
from bot.conversations.store import transcript
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.stack import free_port
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy
from bot.web.app import create_app


def _frames_until(socket: ClientConnection, text: str, seen: list[dict[str, Any]]) -> None:
    """Reads frames into `seen` until a message frame with `text` arrives."""
    while True:
        frame = json.loads(socket.recv(timeout=30))
        seen.append(frame)
        if frame.get("type") == "message" and frame.get("text") == text:
            return


def test_web_chat_on_one_gateway_agent_on_the_other(
    ops_settings, stand_in_rasa, postgres_url, spare_redis_url, serve_app
):
    stand_in_rasa.start()
    # A Redis database of its own: the handoff queue uses its default key names here.
    settings = ops_settings(database_url=postgres_url, redis_url=spare_redis_url)
    app_a, app_b = create_app(settings), create_app(settings)
    url_a, url_b = serve_app(app_a, free_port()), serve_app(app_b, free_port())
    wait_until(
        lambda: app_a.state.relay.listening.is_set() and app_b.state.relay.listening.is_set(),
        timeout=30,
        what="both gateways to listen for relayed messages",
    )
    session = f"wc_{uuid.uuid4().hex}"
    sessions = app_a.state.sessions
    with transaction(sessions) as db:
        _agent, token = create_agent(db, username="ann", role="agent", now=datetime.now(UTC))
        ticket_id = create_ticket(
            db,
            new=NewTicket(channel="webchat", sender_id=session, language="en",
                          category="delivery", description="parcel lost"),
            policy=load_policy(DEFAULT_SLA_POLICY),
            now=datetime.now(UTC),
        ).id  # fmt: skip
    agent = {"Authorization": f"Bearer {token}"}
    seen: list[dict[str, Any]] = []
    ws_url = url_a.replace("http://", "ws://") + f"/webchat/ws?session={session}"
    with (
        ws_connect(ws_url, open_timeout=10) as socket,
        httpx.Client(base_url=url_b, headers=agent, timeout=30) as console,
    ):
        assert json.loads(socket.recv(timeout=30))["type"] == "history"
        # The bot hands the customer over (on A).
        socket.send(json.dumps({"type": "message", "text": f"{HANDOFF}{ticket_id}", "id": "m1"}))
        _frames_until(socket, ANSWER, seen)

        # The agent claims on B and writes: the customer's socket on A shows it at once.
        claimed = console.post(f"/api/queue/{ticket_id}/claim")
        assert claimed.status_code == 200, claimed.text
        conversation_id = claimed.json()["conversation_id"]
        sent = console.post(
            f"/api/conversations/{conversation_id}/messages", json={"text": "Hello, I'm Ann."}
        )
        assert sent.status_code == 201 and sent.json()["delivered"] is False  # not on B
        _frames_until(socket, "Hello, I'm Ann.", seen)
        assert seen[-1]["from"] == "agent"

        # The customer answers on A; B's console reads it.
        socket.send(json.dumps({"type": "message", "text": "It was order JD0098812", "id": "m2"}))
        wait_until(
            lambda: any(
                m.get("text") == "It was order JD0098812"
                for m in console.get(f"/api/conversations/{conversation_id}/messages").json()[
                    "messages"
                ]
            ),
            timeout=30,
            what="the customer's message on gateway B",
        )
        second = console.post(
            f"/api/conversations/{conversation_id}/messages", json={"text": "Found it, sending."}
        )
        assert second.status_code == 201
        _frames_until(socket, "Found it, sending.", seen)

        # Resolved on B: the follow-up (B's, from Rasa) reaches the socket on A.
        resolved = console.post(
            f"/api/tickets/{ticket_id}/resolve", json={"resolution_note": "parcel re-sent"}
        )
        assert resolved.status_code == 200, resolved.text
        _frames_until(socket, FOLLOW_UP, seen)

    delivered = Counter(f["text"] for f in seen if f.get("type") == "message")
    for text in ("Hello, I'm Ann.", "Found it, sending.", FOLLOW_UP):
        assert delivered[text] == 1, (text, delivered)
    with sessions() as db:
        stored = transcript(db, channel="webchat", sender_id=session)
        outgoing = [m for m in stored if m.direction == "out"]
        assert all(m.delivered_at is not None for m in outgoing)  # nothing left pending
        texts = Counter(m.text for m in stored)
    assert texts["Hello, I'm Ann."] == texts["Found it, sending."] == texts[FOLLOW_UP] == 1
    assert texts["It was order JD0098812"] == 1
