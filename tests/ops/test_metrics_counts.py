"""The process metrics a gateway counts, with a stand-in Rasa: turns by outcome, the Rasa
part, intents and emotions from the parse data, rate-limit refusals, WebSocket connections.
The whole conversation with a handoff through the real stack: test_stack_metrics.py."""

from __future__ import annotations

import json
import uuid

from fastapi.testclient import TestClient
from ops.standin import scrape, wait_until

from bot.web.app import create_app


def test_turns_latency_and_parse_data(ops_settings, stand_in_rasa):
    stand_in_rasa.start()
    with TestClient(create_app(ops_settings(actions_url=stand_in_rasa.url))) as client:
        before = scrape(client)
        for text in ("hello", "hello again", "   "):
            response = client.post("/webhooks/rest/webhook", json={"sender": "m1", "message": text})
            assert response.status_code == 200
        # The parse data is read in the background after each answer.
        after = wait_until(
            lambda: (
                (found := scrape(client))[("complaintbot_nlu_intents_total", "greet")] == 2
                and found
            ),
            timeout=30,
            what="the intents of two turns",
        )
    assert after[("complaintbot_turns_total", "rest", "bot")] == 2
    assert after[("complaintbot_turns_total", "rest", "empty")] == 1
    assert after[("complaintbot_turn_seconds_count", "rest")] == 3
    assert after[("complaintbot_rasa_seconds_count",)] == 2
    assert after[("complaintbot_nlu_emotions_total", "calm")] == 2
    assert after[("complaintbot_nlu_fallbacks_total",)] == 0
    assert sum(v for k, v in after.items() if k[0] == "complaintbot_rasa_errors_total") == 0
    assert before[("complaintbot_turns_total", "rest", "bot")] == 0
    assert sorted(stand_in_rasa.tracker_reads) == ["rest:m1", "rest:m1"]
    assert after[("complaintbot_dependency_up", "rasa")] == 1


def test_parse_data_reads_can_be_turned_off(ops_settings, stand_in_rasa):
    stand_in_rasa.start()
    settings = ops_settings(actions_url=stand_in_rasa.url, metrics_parse_data=False)
    with TestClient(create_app(settings)) as client:
        response = client.post("/webhooks/rest/webhook", json={"sender": "m2", "message": "hi"})
        assert response.status_code == 200
        metrics = scrape(client)
    assert metrics[("complaintbot_turns_total", "rest", "bot")] == 1
    assert sum(v for k, v in metrics.items() if k[0] == "complaintbot_nlu_intents_total") == 0
    assert stand_in_rasa.tracker_reads == []  # Rasa was not asked


def test_rate_limit_refusals_and_websockets(ops_settings):
    settings = ops_settings(rate_limit_per_sender=1)
    session = f"wc_{uuid.uuid4().hex}"
    with TestClient(create_app(settings)) as client:
        first = client.post("/webhooks/rest/webhook", json={"sender": "r1", "message": "hi"})
        second = client.post("/webhooks/rest/webhook", json={"sender": "r1", "message": "hi"})
        assert (first.status_code, second.status_code) == (200, 429)
        with client.websocket_connect(f"/webchat/ws?session={session}") as socket:
            assert json.loads(socket.receive_text())["type"] == "history"
            during = scrape(client)
        after = wait_until(
            lambda: (
                (found := scrape(client))[("complaintbot_websocket_connections", "webchat")] == 0
                and found
            ),
            timeout=10,
            what="the socket to be closed",
        )
    assert during[("complaintbot_websocket_connections", "webchat")] == 1
    assert during[("complaintbot_websocket_connections", "console")] == 0
    assert after[("complaintbot_rate_limited_total", "sender")] == 1
    assert after[("complaintbot_rate_limited_total", "address")] == 0
