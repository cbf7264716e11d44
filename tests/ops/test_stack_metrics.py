"""GET /metrics after a scripted conversation through the real stack: a complaint, a request
for a person (handoff), a message while queued, the agent's resolution, the follow-up and
the customer's rating. Each metric moves by what that conversation did (the stack is
shared by the session's tests, so counts are compared before and after)."""

from __future__ import annotations

import json
import re
import time
import uuid

import httpx
import pytest
from ops.standin import scrape, wait_until
from websockets.sync.client import connect as ws_connect

pytestmark = pytest.mark.stack

TICKET_ID = re.compile(r"CP-\d{8}-\d{4}")


def _say(client: httpx.Client, sender: str, text: str) -> str:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    return "\n".join(r.get("text", "") for r in response.json())


def _delta(after: dict, before: dict, *key: str) -> float:
    return after.get(key, 0.0) - before.get(key, 0.0)


def _total(samples: dict, name: str) -> float:
    return sum(value for key, value in samples.items() if key[0] == name)


def test_metrics_count_a_conversation_with_a_handoff(stack):
    sender = f"metrics-{uuid.uuid4().hex[:8]}"
    with stack.client() as client:
        before = scrape(client, stack.api_headers)
        _say(client, sender, "my parcel is three weeks late, order JD0098812")
        answer = _say(client, sender, "I want to talk to a real person")
        [ticket_id] = TICKET_ID.findall(answer)
        held = _say(client, sender, "hello? is anyone there")
        assert "in the queue" in held
        ticket = client.get(f"/api/tickets/{ticket_id}", headers=stack.api_headers).json()
        severity, category = ticket["severity"], ticket["category"]

        # Intents and emotions are read from Rasa in the background after each answer.
        queued = wait_until(
            lambda: (
                (found := scrape(client, stack.api_headers))
                and _total(found, "complaintbot_nlu_intents_total")
                - _total(before, "complaintbot_nlu_intents_total")
                >= 2
                and found
            ),
            timeout=30,
            what="the parse data of two turns",
        )
        session = f"wc_{uuid.uuid4().hex}"
        url = stack.base_url.replace("http://", "ws://") + f"/webchat/ws?session={session}"
        with ws_connect(url, open_timeout=10) as socket:
            assert json.loads(socket.recv(timeout=30))["type"] == "history"
            connected = scrape(client, stack.api_headers)

        resolved = client.patch(
            f"/api/tickets/{ticket_id}",
            json={"status": "resolved", "resolution_note": "the parcel was found and sent"},
            headers=stack.api_headers,
        )
        assert resolved.status_code == 200, resolved.text
        deadline = time.monotonic() + 60
        follow_up: list = []
        while not follow_up and time.monotonic() < deadline:
            follow_up = client.get("/webhooks/rest/messages", params={"sender": sender}).json()
            time.sleep(0.5)
        assert follow_up, "no follow-up arrived"
        assert "closed" in _say(client, sender, '/rate_service{"rating": "4"}')
        after = wait_until(
            lambda: (
                (found := scrape(client, stack.api_headers))
                and _delta(found, before, "complaintbot_nlu_intents_total", "rate_service") >= 1
                and found
            ),
            timeout=30,
            what="the parse data of the rating",
        )

    turns = "complaintbot_turns_total"
    assert _delta(after, before, turns, "rest", "bot") == 2  # the complaint, the rating
    assert _delta(after, before, turns, "rest", "handoff") == 1
    assert _delta(after, before, turns, "rest", "queue") == 1
    assert _delta(after, before, turns, "rest", "bot_unavailable") == 0
    assert _delta(after, before, "complaintbot_turn_seconds_count", "rest") == 4
    assert _delta(after, before, "complaintbot_rasa_seconds_count") == 3
    assert _total(after, "complaintbot_rasa_errors_total") == _total(
        before, "complaintbot_rasa_errors_total"
    )
    assert _delta(after, before, "complaintbot_handoffs_total", severity, "bot") == 1
    intents = "complaintbot_nlu_intents_total"
    assert _delta(after, before, intents, "request_human") == 1
    assert _delta(after, before, intents, "rate_service") == 1
    assert _total(after, intents) - _total(before, intents) == 3
    emotions = "complaintbot_nlu_emotions_total"
    # A button payload ("/rate_service{...}") skips the NLU pipeline: no emotion for it.
    assert _total(after, emotions) - _total(before, emotions) == 2
    created = "complaintbot_tickets_created_total"
    assert _delta(after, before, created, category, severity) == 1
    assert _delta(queued, before, "complaintbot_queue_length", severity) == 1
    assert queued[("complaintbot_queue_oldest_wait_seconds", severity)] >= 0
    assert _delta(after, before, "complaintbot_followups_sent_total") == 1
    assert _delta(after, before, "complaintbot_followup_attempts_total", "sent") == 1
    assert _delta(after, before, "complaintbot_csat_answers_total") == 1
    assert _delta(after, before, "complaintbot_tickets_by_csat", "4") == 1
    sockets = "complaintbot_websocket_connections"
    assert _delta(connected, before, sockets, "webchat") == 1
    for component in ("rasa", "actions", "database"):
        assert after[("complaintbot_dependency_up", component)] == 1
    assert after[("complaintbot_rasa_starting",)] == 0
