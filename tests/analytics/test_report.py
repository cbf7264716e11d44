"""The public transparency report's figures on SQLite and PostgreSQL: what counts, and that
no figure resting on fewer tickets than the minimum is shown (counts just under and just
at the minimum)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from bot.analytics.models import ImprovementAction
from bot.analytics.report import Month, monthly_report, report_csv
from bot.db import transaction

from .conftest import START, ticket_row

MINIMUM = 5
NOVEMBER = Month(2026, 11)
SECRETS = ("SECRET-DESCRIPTION", "SECRET-SENDER", "SECRET-PRODUCT", "13800001111")


def complaint(number: int, category: str, *, resolved: bool, late: bool = False,
              reopened: bool = False, csat: int | None = None, **fields: Any) -> dict[str, Any]:  # fmt: skip
    created = START + timedelta(days=number % 28, hours=1)
    responded = created + timedelta(minutes=10 * number)
    return ticket_row(
        number,
        created,
        category=category,
        status="resolved" if resolved else "open",
        description="SECRET-DESCRIPTION",
        sender_id=f"SECRET-SENDER-{number}",
        product="SECRET-PRODUCT",
        contact_phone="13800001111",
        first_responded_at=responded,
        resolved_at=responded + timedelta(hours=number) if resolved else None,
        resolution_due=responded + timedelta(hours=number + (-1 if late else 1)),
        reopen_count=1 if reopened else 0,
        csat=csat,
        **fields,
    )


def november(billing: int) -> list[dict[str, Any]]:
    """product_quality 6, delivery 5 and billing `billing` complaints; 12 of them resolved
    (2 late), 4 reopened, 5 rated; and tickets that are not this month's complaints."""
    rows = [complaint(n, "product_quality", resolved=True, late=n <= 2, reopened=n <= 4,
                      csat=(5, 4, 4, 3, 4)[n - 1] if n <= 5 else None)
            for n in range(1, 7)]  # fmt: skip
    rows += [complaint(n, "delivery", resolved=True) for n in range(7, 12)]
    rows += [complaint(n, "billing", resolved=n == 12) for n in range(12, 12 + billing)]
    # Not complaints, or not November's: never counted.
    rows += [complaint(n, "suggestion", resolved=True, csat=1) for n in range(30, 33)]
    rows += [complaint(n, "billing", resolved=True, validity="invalid") for n in (33, 34)]
    rows += [complaint(35, "billing", resolved=False, motive="suggestion")]
    rows.append({**complaint(36, "billing", resolved=False), "created_at": START - timedelta(1)})
    rows.append({**complaint(37, "billing", resolved=False),
                 "created_at": datetime(2026, 12, 1, tzinfo=START.tzinfo)})  # fmt: skip
    return rows


@pytest.fixture
def add_actions(sessions):
    with transaction(sessions) as session:
        for category, title, status in (
            ("product_quality", "New packaging supplier", "in_progress"),
            ("product_quality", "Not decided yet", "planned"),
            ("billing", "Clearer invoices", "done"),
        ):
            session.add(ImprovementAction(
                category=category, title=title, owner="SECRET-OWNER", status=status,
                description="SECRET-DESCRIPTION", started_on=date(2026, 11, 10),
                created_by="sue", created_at=START, updated_at=START,
            ))  # fmt: skip


def counts_shown(report: dict[str, Any]) -> list[int]:
    """Every count the report shows."""
    shown = [report["received"], report["resolved"], report["csat"]["rated"]]
    shown += [entry["count"] for entry in report["top_categories"]]
    return [value for value in shown if value is not None]


def assert_nothing_small(report: dict[str, Any]) -> None:
    assert all(value >= MINIMUM for value in counts_shown(report)), report
    # What the shown categories leave over is not a small number either.
    if report["received"] is not None:
        left = report["received"] - sum(e["count"] for e in report["top_categories"])
        assert left == 0 or left >= MINIMUM, report
    text = repr(report) + report_csv(report)
    assert not any(secret in text for secret in SECRETS), text
    assert "CP-" not in text and "SECRET-OWNER" not in text


def test_counts_at_the_minimum_are_shown(sessions, insert_tickets, add_actions):
    insert_tickets(november(billing=5))
    with sessions() as session:
        report = monthly_report(session, NOVEMBER, minimum=MINIMUM)
    assert_nothing_small(report)
    assert report["month"] == "2026-11"
    assert report["received"] == 16
    assert report["resolved"] == 12
    assert report["resolved_in_time_pct"] == round(100 * 10 / 12, 1)
    assert report["reopen_rate_pct"] is None  # 4 reopened: under the minimum
    assert report["csat"] == {"rated": 5, "average": 4.0}
    # Minutes to first response: 10 × ticket number; median of 1..16 → 85.
    assert report["first_response_median_minutes"] == 85.0
    # Minutes to resolution: 70 × ticket number, for 1..12 → median 455.
    assert report["resolution_median_minutes"] == 455.0
    assert [(e["category"], e["count"]) for e in report["top_categories"]] == [
        ("product_quality", 6),
        ("billing", 5),
        ("delivery", 5),
    ]
    actions = {e["category"]: e["actions"] for e in report["top_categories"]}
    assert actions == {
        "product_quality": [
            {"title": "New packaging supplier", "status": "in_progress", "since": "2026-11-10"}
        ],
        "billing": [{"title": "Clearer invoices", "status": "done", "since": "2026-11-10"}],
        "delivery": [],
    }


def test_counts_under_the_minimum_are_withheld(sessions, insert_tickets, add_actions):
    insert_tickets(november(billing=4))
    with sessions() as session:
        report = monthly_report(session, NOVEMBER, minimum=MINIMUM)
    assert_nothing_small(report)
    assert report["received"] == 15
    # billing (4) is withheld; delivery (5) too, or 15 - 6 - 5 would give billing's 4.
    assert [(e["category"], e["count"]) for e in report["top_categories"]] == [
        ("product_quality", 6)
    ]
    csv_text = report_csv(report)
    assert "billing" not in csv_text and "delivery" not in csv_text
    assert "Clearer invoices" not in csv_text


def test_a_small_month_shows_nothing(sessions, insert_tickets):
    insert_tickets([complaint(n, "delivery", resolved=True, csat=5) for n in range(1, 5)])
    with sessions() as session:
        report = monthly_report(session, NOVEMBER, minimum=MINIMUM)
        lower = monthly_report(session, NOVEMBER, minimum=4)
    assert report["received"] is None and report["resolved"] is None
    assert report["resolved_in_time_pct"] is None
    assert report["first_response_median_minutes"] is None
    assert report["resolution_median_minutes"] is None
    assert report["csat"] == {"rated": None, "average": None}
    assert report["top_categories"] == []
    assert counts_shown(report) == []
    # The same month with a minimum of 4 shows the four.
    assert lower["received"] == 4 and lower["top_categories"][0]["count"] == 4
    assert lower["csat"] == {"rated": 4, "average": 5.0}


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-11", "abcd-ef", "2026-11-01", ""])
def test_month_must_be_year_and_month(text):
    with pytest.raises(ValueError):
        Month.parse(text)


def test_the_last_whole_month():
    assert Month.before(date(2026, 12, 4)) == NOVEMBER
    assert Month.before(date(2027, 1, 1)) == Month(2026, 12)
    assert str(Month(2026, 12).next()) == "2027-01"
