"""Headless Debian Chromium driven by Playwright (never `playwright install`: the browser
comes from the system, see scripts/setup-browser.sh)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from bot.config import load_settings
from bot.stack import free_port
from bot.web.app import create_app

CHROMIUM = Path(os.environ.get("COMPLAINTBOT_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _missing(what: str) -> None:
    """Skips locally; fails in CI (COMPLAINTBOT_REQUIRE_SERVICES=1), where it must be there."""
    if os.environ.get("COMPLAINTBOT_REQUIRE_SERVICES") == "1":
        pytest.fail(f"{what} is missing")
    pytest.skip(f"{what} is missing")


# Module scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, which would break every async test collected after these.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        _missing(f"Chromium at {CHROMIUM} (scripts/setup-browser.sh installs it)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package (make setup installs it)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any, serve_app: object) -> Iterator[Callable[..., Any]]:
    """`open_page(base_url)`: a tab in a fresh browser context (its own cookies; `options`
    go to the context, e.g. `locale="zh-CN"` for the browser's language). The test fails on
    any uncaught script error in any of its tabs.

    `serve_app` is set up before, so torn down after: the tabs close while the test's
    gateways still answer, whatever order the test names its fixtures in (a page polling a
    gateway that has just stopped is the teardown's doing, not the page's)."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(base_url: str, timeout_ms: int = 10_000, **options: Any) -> Any:
        context = browser.new_context(base_url=base_url, **options)
        context.set_default_timeout(timeout_ms)
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        return tab

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], errors


@dataclass
class Gateway:
    app: FastAPI
    url: str
    token: str

    def get(self, path: str, **params: Any) -> httpx.Response:
        """GET with the service token; raises on an error status."""
        response = httpx.get(
            self.url + path, params=params, headers={"Authorization": f"Bearer {self.token}"}
        )
        response.raise_for_status()
        return response


@pytest.fixture
def offline_gateway(tmp_path, serve_app) -> Callable[..., Gateway]:
    """Starts a gateway on its own SQLite file with no Rasa behind it (nothing listens on its
    Rasa port): the console and the dashboard do not need the bot. `overrides` are more
    settings."""

    def start(
        db_name: str, api_token: str = "service-token-for-tests-0123456789", **overrides: Any
    ) -> Gateway:
        port, nowhere = free_port(), free_port()
        settings = load_settings(
            _env_file=None,
            env="development",
            var_dir=tmp_path / "var",
            database_url=f"sqlite:///{tmp_path / db_name}",
            redis_url=None,
            api_token=api_token,
            port=port,
            rasa_url=f"http://127.0.0.1:{nowhere}",
            actions_url=f"http://127.0.0.1:{nowhere}",
            **overrides,
        )
        app = create_app(settings)
        return Gateway(app=app, url=serve_app(app, port), token=api_token)

    return start
