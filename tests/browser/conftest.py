"""Headless Debian Chromium driven by Playwright (never `playwright install`: the browser
comes from the system, see scripts/setup-browser.sh)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

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
def open_page(browser: Any) -> Iterator[Callable[..., Any]]:
    """`open_page(base_url)`: a tab in a fresh browser context (its own cookies). The test
    fails on any uncaught script error in any of its tabs."""
    contexts: list[Any] = []
    errors: list[str] = []

    def open_(base_url: str, timeout_ms: int = 10_000) -> Any:
        context = browser.new_context(base_url=base_url)
        context.set_default_timeout(timeout_ms)
        contexts.append(context)
        tab = context.new_page()
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        return tab

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], errors
