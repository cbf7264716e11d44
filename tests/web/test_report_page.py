"""/report and its monthly JSON and CSV through the gateway, on SQLite and PostgreSQL: off by
default, public when on, in the reader's language, nothing personal in it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from web.conftest import NOW, gateway_client, new_ticket

from bot.analytics.models import ImprovementAction
from bot.db import transaction

PATHS = ("/report", "/report?month=2026-11", "/report/2026-11.json", "/report/2026-11.csv")


@pytest.fixture
def public(db_url, tmp_path):
    with gateway_client(db_url, tmp_path / "var", public_report=True) as test_client:
        yield test_client


def add_complaints(client, count: int) -> None:
    db = client.app.state.sessions
    for number in range(count):
        new_ticket(db, sender=f"SECRET-SENDER-{number}", now=NOW - timedelta(minutes=number),
                   description="SECRET-DESCRIPTION")  # fmt: skip
    with transaction(db) as session:
        session.add(ImprovementAction(
            category="delivery", title="<b>New courier</b>", owner="SECRET-OWNER",
            status="in_progress", started_on=date(2026, 11, 1), created_by="sue",
            created_at=NOW, updated_at=NOW,
        ))  # fmt: skip


@pytest.mark.parametrize("path", PATHS)
def test_off_by_default(client, path):
    assert client.get(path).status_code == 404


def test_the_month_in_json_csv_and_html(public):
    add_complaints(public, 5)
    found = public.get("/report/2026-11.json")
    assert found.status_code == 200
    report = found.json()
    assert report["received"] == 5 and report["min_count"] == 5
    assert report["top_categories"] == [
        {
            "category": "delivery",
            "count": 5,
            "actions": [
                {"title": "<b>New courier</b>", "status": "in_progress", "since": "2026-11-01"}
            ],
        }
    ]
    csv_response = public.get("/report/2026-11.csv")
    assert csv_response.headers["content-type"].startswith("text/csv")
    assert "received,,5\n" in csv_response.text
    assert "category_count,delivery,5\n" in csv_response.text
    page = public.get("/report?month=2026-11&lang=en")
    assert page.headers["content-language"] == "en"
    assert "Complaints received" in page.text
    assert "&lt;b&gt;New courier&lt;/b&gt;" in page.text and "<b>New" not in page.text
    for body in (found.text, csv_response.text, page.text):
        for secret in ("SECRET-SENDER", "SECRET-DESCRIPTION", "SECRET-OWNER", "CP-", "1381234"):
            assert secret not in body


def test_four_complaints_show_no_count(public):
    add_complaints(public, 4)
    report = public.get("/report/2026-11.json").json()
    assert report["received"] is None and report["top_categories"] == []
    page = public.get("/report?month=2026-11&lang=en").text
    assert "No category reached the minimum count." in page
    assert ">4<" not in page


def test_the_minimum_is_a_setting(db_url, tmp_path):
    with gateway_client(db_url, tmp_path / "var", public_report=True,
                        report_min_count=3) as test_client:  # fmt: skip
        add_complaints(test_client, 3)
        assert test_client.get("/report/2026-11.json").json()["received"] == 3


@pytest.mark.parametrize(
    ("query", "accept", "language", "heading"),
    [
        ("", "zh-CN,zh;q=0.9,en;q=0.8", "zh-CN", "投诉处理情况公示"),
        ("", "en-GB,en;q=0.9", "en", "Complaint handling report"),
        ("", "fr-FR, zh;q=0.5, en;q=0.4", "zh-CN", "投诉处理情况公示"),
        ("", "", "en", "Complaint handling report"),
        ("&lang=zh-CN", "en", "zh-CN", "投诉处理情况公示"),
        ("&lang=en", "zh-CN", "en", "Complaint handling report"),
        ("&lang=xx", "zh", "zh-CN", "投诉处理情况公示"),
    ],
)
def test_language_from_query_then_browser(public, query, accept, language, heading):
    page = public.get(f"/report?month=2026-11{query}", headers={"Accept-Language": accept})
    assert page.status_code == 200
    assert page.headers["content-language"] == language
    assert f'<html lang="{language}">' in page.text
    assert heading in page.text


def test_default_month_is_the_last_whole_one(public):
    # The gateway's clock is in November 2026.
    assert '<span id="month">2026-10</span>' in public.get("/report").text


@pytest.mark.parametrize(
    "path",
    ["/report?month=2026-13", "/report?month=x", "/report/11-2026.json", "/report/2026-1.csv"],
)
def test_bad_month_is_a_clear_4xx(public, path):
    response = public.get(path)
    assert response.status_code == 422
    assert "YYYY-MM" in response.json()["detail"]
