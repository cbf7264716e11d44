"""Headless Debian Chromium driven by Playwright (never `playwright install`: the browser
comes from the system, see scripts/setup-browser.sh)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
