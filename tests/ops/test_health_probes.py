"""GET /healthz/live (the process), /healthz/ready (Rasa, actions and the database answer,
else 503 naming what is not) and /healthz (unchanged: always 200, read `status`)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from bot.db import make_engine, make_session_factory
from bot.stack import free_port
from bot.web.app import create_app


def test_live_asks_nothing_else(offline_settings):
    with TestClient(create_app(offline_settings())) as client:
        response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.json() == {"status": "alive"}


def test_ready_is_503_and_names_what_is_not_ready(offline_settings):
    with TestClient(create_app(offline_settings())) as client:
        ready = client.get("/healthz/ready")
        health = client.get("/healthz")
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not ready"
    assert body["not_ready"] == ["rasa", "actions"]
    assert body["rasa"]["ok"] is False and body["actions"] == {"ok": False, "error": "ConnectError"}
    assert body["database"] == {"ok": True, "backend": "sqlite"}
    # /healthz keeps its body: 200, "degraded", one entry per part.
    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert set(health.json()) == {"status", "rasa", "actions", "database", "queue"}


def test_ready_when_rasa_actions_and_the_database_answer(ops_settings, stand_in_rasa):
    stand_in_rasa.start()
    settings = ops_settings(actions_url=stand_in_rasa.url)
    with TestClient(create_app(settings)) as client:
        ready = client.get("/healthz/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["status"] == "ready" and ready.json()["not_ready"] == []

        # The database gone (a server that refuses connections): not ready, said so.
        dead = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone")
        working = client.app.state.sessions  # type: ignore[attr-defined]
        client.app.state.sessions = make_session_factory(dead)  # type: ignore[attr-defined]
        try:
            down = client.get("/healthz/ready")
        finally:
            client.app.state.sessions = working  # type: ignore[attr-defined]
            dead.dispose()
    assert down.status_code == 503
    assert down.json()["not_ready"] == ["database"]
    assert down.json()["database"] == {"ok": False, "error": "OperationalError"}


def test_replicas_balanced_by_turn_need_one_answering(ops_settings, stand_in_rasa):
    stand_in_rasa.start()
    urls = f"{stand_in_rasa.url},http://127.0.0.1:{free_port()}"
    for balance, status in (("turn", 200), ("conversation", 503)):
        settings = ops_settings(rasa_url=urls, rasa_balance=balance, actions_url=stand_in_rasa.url)
        with TestClient(create_app(settings)) as client:
            response = client.get("/healthz/ready")
        assert response.status_code == status, (balance, response.text)
