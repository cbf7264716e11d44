"""A stand-in Rasa server that can be started late and stopped (the real one takes ~40 s and
1.3 GB to start: the tests that need it are marked `stack`), and reading GET /metrics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.stack import free_port

SERVICE_TOKEN = "service-token-for-tests-0123456789"
ANSWER = "Hello from the stand-in Rasa."
FOLLOW_UP = "Your ticket is resolved. How would you rate our help, 1 to 5?"
# A customer message "HANDOFF <ticket id>" makes the stand-in hand over, as the real bot's
# action server does with a `handoff` custom message.
HANDOFF = "HANDOFF "


def wait_until(predicate: Callable[[], Any], *, timeout: float, what: str) -> Any:
    """Polls `predicate` until it returns something truthy; fails the test after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.05)


def _rasa_app(turns: list[str], reads: list[str] | None = None) -> Starlette:
    async def status(request: Request) -> JSONResponse:
        return JSONResponse({"model_file": "stand-in.tar.gz"})

    async def webhook(request: Request) -> JSONResponse:
        body = await request.json()
        text = str(body["message"])
        turns.append(text)
        answers: list[dict[str, Any]] = [{"recipient_id": body["sender"], "text": ANSWER}]
        if text.startswith(HANDOFF):
            handoff = {"ticket_id": text[len(HANDOFF) :], "severity": "general", "reason": "x"}
            answers.append({"recipient_id": body["sender"], "custom": {"handoff": handoff}})
        return JSONResponse(answers)

    async def events(request: Request) -> JSONResponse:  # pause, resume
        return JSONResponse({})

    async def trigger(request: Request) -> JSONResponse:  # the follow-up
        return JSONResponse({"messages": [{"recipient_id": "x", "text": FOLLOW_UP}]})

    async def tracker(request: Request) -> JSONResponse:
        if reads is not None:
            reads.append(request.path_params["key"])
        latest = {"intent": {"name": "greet"}, "emotion": {"level": "calm", "score": 0.1}}
        return JSONResponse({"latest_message": latest, "events": None})

    return Starlette(
        routes=[
            Route("/status", status),
            Route("/health", status),  # as the action server's health check
            Route("/webhooks/rest/webhook", webhook, methods=["POST"]),
            Route("/conversations/{key}/tracker", tracker),
            Route("/conversations/{key}/tracker/events", events, methods=["POST"]),
            Route("/conversations/{key}/trigger_intent", trigger, methods=["POST"]),
        ]
    )


class StandInRasa:
    """Answers Rasa's /status, REST webhook and tracker on `port` while started (and the
    action server's /health, to stand in for it too)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.turns: list[str] = []
        self.tracker_reads: list[str] = []  # conversation keys whose tracker was read
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        config = uvicorn.Config(
            _rasa_app(self.turns, self.tracker_reads),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        server = self._server
        wait_until(lambda: server.started, timeout=30, what="the stand-in Rasa")

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=20)
            self._server = self._thread = None


def scrape(client: Any, headers: dict[str, str] | None = None) -> dict[tuple[str, ...], float]:
    """GET /metrics as {(sample name, label value, ...): value}, label values in label-name
    order."""
    from prometheus_client.parser import text_string_to_metric_families

    response = client.get(
        "/metrics", headers=headers or {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    samples: dict[tuple[str, ...], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = (sample.name, *(sample.labels[k] for k in sorted(sample.labels)))
            samples[key] = sample.value
    return samples
