"""The real stack (Rasa server + action server + gateway), started once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.config import Settings, ensure_secrets, load_settings
from bot.model import ensure_model
from bot.paths import PROJECT_ROOT
from bot.stack import Stack, free_port


@dataclass
class RunningStack:
    settings: Settings
    base_url: str

    @property
    def api_headers(self) -> dict[str, str]:
        assert self.settings.api_token is not None
        return {"Authorization": f"Bearer {self.settings.api_token.get_secret_value()}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=60.0)


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[RunningStack]:
    var_dir = tmp_path_factory.mktemp("stack-var")
    rasa_port, actions_port, gateway_port = free_port(), free_port(), free_port()
    settings, _ = ensure_secrets(
        load_settings(
            _env_file=None,
            env="development",
            var_dir=var_dir,
            database_url=f"sqlite:///{var_dir / 'complaintbot.db'}",
            redis_url=None,
            port=gateway_port,
            rasa_port=rasa_port,
            actions_port=actions_port,
            rasa_url=f"http://127.0.0.1:{rasa_port}",
            actions_url=f"http://127.0.0.1:{actions_port}",
            rasa_token=None,
            api_token=None,
        )
    )
    model = ensure_model(PROJECT_ROOT)
    running = Stack(settings, model, PROJECT_ROOT)
    running.start(say=lambda _msg: None)
    try:
        yield RunningStack(settings=settings, base_url=f"http://127.0.0.1:{gateway_port}")
    finally:
        running.stop()
