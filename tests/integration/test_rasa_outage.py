"""Rasa killed mid-conversation (SIGKILL, the real Rasa of the shared stack): the customer
gets an apology, every message is stored on one ticket queued for a human (writing again
adds to it, never a second ticket), and the bot answers normally once Rasa is back.

Part of the fault tests (docs/RELIABILITY.md); the others are in tests/faults/."""

from __future__ import annotations

import os
import re
import signal
import uuid

import pytest

from bot.conversations.store import transcript
from bot.db import make_engine, make_session_factory
from bot.handoff.queue import DatabaseQueue
from bot.paths import PROJECT_ROOT

pytestmark = pytest.mark.stack

TICKET_ID = re.compile(r"CP-\d{8}-\d{4}")


def test_rasa_down_then_back(stack):
    sender = f"outage-{uuid.uuid4().hex[:8]}"
    rasa = next(s for s in stack.processes.services if s.name == "Rasa server")
    with stack.client() as client:

        def say(text: str) -> list[dict]:
            response = client.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text}
            )
            assert response.status_code == 200, response.text
            return response.json()

        assert "complaint" in " ".join(r.get("text", "") for r in say("hello")).lower()

        assert rasa.process is not None
        os.killpg(rasa.process.pid, signal.SIGKILL)  # no goodbye, mid-conversation
        rasa.process.wait(timeout=30)
        rasa.stop()
        try:
            complaint = "My parcel is lost and nobody answers, order JD0098812. I want a refund."
            replies = say(complaint)
            assert len(replies) == 1
            apology = replies[0]["text"]
            assert "saved" in apology and "specialist" in apology
            ticket_ids = TICKET_ID.findall(apology)
            assert len(ticket_ids) == 1
            follow_up = "Still nothing? Call me on 13812345678."
            (again,) = say(follow_up)
            assert TICKET_ID.findall(again["text"]) == ticket_ids  # the same ticket

            health = client.get("/healthz").json()
            assert health["rasa"]["ok"] is False
        finally:
            rasa.start(PROJECT_ROOT)
            rasa.wait_healthy()

        ticket = client.get(f"/api/tickets/{ticket_ids[0]}", headers=stack.api_headers).json()
        assert ticket["status"] == "escalated"
        assert ticket["assigned_agent"] is None
        assert ticket["description"] == complaint
        assert ticket["order_id"] == "JD0098812"
        assert ticket["desired_resolution"] == "refund"
        assert ticket["channel"] == "rest" and ticket["sender_id"] == sender

        sessions = make_session_factory(make_engine(stack.settings.database_url))
        queued = {item.ticket_id: item for item in DatabaseQueue(sessions).items()}
        assert queued[ticket_ids[0]].severity == ticket["severity"]  # waiting for a human
        with sessions() as session:
            stored = [
                (m.direction, m.author, m.text)
                for m in transcript(session, channel="rest", sender_id=sender)
            ]
        assert ("in", "customer", complaint) in stored
        assert ("out", "system", apology) in stored
        assert ("in", "customer", follow_up) in stored

        # Rasa is back: the next message is the bot's again.
        replies = say("hello again")
        text = " ".join(r.get("text", "") for r in replies)
        assert replies and "saved" not in text
        mine = client.get("/api/tickets", params={"sender_id": sender}, headers=stack.api_headers)
        assert mine.json()["total"] == 1  # no duplicate ticket
        with sessions() as session:
            inbound = [
                m.text
                for m in transcript(session, channel="rest", sender_id=sender)
                if m.direction == "in"
            ]
        assert inbound == ["hello", complaint, follow_up, "hello again"]  # each stored once
