"""The gateway's monitor and GET /api/alerts, POST /api/alerts/{id}/ack, on SQLite and
PostgreSQL; the agents' Telegram group through the fake Bot API server."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from telegram_channel.fake_bot_api import FakeBotApi

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.db import transaction
from bot.stack import free_port
from bot.web.app import create_app

from .conftest import NOW, PHONE

SERVICE_TOKEN = "service-token-for-sla-tests-0123456789"
SERVICE = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
TELEGRAM_TOKEN = "123456:SLA-token_for_the_fake_api"
AGENTS_CHAT = -1001234567
WARNING_TIME = NOW + timedelta(hours=24) * 0.8
BREACH_TIME = NOW + timedelta(hours=24, minutes=1)


@pytest.fixture
def start_gateway(settings) -> Iterator[Callable[..., TestClient]]:
    """Starts the gateway app (no Rasa: nothing here needs it) with these settings changed."""
    clients: list[TestClient] = []

    def start(clock: Callable[[], datetime] = lambda: NOW, **changes: Any) -> TestClient:
        port = free_port()  # nothing listens there
        changed = settings.model_copy(
            update={
                "api_token": SecretStr(SERVICE_TOKEN),
                "rasa_url": f"http://127.0.0.1:{port}",
                "actions_url": f"http://127.0.0.1:{port}",
                "sla_monitor_interval": 0.0,
                **changes,
            }
        )
        app = create_app(changed)
        app.state.clock = clock  # before start-up: the monitor never sees another time
        client = TestClient(app).__enter__()
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def tick(client: TestClient, now) -> Any:
    """One tick of the gateway's own monitor, on the gateway's event loop."""
    return client.portal.call(client.app.state.sla_monitor.tick, now)  # type: ignore[union-attr]


def agent_header(client: TestClient, username: str) -> dict[str, str]:
    with transaction(client.app.state.sessions) as session:  # type: ignore[attr-defined]
        _agent, token = create_agent(session, username=username, role="agent", now=NOW)
    return {"Authorization": f"Bearer {token}"}


def test_alerts_newest_first_filtered_and_acknowledged_once(start_gateway, make_ticket, webhook):
    client = start_gateway()
    ticket_id = make_ticket()
    assert len(tick(client, WARNING_TIME).warnings) == 1
    assert len(tick(client, BREACH_TIME).breaches) == 1

    assert client.get("/api/alerts").status_code == 401
    page = client.get("/api/alerts", headers=SERVICE).json()
    assert page["total"] == 2
    breach, warning = page["items"]
    assert (breach["kind"], warning["kind"]) == ("breach", "warning")
    assert breach == {
        "id": breach["id"],
        "ticket_id": ticket_id,
        "kind": "breach",
        "deadline": "first_response",
        "due": "2026-11-23T09:30:00Z",
        "severity": "general",
        "category": "delivery",
        "link": f"/console#ticket={ticket_id}",
        "created_at": "2026-11-23T09:31:00Z",
        "acknowledged_at": None,
        "acknowledged_by": None,
        "deliveries": [
            {
                "target": "webhook",
                "attempts": 1,
                "sent_at": "2026-11-23T09:31:00Z",
                "last_error": None,
            }
        ],
    }
    assert len(webhook.delivered) == 2

    alice, bob = agent_header(client, "alice"), agent_header(client, "bob")
    client.app.state.clock = lambda: BREACH_TIME + timedelta(minutes=5)  # type: ignore[attr-defined]
    acked = client.post(f"/api/alerts/{breach['id']}/ack", headers=alice)
    assert acked.status_code == 200
    assert (acked.json()["acknowledged_by"], acked.json()["acknowledged_at"]) == (
        "agent:alice",
        "2026-11-23T09:36:00Z",
    )
    # A second acknowledgement keeps the first.
    again = client.post(f"/api/alerts/{breach['id']}/ack", headers=bob).json()
    assert again["acknowledged_by"] == "agent:alice"

    open_alerts = client.get("/api/alerts?unacknowledged=true", headers=SERVICE).json()
    assert [a["id"] for a in open_alerts["items"]] == [warning["id"]]
    assert client.get("/api/alerts?kind=breach", headers=SERVICE).json()["total"] == 1
    other = client.get("/api/alerts?ticket_id=CP-20261122-9999", headers=SERVICE).json()
    assert other["total"] == 0
    assert client.post("/api/alerts/999999/ack", headers=SERVICE).status_code == 404

    events = client.get(f"/api/tickets/{ticket_id}", headers=SERVICE).json()["events"]
    acks = [
        (e["who"], e["data"]["alert_id"]) for e in events if e["what"] == "sla_alert_acknowledged"
    ]
    assert acks == [("agent:alice", breach["id"])]


def test_the_console_session_lists_and_acknowledges_alerts(start_gateway, make_ticket, webhook):
    client = start_gateway()
    ticket_id = make_ticket()
    tick(client, BREACH_TIME)
    with transaction(client.app.state.sessions) as session:  # type: ignore[attr-defined]
        create_agent(session, username="carol", role="agent", now=NOW)
        set_password(session, username="carol", password="a console password")
    assert client.get("/api/alerts").status_code == 401
    client.cookies.set("cb_console", "cbs_not-a-session")
    assert client.get("/api/alerts").status_code == 401
    client.cookies.clear()
    signed_in = client.post(
        "/api/console/login", json={"username": "carol", "password": "a console password"}
    )
    assert signed_in.status_code == 200  # the cookie is kept by the client from now on
    listed = client.get("/api/alerts?unacknowledged=true")
    assert listed.status_code == 200
    [alert] = listed.json()["items"]
    assert (alert["ticket_id"], alert["kind"]) == (ticket_id, "breach")
    acked = client.post(f"/api/alerts/{alert['id']}/ack")
    assert acked.status_code == 200 and acked.json()["acknowledged_by"] == "agent:carol"
    assert client.get("/api/alerts?unacknowledged=true").json()["items"] == []
    # A bearer token still wins over the cookie: the service sees the same alert.
    assert client.get("/api/alerts", headers=SERVICE).json()["total"] == 1
    client.post("/api/console/logout")
    client.cookies.clear()
    assert client.get("/api/alerts").status_code == 401


def test_the_gateway_runs_the_monitor_in_the_background(start_gateway, make_ticket, webhook):
    ticket_id = make_ticket()
    client = start_gateway(clock=lambda: BREACH_TIME, sla_monitor_interval=0.05)
    deadline = time.monotonic() + 15
    while not webhook.delivered:
        assert time.monotonic() < deadline, "the monitor raised no alert"
        time.sleep(0.05)
    assert [(b["ticket_id"], b["kind"]) for b in webhook.delivered] == [(ticket_id, "breach")]
    assert client.get("/api/alerts", headers=SERVICE).json()["total"] == 1


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi(token=TELEGRAM_TOKEN).start()
    yield api
    api.stop()


def test_alerts_reach_the_agents_telegram_group(start_gateway, make_ticket, fake_api, webhook):
    client = start_gateway(
        telegram_token=SecretStr(TELEGRAM_TOKEN),
        telegram_api_url=fake_api.url,
        telegram_agent_chat=str(AGENTS_CHAT),
    )
    fake_api.wait_for(lambda: client.app.state.telegram.ready, timeout=30, what="Telegram")  # type: ignore[attr-defined]
    ticket_id = make_ticket()

    report = tick(client, BREACH_TIME)
    assert (report.sent, report.failed) == (2, 0)  # webhook and Telegram
    [message] = fake_api.sent(AGENTS_CHAT)
    assert message["text"] == (
        f"SLA breach: ticket {ticket_id} missed its first response deadline "
        f"(2026-11-23 17:30) [general, delivery] /console#ticket={ticket_id}"
    )
    assert PHONE not in message["text"]
    assert tick(client, BREACH_TIME + timedelta(hours=1)).sent == 0
    assert len(fake_api.sent(AGENTS_CHAT)) == 1
