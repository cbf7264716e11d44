"""The public transparency report in headless Chromium, in Chinese and in English: the
browser's language picks the page's, the language link switches it, the figures are the
JSON's, small categories stay hidden, and the downloads work."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from analytics.conftest import ticket_row
from playwright.sync_api import expect
from sqlalchemy import insert

from bot.analytics.models import ImprovementAction
from bot.db import transaction
from bot.tickets.models import Ticket

NOVEMBER = datetime(2026, 11, 1, tzinfo=UTC)
TODAY = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


@pytest.fixture
def report_url(offline_gateway) -> str:
    gateway = offline_gateway("report.db", public_report=True)
    app = gateway.app
    app.state.clock = lambda: TODAY
    url = gateway.url
    rows = []
    # delivery 7 (6 resolved, rated 4), billing 5, safety 2 and privacy 3 (withheld; the 5
    # they make together is not), and 3 in December.
    kinds = ["delivery"] * 7 + ["billing"] * 5 + ["safety"] * 2 + ["privacy"] * 3
    for number, category in enumerate(kinds, 1):
        created = NOVEMBER + timedelta(days=number, hours=2)
        resolved = category == "delivery" and number <= 6
        rows.append(ticket_row(
            number, created, category=category,
            first_responded_at=created + timedelta(minutes=30),
            resolved_at=created + timedelta(hours=5) if resolved else None,
            resolution_due=created + timedelta(hours=48),
            csat=4 if resolved else None,
        ))  # fmt: skip
    for number in range(3):
        rows.append(ticket_row(100 + number, TODAY - timedelta(hours=number), category="billing"))
    with transaction(app.state.sessions) as session:
        session.execute(insert(Ticket), rows)
        session.add(ImprovementAction(
            category="delivery", title="Second courier for the north", owner="sue",
            status="done", started_on=date(2026, 11, 5), created_by="sue",
            created_at=NOVEMBER, updated_at=NOVEMBER,
        ))  # fmt: skip
    return url


def _figure(page, name: str):
    return page.locator(f'#figures tr[data-figure="{name}"] td')


def test_report_in_english_then_chinese(open_page, report_url):
    page = open_page(report_url, locale="en-GB")
    page.goto("/report")  # the last whole month: November
    expect(page.locator("h1")).to_contain_text("Complaint handling report")
    expect(page.locator("#month")).to_have_text("2026-11")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(_figure(page, "received")).to_have_text("17")
    expect(_figure(page, "resolved")).to_have_text("6")
    expect(_figure(page, "resolved_in_time_pct")).to_have_text("100.0%")
    expect(_figure(page, "first_response_median_minutes")).to_have_text("30 min")
    expect(_figure(page, "resolution_median_minutes")).to_have_text("5.0 h")
    expect(_figure(page, "csat")).to_have_text("4.0 (6 ratings)")
    expect(_figure(page, "reopen_rate_pct")).to_have_text("—")
    rows = page.locator("#categories tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Delivery")
    expect(rows.nth(0)).to_contain_text("7")
    expect(rows.nth(0)).to_contain_text("Second courier for the north (done)")
    expect(rows.nth(1)).to_contain_text("Billing")
    expect(page.locator('[data-category="safety"]')).to_have_count(0)
    expect(page.locator('[data-category="privacy"]')).to_have_count(0)
    expect(page.locator("#next")).to_have_count(0)  # December is not over

    page.click("#other-language")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("h1")).to_contain_text("投诉处理情况公示")
    expect(page.locator("#figures")).to_contain_text("收到投诉")
    expect(_figure(page, "received")).to_have_text("17")
    expect(_figure(page, "first_response_median_minutes")).to_have_text("30 分钟")
    expect(rows.nth(0)).to_contain_text("物流配送")
    expect(rows.nth(0)).to_contain_text("已完成")

    page.click("#previous")
    expect(page.locator("#month")).to_have_text("2026-10")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(_figure(page, "received")).to_have_text("—")
    expect(page.locator("#categories")).to_contain_text("没有类别达到最低公布数量。")


def test_chinese_browser_gets_chinese_and_the_downloads(open_page, report_url):
    page = open_page(report_url, locale="zh-CN")
    page.goto("/report?month=2026-11")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#intro")).to_contain_text("少于 5 件投诉的数据不予公布")
    expect(page.locator("#json")).to_have_attribute("href", "/report/2026-11.json")
    report = httpx.get(report_url + "/report/2026-11.json").json()
    assert report["received"] == 17
    assert [entry["category"] for entry in report["top_categories"]] == ["delivery", "billing"]
    csv_text = httpx.get(report_url + "/report/2026-11.csv").text
    assert "category_count,delivery,7" in csv_text and "category_count,billing,5" in csv_text
    assert "safety" not in csv_text and "privacy" not in csv_text
