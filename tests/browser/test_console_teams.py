"""Teams in the console, in headless Chromium: the queue shows my team's ticket first with
its team, an agent hands a ticket to another team with a reason, and the receiving team's
member sees the flash in their open console at once (the live socket)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from browser.test_console import PASSWORD, _sign_in
from playwright.sync_api import Page, expect

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.conversations.store import get_or_create_conversation
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.models import Ticket
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

TEAMS = {
    "default": "coordination",
    "teams": [
        {"name": "coordination", "title": {"en": "Coordination", "zh-CN": "协调组"},
         "members": ["sue"]},
        {"name": "logistics", "title": {"en": "Logistics", "zh-CN": "物流部"},
         "members": ["alice"], "categories": ["delivery"]},
        {"name": "quality", "title": {"en": "Quality", "zh-CN": "质量部"},
         "members": ["bob"], "categories": ["product_quality"]},
    ],
}  # fmt: skip


@pytest.fixture
def gateway(offline_gateway, tmp_path):
    path = tmp_path / "teams.yml"
    path.write_text(yaml.safe_dump(TEAMS, allow_unicode=True), encoding="utf-8")
    return offline_gateway("teams.db", teams=path)


def _tickets(app) -> tuple[str, str]:
    """Two queued complaints, routed as the action server routes them: a faulty kettle
    (quality) waiting longer, then a lost parcel (logistics)."""
    now = datetime.now(UTC)
    policy = load_policy(DEFAULT_SLA_POLICY)
    made = []
    with transaction(app.state.sessions) as session:
        for name in ("alice", "bob"):
            create_agent(session, username=name, role="agent", display_name=name, now=now)
            set_password(session, username=name, password=PASSWORD)
        for number, (category, text) in enumerate(
            (("product_quality", "the kettle leaks"), ("delivery", "my parcel is lost"))
        ):
            sender = f"cust-{number}"
            new = NewTicket(channel="rest", sender_id=sender, language="en",
                            category=category, description=text)  # fmt: skip
            ticket = create_ticket(session, new=new, policy=policy, now=now,
                                   teams=app.state.teams)  # fmt: skip
            ticket.status = "escalated"
            conv = get_or_create_conversation(session, channel="rest", sender_id=sender, now=now)
            conv.owner = "queue"
            made.append((ticket.id, conv.id))
    for number, (ticket_id, conv_id) in enumerate(made):
        app.state.queue.enqueue(ticket_id, conv_id, "general",
                                now=now - timedelta(minutes=10 - number))  # fmt: skip
    return made[0][0], made[1][0]


def test_my_team_first_hand_over_and_the_receiving_team_is_flashed(open_page, gateway):
    kettle, parcel = _tickets(gateway.app)
    bob = open_page(gateway.url, locale="zh-CN")
    _sign_in_zh(bob, "bob")
    alice = open_page(gateway.url, locale="en-GB")
    _sign_in(alice, "alice")

    # alice's team's parcel comes first though the kettle has waited longer; bob's, the kettle.
    rows = alice.locator("#queue li")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-ticket", parcel)
    expect(rows.nth(0).locator(".team-tag")).to_have_text("Logistics")
    expect(rows.nth(1).locator(".team-tag")).to_have_text("Quality")
    expect(bob.locator("#queue li").nth(0)).to_have_attribute("data-ticket", kettle)
    expect(bob.locator("#queue li").nth(0).locator(".team-tag")).to_have_text("质量部")

    # The parcel turns out to be a damaged product: alice hands it to quality.
    alice.goto(f"/console#ticket={parcel}")
    alice.reload()
    expect(alice.locator("#ticket-team")).to_have_text("Logistics")
    expect(alice.locator("#team-to option")).to_have_text(["Coordination", "Quality"])
    alice.locator("#team-to").select_option("quality")
    alice.locator("#team-reason").fill("arrived crushed: a product fault, not delivery")
    alice.get_by_role("button", name="Hand over").click()
    expect(alice.locator("#ticket-status")).to_have_text("Handed over to Quality.")
    expect(alice.locator("#ticket-team")).to_have_text("Quality")

    flash = bob.locator("#team-flash")
    expect(flash).to_be_visible()
    expect(flash).to_contain_text(parcel)
    expect(flash).to_contain_text("质量部")
    expect(flash).to_contain_text("arrived crushed: a product fault, not delivery")
    flash.click()
    expect(flash).to_be_hidden()
    # Both tickets are bob's team's now, in serving order.
    expect(bob.locator("#queue li .team-tag")).to_have_text(["质量部", "质量部"])
    with gateway.app.state.sessions() as session:
        assert session.get(Ticket, parcel).team == "quality"


def _sign_in_zh(page: Page, username: str) -> None:
    page.goto("/console")
    page.locator("#login-username").fill(username)
    page.locator("#login-password").fill(PASSWORD)
    page.locator("#login button[type=submit]").click()
    expect(page.locator("#desk")).to_be_visible()
