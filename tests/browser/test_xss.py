"""Customer text is shown as text and never runs, on every page that shows it, in headless
Chromium: the widget (the bubble and the history after a reload), the console (queue,
transcript, ticket fields, the supervisor's approvals) and the dashboard (root causes,
drill-down, early warnings). The payloads set `window.__xss` and change the title if
anything executes; the pages must show them literally. Every page also sends a CSP.

The gateway runs without Rasa (the widget's customer gets the apology and a ticket), so
these need no stack.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

ATTACK = (
    "<script>window.__xss='script'</script>"
    "<img src=x onerror=\"window.__xss='img';document.title='pwned'\">"
    "<svg onload=\"window.__xss='svg'\"></svg> the kettle shocked me"
)
# For the short columns (order number: 40 characters, desired resolution: 32).
SHORT = "<img src=x onerror=__xss=1>"
PASSWORD = "xss test password"
POLICY = load_policy(DEFAULT_SLA_POLICY)


def _nothing_ran(page: Page, title: str) -> None:
    assert page.evaluate("() => window.__xss") is None
    assert page.title() == title
    # No element the payloads would create, in the page or the widget's shadow root.
    assert page.locator("img[src='x'], svg[onload], script:not([src])").count() == 0


def _people(app: FastAPI, now: datetime) -> str:
    """wang (agent) and lead (supervisor), with passwords; returns wang's API token."""
    with transaction(app.state.sessions) as session:
        _agent, token = create_agent(session, username="wang", role="agent", now=now)
        create_agent(session, username="lead", role="supervisor", now=now)
        for name in ("wang", "lead"):
            set_password(session, username=name, password=PASSWORD)
    return token


def _sign_in(page: Page, path: str, username: str) -> None:
    page.goto(path)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _queued_attack(app: FastAPI, now: datetime) -> str:
    with transaction(app.state.sessions) as session:
        ticket = create_ticket(
            session,
            new=NewTicket(
                channel="rest",
                sender_id="mallory",
                language="en",
                category="safety",
                description=ATTACK,
                product=ATTACK,
                order_id=SHORT,
                desired_resolution=SHORT,
            ),  # fmt: skip
            policy=POLICY,
            now=now,
        )
        ticket.status, ticket.severity = "escalated", "urgent"
        conv = get_or_create_conversation(session, channel="rest", sender_id="mallory", now=now)
        add_message(session, conversation=conv, direction="in", author="customer", text=ATTACK,
                    now=now)  # fmt: skip
        conv.owner = "queue"
        ticket_id, conv_id = ticket.id, conv.id
    app.state.queue.enqueue(ticket_id, conv_id, "urgent", now=now)
    return ticket_id


@pytest.fixture
def gateway(offline_gateway) -> Any:
    return offline_gateway("xss.db")


def test_the_console_shows_customer_markup_as_text(open_page, gateway):
    now = datetime.now(UTC)
    token = _people(gateway.app, now)
    ticket_id = _queued_attack(gateway.app, now)
    page: Page = open_page(gateway.url)
    _sign_in(page, "/console", "wang")
    title = page.title()
    row = page.locator("#queue li", has_text=ticket_id)
    # The queue shows the description's start: all the markup, cut before the end.
    expect(row.locator(".summary")).to_contain_text(ATTACK.split(" the kettle")[0])
    _nothing_ran(page, title)

    page.get_by_role("button", name=f"Claim {ticket_id}").click()
    expect(page.locator("#transcript li.from-customer .text")).to_have_text([ATTACK])
    fields = page.locator("#ticket-fields")
    expect(fields.locator("dd", has_text="the kettle shocked me")).to_have_text([ATTACK, ATTACK])
    expect(fields.locator("dd", has_text="onerror=__xss")).to_have_text([SHORT, SHORT])
    _nothing_ran(page, title)

    # A remedy request whose note carries the payload, as the supervisor sees it.
    asked = httpx.post(
        f"{gateway.url}/api/tickets/{ticket_id}/remedy",
        json={"type": "refund", "amount": 500, "currency": "CNY", "note": ATTACK},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert asked.status_code == 202, asked.text
    lead: Page = open_page(gateway.url)
    _sign_in(lead, "/console", "lead")
    expect(lead.locator("#approvals li", has_text=ticket_id)).to_contain_text(ATTACK)
    _nothing_ran(lead, title)


def test_the_dashboard_shows_customer_markup_as_text(open_page, gateway):
    now = datetime.now(UTC)
    _people(gateway.app, now)
    with transaction(gateway.app.state.sessions) as session:
        # Many today, none before: a spike for the product, named by the customers' text.
        for hours in range(12):
            create_ticket(
                session,
                new=NewTicket(
                    channel="webchat",
                    sender_id=f"m{hours}",
                    language="en",
                    category="product_quality",
                    description=ATTACK,
                    product=ATTACK,
                ),  # fmt: skip
                policy=POLICY,
                now=now - timedelta(minutes=5 * hours),
            )
    page: Page = open_page(gateway.url)
    _sign_in(page, "/dashboard", "lead")
    expect(page.locator("#board[data-ready]")).to_have_count(1)
    title = page.title()
    cause = page.locator("#causes tr", has_text="the kettle shocked me")
    expect(cause.locator("td").nth(1)).to_have_text(ATTACK)
    expect(page.locator("#warnings li", has_text="the kettle shocked me").first).to_contain_text(
        ATTACK
    )
    # The improvement-action form titled with the root cause shows it as text too.
    cause.locator("button.secondary").click()
    expect(page.locator("#action-form-title")).to_contain_text(ATTACK)
    _nothing_ran(page, title)
    cause.locator("button.link").click()
    expect(page.locator("#drill-rows tr")).to_have_count(12)
    expect(page.locator("#drill-rows td", has_text="the kettle shocked me").first).to_have_text(
        ATTACK
    )
    _nothing_ran(page, title)


def test_the_widget_shows_customer_markup_as_text_before_and_after_a_reload(open_page, gateway):
    page: Page = open_page(gateway.url)
    page.goto("/")
    title = page.title()
    page.get_by_role("button", name="Chat with us").click()
    box = page.get_by_label("Your message")
    box.fill(ATTACK)
    box.press("Enter")
    customer = page.locator(".cb-from-customer .cb-text")
    expect(customer).to_have_text([ATTACK])
    # Rasa is down here: the gateway keeps the complaint and says so.
    expect(page.locator(".cb-from-system .cb-text").first).to_contain_text("saved on ticket")
    _nothing_ran(page, title)
    page.reload()
    expect(customer).to_have_text([ATTACK])
    _nothing_ran(page, title)


@pytest.mark.parametrize("path", ["/", "/console", "/dashboard"])
def test_every_page_sends_a_content_security_policy(gateway, path):
    answer = httpx.get(gateway.url + path)
    assert answer.status_code == 200
    policy = answer.headers["content-security-policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    # Scripts only from the gateway itself: no inline script, no other origin.
    source = directives.get("script-src", directives.get("default-src", ""))
    assert source.split() == ["'self'"], policy
    assert directives["base-uri"] == "'none'"
    assert answer.headers["x-content-type-options"] == "nosniff"
