"""No secret reaches the logs: the gateway, built from the environment exactly as uvicorn
runs it in production (`app_from_environment`), at DEBUG level, with distinctive values for
every secret setting, signs an agent in, answers API calls, polls Telegram (the fake Bot
API: httpx logs every request URL, and the bot token is in Telegram's paths), asks its
"Rasa" (the token is in the query) and delivers an SLA alert to its webhook (the URL is the
key). Everything written to stdout and stderr is searched for every secret value.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from telegram_channel.fake_bot_api import FakeBotApi, text_update

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.clock import utcnow
from bot.config import load_settings
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.privacy import mask_log_text
from bot.stack import free_port
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy
from bot.web.app import app_from_environment

TELEGRAM_TOKEN = "918273645:AAE-telegramTokenThatMustNotLeak_0123456"
API_TOKEN = "svc-api-token-MUST-NOT-LEAK-4f1c9a77e0b2"
RASA_TOKEN = "rasa-token-MUST-NOT-LEAK-8d2e6b41c3f0"
WEBHOOK_SECRET = "webhook-secret-MUST-NOT-LEAK-77aa"
ALERT_PATH = "/hooks/T000/B000/alertKeyMustNotLeak99"
PASSWORD = "agent-password-MUST-NOT-LEAK"
WRONG_PASSWORD = "wrong-guess-MUST-NOT-LEAK"


class Recorder:
    """Stands for Rasa, the action server and the alert webhook: records every request
    and answers 503 (so the gateway takes its Rasa-down path and retries the alert)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.app = FastAPI()

        @self.app.api_route("/{path:path}", methods=["GET", "POST", "PUT"])
        async def anything(request: Request, path: str) -> Response:
            self.requests.append((request.method, str(request.url)))
            return Response(status_code=503)


def test_no_secret_appears_in_any_log_line(tmp_path, monkeypatch, serve_app, capfd,
                                           restore_logging):  # fmt: skip
    recorder = Recorder()
    recorder_url = serve_app(recorder.app, free_port())
    alert_webhook = recorder_url + ALERT_PATH
    fake_api = FakeBotApi(token=TELEGRAM_TOKEN).start()
    port = free_port()
    environment = {
        "COMPLAINTBOT_ENV": "development",
        "COMPLAINTBOT_VAR_DIR": str(tmp_path / "var"),
        "COMPLAINTBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'gateway.db'}",
        "COMPLAINTBOT_RASA_URL": recorder_url,
        "COMPLAINTBOT_ACTIONS_URL": recorder_url,
        "COMPLAINTBOT_RASA_TOKEN": RASA_TOKEN,
        "COMPLAINTBOT_API_TOKEN": API_TOKEN,
        "COMPLAINTBOT_TELEGRAM_TOKEN": TELEGRAM_TOKEN,
        "COMPLAINTBOT_TELEGRAM_API_URL": fake_api.url,
        "COMPLAINTBOT_TELEGRAM_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "COMPLAINTBOT_ALERT_WEBHOOK": alert_webhook,
        "COMPLAINTBOT_LOG_LEVEL": "DEBUG",
        "COMPLAINTBOT_SLA_MONITOR_INTERVAL": "0.5",
        "COMPLAINTBOT_PORT": str(port),
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COMPLAINTBOT_REDIS_URL", raising=False)
    try:
        app = app_from_environment()
        base = serve_app(app, port)
        fake_api.wait_for(lambda: app.state.telegram.ready, timeout=30, what="Telegram to connect")
        issued = _exercise(app, base, fake_api, recorder)
    finally:
        fake_api.stop()
    # What the settings show of themselves.
    settings = load_settings()
    shown = repr(settings) + str(settings) + settings.model_dump_json()

    time.sleep(0.5)  # the last lines of the server threads
    out, err = capfd.readouterr()
    logs = out + err
    # The logs are there and at DEBUG: the check below reads real output.
    assert "gateway ready" in logs and "DEBUG" in logs, logs[-2000:]
    assert "getUpdates" in logs, "httpx's request lines (with Telegram's URLs) were logged"
    assert "token=***" in logs, "Rasa's URLs (with the token in the query) were logged"
    leaked = {
        name: [line for line in (logs + shown).splitlines() if value in line][:3]
        for name, value in {
            "telegram token": TELEGRAM_TOKEN,
            "telegram token (secret part)": TELEGRAM_TOKEN.split(":", 1)[1],
            "api token": API_TOKEN,
            "rasa token": RASA_TOKEN,
            "webhook secret": WEBHOOK_SECRET,
            "alert webhook": ALERT_PATH,
            "password": PASSWORD,
            "wrong password": WRONG_PASSWORD,
            **issued,
        }.items()
    }
    assert {name: lines for name, lines in leaked.items() if lines} == {}


def _exercise(app: Any, base: str, fake_api: FakeBotApi, recorder: Recorder) -> dict[str, str]:
    """Does what writes log lines; returns the secrets it was handed (token, cookie)."""
    policy = load_policy(DEFAULT_SLA_POLICY)
    with transaction(app.state.sessions) as session:
        _agent, agent_token = create_agent(session, username="alice", role="agent", now=utcnow())
        set_password(session, username="alice", password=PASSWORD)
        # A ticket long overdue: the SLA monitor raises a breach and sends it to the webhook.
        create_ticket(
            session,
            new=NewTicket(
                channel="rest",
                sender_id="late-1",
                language="en",
                category="delivery",
                description="parcel lost",
            ),  # fmt: skip
            policy=policy,
            now=utcnow() - timedelta(days=5),
        )
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.post("/api/console/login",
                           json={"username": "alice", "password": WRONG_PASSWORD}).status_code == 401  # fmt: skip
        signed_in = client.post("/api/console/login",
                                json={"username": "alice", "password": PASSWORD})  # fmt: skip
        assert signed_in.status_code == 200
        cookie = client.cookies["cb_console"]
        assert client.get("/api/console/me").status_code == 200
        client.cookies.clear()
        for token in (API_TOKEN, agent_token, "cba_not-a-real-token-0123456789abcdef"):
            client.get("/api/tickets", headers={"Authorization": f"Bearer {token}"})
        client.post("/webhooks/telegram", json={"update_id": 1},
                    headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})  # fmt: skip
        client.get("/healthz")  # asks Rasa's /status with the token
        # A customer on REST and one on Telegram: the bot ("Rasa") is asked with its token.
        assert client.post("/webhooks/rest/webhook",
                           json={"sender": "rest-1", "message": "my kettle broke"}).status_code == 200  # fmt: skip
    fake_api.push(text_update(4242, "my parcel never came"))
    fake_api.wait_for(lambda: fake_api.messages(4242), timeout=30, what="the answer on Telegram")
    fake_api.wait_for(
        lambda: any(ALERT_PATH in url for _m, url in recorder.requests),
        timeout=30,
        what="the alert at the webhook",
    )
    assert any(f"token={RASA_TOKEN}" in url for _m, url in recorder.requests)  # it was sent
    return {"agent token": agent_token, "session cookie": cookie}


@pytest.mark.parametrize(
    ("line", "hidden"),
    [
        ('HTTP Request: POST http://127.0.0.1:8081/bot918273645:AAE-telegramTokenThatMustNotLeak_0123456/getUpdates "HTTP/1.1 200 OK"',
         "AAE-telegramTokenThatMustNotLeak_0123456"),
        ('HTTP Request: GET http://127.0.0.1:5005/status?token=from-a-var-file-0123 "HTTP/1.1 200 OK"',
         "from-a-var-file-0123"),
        ("Calling Bot API endpoint `setWebhook` with parameters `{'url': 'https://bot.example.com', 'secret_token': 'abcDEF-123_xyz'}`",
         "abcDEF-123_xyz"),
        ("headers: Authorization: Bearer cba_QWxhZGRpbjpvcGVuIHNlc2FtZQ0123",
         "cba_QWxhZGRpbjpvcGVuIHNlc2FtZQ0123"),
        ("cookie cb_console=cbs_QWxhZGRpbjpvcGVuIHNlc2FtZQ0123", "QWxhZGRpbjpvcGVuIHNlc2FtZQ0123"),
        ("webhook https://oapi.dingtalk.com/robot/send?access_token=0123abcd&sign=xyz98765",
         "0123abcd"),
    ],
)  # fmt: skip
def test_secrets_are_masked_by_shape_when_their_value_is_not_known(line, hidden):
    """Tokens from .env or var/ files are not in the environment: their shape gives them
    away (Telegram bot tokens, ours, credentials in URLs and key-value pairs)."""
    masked = mask_log_text(line)
    assert hidden not in masked
    assert masked.split(" ", 1)[0] == line.split(" ", 1)[0]  # the rest of the line stays


@pytest.mark.parametrize(
    "line",
    [
        "SLA breach: ticket CP-20261122-0001, first_response due 2026-11-22T09:30:00+00:00",
        "tokenizer: jieba loaded; monkey=banana; order JD0098812",
        "console sign-in as 'alice' from 127.0.0.1 refused: wrong username or password",
    ],
)
def test_ordinary_lines_are_left_alone(line):
    assert mask_log_text(line) == line
