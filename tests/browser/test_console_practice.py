"""Practice mode in the console, in headless Chromium, end to end: an agent plays the
simulated customer twice in the chat pane, once with a good answer and once with a bad
one, and sees the scores the rubric gives with their reasons; a supervisor sees the
agent's practice history."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from browser.test_console import PASSWORD, _sign_in
from playwright.sync_api import Page, expect
from practice.test_practice import BAD, GOOD

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.db import transaction

PERSONA = "en-fury-wrong-colour-again"
NOW = datetime.now(UTC)


@pytest.fixture
def gateway(offline_gateway):
    started = offline_gateway("practice.db")
    started.app.state.clock = lambda: NOW  # every answer comes at once: speed is scored 1
    with transaction(started.app.state.sessions) as session:
        for name, role in (("alice", "agent"), ("sue", "supervisor")):
            create_agent(session, username=name, role=role, display_name=name, now=NOW)
            set_password(session, username=name, password=PASSWORD)
    return started


def _play(page: Page, answer: str) -> None:
    page.locator("#practice-persona").select_option(PERSONA)
    page.locator("#practice-start").click()
    transcript = page.locator("#transcript li")
    expect(transcript).to_have_count(1)
    expect(transcript.nth(0)).to_contain_text("you sent me the wrong colour AGAIN")
    expect(page.locator("#practice-emotion")).to_have_text("The customer is furious.")
    page.locator("#message").fill(answer)
    page.locator("#send button[type=submit]").click()
    expect(transcript).to_have_count(3)  # the answer and the customer's next line
    expect(transcript.nth(1)).to_contain_text(answer)


def test_a_good_and_a_bad_practice_session_in_the_console(open_page, gateway):
    page = open_page(gateway.url, locale="en-GB")
    _sign_in(page, "alice")

    _play(page, GOOD)
    expect(page.locator("#transcript li").nth(2)).to_contain_text("order SO20261120001")
    expect(page.locator("#practice-emotion")).to_have_text("The customer is angry.")
    page.locator("#practice-end").click()
    expect(page.locator("#practice-points")).to_have_text(
        "Score 6/6. What would have satisfied them: replacement."
    )
    expect(page.locator("#practice-reasons li.passed")).to_have_count(6)
    expect(page.locator('#practice-reasons li[data-item="remedy"]')).to_have_text(
        "✓ Remedy within your authority: replacement is within your authority"
    )
    expect(page.locator("#send")).to_be_hidden()

    _play(page, BAD)
    expect(page.locator("#practice-emotion")).to_have_text("The customer is furious.")
    page.locator("#practice-end").click()
    expect(page.locator("#practice-points")).to_contain_text("Score 1/6.")
    expect(page.locator("#practice-reasons li.failed")).to_have_count(5)
    expect(page.locator('#practice-reasons li[data-item="no_blame"]')).to_have_text(
        "✗ No blame: blames the customer ('you should have')"
    )
    expect(page.locator('#practice-reasons li[data-item="speed"]')).to_have_class("passed")

    lead = open_page(gateway.url, locale="en-GB")
    _sign_in(lead, "sue")
    expect(lead.locator("#practice-history li")).to_have_text(
        [
            "alice · Jordan · 1/6",
            "alice · Jordan · 6/6",
        ]
    )
