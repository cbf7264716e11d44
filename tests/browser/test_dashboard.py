"""The supervisors' dashboard in headless Chromium against an in-process gateway on a real
database with a generated data set: the charts hold the API's figures, a filter changes
them, drill-down lists the right tickets, the CSV export matches the API; agents are
turned away."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from analytics.conftest import ticket_row
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlalchemy import insert

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.db import transaction
from bot.tickets.models import Ticket

PASSWORD = "dashboard password 1"
SERVICE_TOKEN = "service-token-for-tests-0123456789"
CATEGORIES = ("billing", "delivery", "product_quality", "safety")
PRODUCTS = ("kettle K2", "fan F3", None)


@pytest.fixture
def gateway(offline_gateway):
    started = offline_gateway("dashboard.db", api_token=SERVICE_TOKEN)
    _people_and_tickets(started.app)
    return started


def _people_and_tickets(app: FastAPI) -> None:
    """A supervisor, an agent, and 120 tickets over the 20 days before today (UTC), so the
    page's default range (the last 30 days) holds them all."""
    now = datetime.now(UTC)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    rng = random.Random(8)
    rows = []
    for number in range(1, 121):
        created = today - timedelta(days=rng.randrange(1, 21), minutes=-rng.randrange(1440))
        rows.append(ticket_row(
            number, created,
            category=rng.choice(CATEGORIES),
            severity=rng.choice(("general", "general", "major", "urgent")),
            motive=rng.choice(("suggestion", "venting", "resolution", "compensation", None)),
            channel=rng.choice(("rest", "webchat", "telegram")),
            language=rng.choice(("en", "zh")),
            product=rng.choice(PRODUCTS),
            csat=rng.choice((None, 1, 2, 3, 4, 5)),
            reopen_count=rng.choice((0, 0, 0, 1)),
            first_responded_at=created + timedelta(minutes=rng.randrange(1, 600)),
            sla_breached=rng.random() < 0.2,
            validity=rng.choice((None, "valid", "valid", "invalid", "malicious")),
        ))  # fmt: skip
    with transaction(app.state.sessions) as session:
        session.execute(insert(Ticket), rows)
        for username, role in (("sue", "supervisor"), ("wang", "agent")):
            create_agent(session, username=username, role=role, display_name=username, now=now)
            set_password(session, username=username, password=PASSWORD)


def _sign_in(page: Page, username: str) -> None:
    page.goto("/dashboard")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _ready(page: Page) -> None:
    expect(page.locator("#board[data-ready]")).to_have_count(1)


def _bars(page: Page, canvas: str) -> dict[str, int]:
    """What a bar chart shows: label → value, read from its Chart.js instance."""
    data = page.evaluate(
        "id => { const c = Chart.getChart(document.getElementById(id)).data;"
        " return [c.labels, c.datasets[0].data]; }",
        canvas,
    )
    return dict(zip(data[0], data[1], strict=True))


def _click_bar(page: Page, canvas: str, label: str) -> None:
    point = page.evaluate(
        """([id, label]) => {
             const chart = Chart.getChart(document.getElementById(id));
             const bar = chart.getDatasetMeta(0).data[chart.data.labels.indexOf(label)];
             return {x: bar.x, y: (bar.y + bar.base) / 2};
           }""",
        [canvas, label],
    )
    page.locator(f"#{canvas}").click(position=point)


def _listed(page: Page) -> list[str]:
    return page.locator("#drill-rows a").all_text_contents()


def test_a_supervisor_sees_charts_filters_drills_down_and_exports(page, gateway, tmp_path):
    _sign_in(page, "sue")
    _ready(page)
    since, until = page.input_value("#f-since"), page.input_value("#f-until")
    summary = gateway.get("/api/analytics/summary", since=since, until=until).json()
    assert summary["total"] == 120
    expect(page.locator("#kpi-total")).to_have_text("120")
    expect(page.locator("#kpi-sla")).to_have_text(f"{summary['sla']['compliance_pct']} %")

    assert _bars(page, "chart-category") == summary["by_category"]
    assert _bars(page, "chart-severity") == summary["by_severity"]
    assert _bars(page, "chart-channel") == summary["by_channel"]
    assert _bars(page, "chart-motive") == summary["by_motive"]
    assert _bars(page, "chart-csat") == summary["csat"]["distribution"]
    daily = page.evaluate(
        "() => Object.fromEntries(Chart.getChart(document.getElementById('chart-daily'))"
        ".data.datasets.map(d => [d.label, d.data]))"
    )
    series = gateway.get("/api/analytics/timeseries", since=since, until=until, by="category")
    assert daily == series.json()["series"]
    assert sum(sum(counts) for counts in daily.values()) == 120

    # A filter changes every figure.
    page.select_option("#f-channel", "webchat")
    page.get_by_role("button", name="Apply").click()
    _ready(page)
    webchat = gateway.get("/api/analytics/summary", since=since, until=until,
                          channel="webchat").json()  # fmt: skip
    assert 0 < webchat["total"] < 120
    expect(page.locator("#kpi-total")).to_have_text(str(webchat["total"]))
    assert _bars(page, "chart-category") == webchat["by_category"]
    assert _bars(page, "chart-channel") == {"webchat": webchat["total"]}

    # Clicking a bar lists its tickets, with the filters still applied.
    _click_bar(page, "chart-category", "billing")
    expect(page.locator("#drill-title")).to_have_text("Tickets: category billing")
    wanted = gateway.get("/api/analytics/tickets", since=since, until=until, channel="webchat",
                         category="billing", limit=100).json()  # fmt: skip
    assert wanted["total"] == webchat["by_category"]["billing"]
    expect(page.locator("#drill-rows tr")).to_have_count(wanted["total"])
    assert _listed(page) == [t["id"] for t in wanted["items"]]
    first = wanted["items"][0]["id"]
    assert page.locator("#drill-rows a").first.get_attribute("href") == f"/console#ticket={first}"

    # A root-cause row lists the tickets of that category × product.
    cause = webchat["root_causes"][0]
    product = cause["product"] or "(none)"
    page.get_by_role("button", name=f"Tickets for {cause['category']} × {product}").click()
    expect(page.locator("#drill-title")).to_have_text(f"Tickets: {cause['category']} × {product}")
    expect(page.locator("#drill-rows tr")).to_have_count(cause["count"])
    listed = gateway.get("/api/analytics/tickets", since=since, until=until, channel="webchat",
                         category=cause["category"], product=product).json()  # fmt: skip
    assert listed["total"] == cause["count"]
    assert _listed(page) == [t["id"] for t in listed["items"]]

    # The summary CSV downloaded through the page's link is the API's JSON.
    with page.expect_download() as download:
        page.locator("#csv-summary").click()
    saved = tmp_path / "summary.csv"
    download.value.save_as(saved)
    table = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert table[0] == ["figure", "key", "value"]
    shown = {(figure, key): value for figure, key, value in table[1:]}
    for figure in ("by_category", "by_severity", "by_channel", "by_language", "by_day"):
        for key, count in webchat[figure].items():
            assert shown[(figure, key)] == str(count)
    assert shown[("sla", "compliance_pct")] == str(webchat["sla"]["compliance_pct"])
    for score, count in webchat["csat"]["distribution"].items():
        assert shown[("csat", f"distribution.{score}")] == str(count)

    # And the drill-down's CSV holds exactly the tickets listed.
    with page.expect_download() as download:
        page.locator("#drill-csv").click()
    saved = tmp_path / "tickets.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [row["id"] for row in rows] == [t["id"] for t in listed["items"]]

    # A ticket's link opens it in the console, already signed in.
    page.goto(f"/console#ticket={first}")
    expect(page.locator("#ticket-pane")).to_contain_text(first)


def test_improvement_actions_show_their_before_and_after(page, gateway):
    today = datetime.now(UTC).date()
    response = httpx.post(
        gateway.url + "/api/improvements",
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}"},
        json={
            "category": "billing",
            "title": "Clearer invoices",
            "owner": "finance",
            "status": "in_progress",
            "started_on": (today - timedelta(days=10)).isoformat(),
        },
    )
    response.raise_for_status()  # fmt: skip
    effect = response.json()["effect"]
    _sign_in(page, "sue")
    _ready(page)
    row = page.locator("#actions tr", has_text="Clearer invoices")
    expect(row.locator("td").nth(6)).to_have_text(
        f"{effect['before']['per_day']} ({effect['before']['complaints']} in 28 d)"
    )
    expect(row.locator("td").nth(7)).to_contain_text(f"{effect['after']['per_day']} (")


def test_an_agent_is_told_the_dashboard_is_for_supervisors(page, gateway):
    _sign_in(page, "wang")
    expect(page.get_by_role("heading", name="Supervisors only")).to_be_visible()
    expect(page.locator("#denied-text")).to_contain_text("for supervisors only")
    expect(page.locator("#board")).to_be_hidden()
    assert page.evaluate("() => Chart.getChart(document.getElementById('chart-category'))") is None


@pytest.fixture
def page(open_page, gateway) -> Page:
    tab: Page = open_page(gateway.url)
    return tab
