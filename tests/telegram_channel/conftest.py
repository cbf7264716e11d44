"""A gateway with the Telegram channel, in this process, against the fake Bot API server and
the shared real stack (its Rasa, action server and database)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from bot.config import Settings
from bot.stack import free_port
from bot.web.app import create_app
from telegram_channel.fake_bot_api import FakeBotApi

TOKEN = "123456:TEST-token_for_the_fake_api"


@dataclass
class Gateway:
    settings: Settings
    app: FastAPI
    url: str


@pytest.fixture
def fake_api() -> Iterator[FakeBotApi]:
    api = FakeBotApi(token=TOKEN).start()
    yield api
    api.stop()


@pytest.fixture
def telegram_gateway(stack, fake_api, tmp_path, serve_app) -> Callable[..., Gateway]:
    """Starts a gateway with Telegram on (polling by default, webhook with webhook=True)."""

    def start(*, webhook: bool = False, var_dir: Path | None = None) -> Gateway:
        port = free_port()
        settings = stack.settings.model_copy(
            update={
                "var_dir": var_dir or tmp_path,
                "port": port,
                "telegram_token": SecretStr(TOKEN),
                "telegram_api_url": fake_api.url,
                "telegram_webhook_url": "https://bot.example.com/webhooks/telegram"
                if webhook
                else None,
                "max_evidence_bytes": 64 * 1024,
            }
        )
        app = create_app(settings)
        gateway = Gateway(settings=settings, app=app, url=serve_app(app, port))
        fake_api.wait_for(
            lambda: app.state.telegram.ready, timeout=30, what="the Telegram channel to connect"
        )
        return gateway

    return start
