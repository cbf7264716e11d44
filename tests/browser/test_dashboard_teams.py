"""The dashboard's per-team breakdown in headless Chromium, in English and Chinese: each
team's volume, medians, SLA compliance and CSAT for the range, and its open tickets now;
hidden without a teams file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import yaml
from analytics.conftest import ticket_row
from browser.test_dashboard import PASSWORD, _ready, _sign_in
from playwright.sync_api import expect
from sqlalchemy import insert

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.db import transaction
from bot.tickets.models import Ticket

TEAMS = {
    "teams": [
        {"name": "logistics", "title": {"en": "Logistics", "zh-CN": "物流部"},
         "members": ["wang"], "categories": ["delivery"]},
        {"name": "quality", "title": {"en": "Quality", "zh-CN": "质量部"},
         "members": ["li"], "categories": ["product_quality"]},
        {"name": "finance", "title": {"en": "Finance", "zh-CN": "财务部"}, "members": []},
    ],
}  # fmt: skip


def _data(app) -> None:
    """logistics: 3 tickets two days ago (one resolved in 2 h, rated 4; one breached and
    still open, one open untaken); quality: 1 resolved, rated 2; one ticket of no team."""
    now = datetime.now(UTC)
    created = now - timedelta(days=2)
    rows = [
        ticket_row(1, created, team="logistics", status="resolved", csat=4,
                   first_responded_at=created + timedelta(minutes=20),
                   resolved_at=created + timedelta(hours=2)),
        ticket_row(2, created, team="logistics", sla_breached=True, assigned_agent="wang"),
        ticket_row(3, created, team="logistics"),
        ticket_row(4, created, team="quality", category="product_quality", status="resolved",
                   csat=2, first_responded_at=created + timedelta(minutes=40),
                   resolved_at=created + timedelta(hours=5)),
        ticket_row(5, created, category="billing"),
    ]  # fmt: skip
    with transaction(app.state.sessions) as session:
        session.execute(insert(Ticket), rows)
        create_agent(session, username="sue", role="supervisor", display_name="sue", now=now)
        set_password(session, username="sue", password=PASSWORD)


@pytest.fixture
def gateway(offline_gateway, tmp_path):
    path = tmp_path / "teams.yml"
    path.write_text(yaml.safe_dump(TEAMS, allow_unicode=True), encoding="utf-8")
    started = offline_gateway("dashboard-teams.db", teams=path)
    _data(started.app)
    return started


def _cells(page, team: str):
    return page.locator(f'#teams-rows tr[data-team="{team}"] td')


def test_the_dashboard_breaks_the_figures_down_per_team(open_page, gateway):
    page = open_page(gateway.url, locale="en-GB")
    _sign_in(page, "sue")
    _ready(page)
    expect(page.locator("#teams-box")).to_be_visible()
    expect(page.locator("#teams-rows tr")).to_have_count(4)  # the file's three, then no team
    logistics = _cells(page, "logistics")
    expect(logistics).to_have_count(10)
    expect(logistics.nth(0)).to_have_text("Logistics")
    expect(logistics.nth(1)).to_have_text("3")
    expect(logistics.nth(2)).to_have_text("20 min")
    expect(logistics.nth(3)).to_have_text("2.0 h")
    expect(logistics.nth(4)).to_have_text("66.67 %")
    expect(logistics.nth(6)).to_have_text("2")  # open now
    expect(logistics.nth(7)).to_have_text("1")  # not taken
    expect(logistics.nth(8)).to_have_text("1")  # past a deadline
    expect(logistics.nth(9)).not_to_have_text("—")
    expect(_cells(page, "quality").nth(1)).to_have_text("1")
    expect(_cells(page, "quality").nth(6)).to_have_text("0")
    expect(_cells(page, "finance").nth(1)).to_have_text("0")
    expect(_cells(page, "finance").nth(5)).to_have_text("—")
    expect(_cells(page, "(none)").nth(0)).to_have_text("No team")

    page.locator("#locale-switch").select_option("zh-CN")
    expect(page.locator("#teams-title")).to_have_text("各团队情况")
    expect(_cells(page, "logistics").nth(0)).to_have_text("物流部")
    expect(_cells(page, "(none)").nth(0)).to_have_text("无团队")


def test_without_teams_the_breakdown_stays_hidden(open_page, offline_gateway):
    started = offline_gateway("dashboard-no-teams.db")
    _data(started.app)
    page = open_page(started.url, locale="en-GB")
    _sign_in(page, "sue")
    _ready(page)
    expect(page.locator("#teams-box")).to_be_hidden()
