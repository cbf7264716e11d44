"""Every summary figure against answers computed independently in Python, on SQLite and
PostgreSQL; a small hand-made set for the figures whose definition matters most."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest

from bot.analytics.figures import DrillDown, Filters, drill_down, summary, timeseries
from bot.db import transaction

from .conftest import START, add_customers, random_rows, ticket_row

NOVEMBER = Filters.days(date(2026, 11, 1), date(2026, 11, 30))


def percentile(values: list[float], share: float) -> float | None:
    """Linear interpolation between closest ranks (PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    below = int(position)
    upper = ordered[min(below + 1, len(ordered) - 1)]
    return round(ordered[below] + (upper - ordered[below]) * (position - below), 2)


def close(found: Any, wanted: Any) -> bool:
    """Equal, floats within rounding (SQLite's julianday keeps about a millisecond)."""
    if isinstance(wanted, dict):
        return (
            isinstance(found, dict)
            and found.keys() == wanted.keys()
            and all(close(found[key], wanted[key]) for key in wanted)
        )
    if isinstance(wanted, float) and isinstance(found, float):
        return abs(found - wanted) <= 0.011
    return bool(found == wanted)


def minutes(later, earlier) -> float:
    return (later - earlier).total_seconds() / 60


def expected_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total = len(rows)

    def counts(field: str) -> dict[str, int]:
        return dict(Counter("(none)" if r[field] is None else str(r[field]) for r in rows))

    responded = [minutes(r["first_responded_at"], r["created_at"]) for r in rows
                 if r["first_responded_at"]]  # fmt: skip
    resolved = [minutes(r["resolved_at"], r["created_at"]) for r in rows if r["resolved_at"]]
    rated = [r["csat"] for r in rows if r["csat"] is not None]
    breached = sum(r["sla_breached"] for r in rows)
    reopened = sum(r["reopen_count"] > 0 for r in rows)
    per_customer = Counter(r["customer_id"] for r in rows if r["customer_id"] is not None)
    repeaters = {c: n for c, n in per_customer.items() if n >= 2}
    causes = Counter(
        (r["category"], r["product"]) for r in rows if r["validity"] not in ("invalid", "malicious")
    )
    validity = Counter(r["validity"] for r in rows)
    return {
        "total": total,
        "by_category": counts("category"),
        "by_severity": counts("severity"),
        "by_channel": counts("channel"),
        "by_language": counts("language"),
        "by_product": counts("product"),
        "by_motive": counts("motive"),
        "by_day": dict(Counter(r["created_at"].date().isoformat() for r in rows)),
        "sla": {
            "breached": breached,
            "compliance_pct": round(100 * (total - breached) / total, 2),
        },
        "first_response_minutes": {
            "count": len(responded),
            "median": percentile(responded, 0.5),
            "p90": percentile(responded, 0.9),
        },
        "resolution_minutes": {
            "count": len(resolved),
            "median": percentile(resolved, 0.5),
            "p90": percentile(resolved, 0.9),
        },
        "csat": {
            "rated": len(rated),
            "average": round(sum(rated) / len(rated), 2),
            "distribution": {str(s): rated.count(s) for s in range(1, 6)},
        },
        "reopen": {"reopened": reopened, "rate_pct": round(100 * reopened / total, 2)},
        "repeat_complainants": {
            "customers": len(repeaters),
            "tickets": sum(repeaters.values()),
            "share_pct": round(100 * sum(repeaters.values()) / total, 2),
        },
        "validity": {
            "valid": validity["valid"],
            "invalid": validity["invalid"],
            "malicious": validity["malicious"],
            "unassessed": validity[None],
        },
        "root_causes": sorted(causes.items(), key=lambda item: -item[1])[:10],
    }


def test_every_figure_matches_an_independent_computation(sessions, insert_tickets):
    with transaction(sessions) as session:
        customers = add_customers(session, 40)
    rows = random_rows(seed=8, count=600, customers=customers)
    # Outside the period: must not count.
    rows.append(ticket_row(9001, START - timedelta(seconds=1)))
    rows.append(ticket_row(9002, START + timedelta(days=30)))
    insert_tickets(rows)
    inside = rows[:-2]
    expected = expected_summary(inside)

    with sessions() as session:
        found = summary(session, NOVEMBER)

    causes = found.pop("root_causes")
    wanted_causes = expected.pop("root_causes")
    assert found.pop("filters")["since"] == "2026-11-01T00:00:00Z"
    for name, value in expected.items():
        assert close(found[name], value), (name, found[name], value)
    # Ties may come in any order among equals: compare the counts, then the pairs' counts.
    assert [c["count"] for c in causes] == [n for _pair, n in wanted_causes]
    all_causes = Counter(
        (r["category"], r["product"]) for r in inside
        if r["validity"] not in ("invalid", "malicious")
    )  # fmt: skip
    assert all(all_causes[(c["category"], c["product"])] == c["count"] for c in causes)


def test_filters_select_category_channel_and_language(sessions, insert_tickets):
    with transaction(sessions) as session:
        customers = add_customers(session, 5)
    rows = random_rows(seed=3, count=300, customers=customers)
    insert_tickets(rows)
    chosen = [r for r in rows
              if (r["category"], r["channel"], r["language"]) == ("billing", "webchat", "zh")]  # fmt: skip
    filters = Filters.days(
        date(2026, 11, 1), date(2026, 11, 30), category="billing", channel="webchat", language="zh"
    )
    with sessions() as session:
        found = summary(session, filters)
    assert found["total"] == len(chosen) > 0
    assert found["by_category"] == {"billing": len(chosen)}
    assert found["by_product"] == expected_summary(chosen)["by_product"]


def test_hand_made_set(sessions, insert_tickets):
    """Four tickets: the figures a supervisor would work out on paper."""
    day = START + timedelta(days=2, hours=9)
    insert_tickets(
        [
            # Answered after 10 and 30 minutes, resolved after 60 and 120.
            ticket_row(1, day, first_responded_at=day + timedelta(minutes=10),
                       resolved_at=day + timedelta(minutes=60), csat=5, product="kettle"),
            ticket_row(2, day, first_responded_at=day + timedelta(minutes=30),
                       resolved_at=day + timedelta(minutes=120), csat=2, reopen_count=1,
                       product="kettle"),
            ticket_row(3, day, sla_breached=True, validity="malicious", product="kettle"),
            ticket_row(4, day + timedelta(days=1), category="billing", validity="invalid"),
        ]
    )  # fmt: skip
    with sessions() as session:
        found = summary(session, NOVEMBER)
    assert found["first_response_minutes"] == {"count": 2, "median": 20.0, "p90": 28.0}
    assert found["resolution_minutes"] == {"count": 2, "median": 90.0, "p90": 114.0}
    assert found["sla"] == {"breached": 1, "compliance_pct": 75.0}
    assert found["csat"]["average"] == 3.5
    assert found["reopen"] == {"reopened": 1, "rate_pct": 25.0}
    # The malicious kettle ticket and the invalid billing one are no root cause ...
    assert found["root_causes"] == [{"category": "delivery", "product": "kettle", "count": 2}]
    # ... but they are counted on their own.
    assert found["validity"] == {"valid": 0, "invalid": 1, "malicious": 1, "unassessed": 2}
    assert found["by_day"] == {"2026-11-03": 3, "2026-11-04": 1}


def test_empty_period_has_no_figures_rather_than_errors(sessions):
    with sessions() as session:
        found = summary(session, NOVEMBER)
    assert found["total"] == 0
    assert found["sla"]["compliance_pct"] is None
    assert found["first_response_minutes"]["median"] is None
    assert found["csat"]["average"] is None


def test_timeseries_fills_empty_days_and_splits_by_a_dimension(sessions, insert_tickets):
    insert_tickets(
        [
            ticket_row(1, START + timedelta(hours=1), category="billing"),
            ticket_row(2, START + timedelta(hours=2), category="delivery"),
            ticket_row(3, START + timedelta(days=2, hours=23, minutes=59), category="billing"),
        ]
    )
    filters = Filters.days(date(2026, 11, 1), date(2026, 11, 4))
    with sessions() as session:
        total = timeseries(session, filters)
        split = timeseries(session, filters, by="category")
    assert total["days"] == ["2026-11-01", "2026-11-02", "2026-11-03", "2026-11-04"]
    assert total["series"] == {"total": [2, 0, 1, 0]}
    assert split["series"] == {"billing": [1, 0, 1, 0], "delivery": [1, 0, 0, 0]}
    with pytest.raises(ValueError), sessions() as session:
        timeseries(session, filters, by="customer_id")


def test_drill_down_lists_the_tickets_behind_a_figure(sessions, insert_tickets):
    insert_tickets(
        [
            ticket_row(1, START + timedelta(hours=1), sla_breached=True, product="fan"),
            ticket_row(2, START + timedelta(hours=2), sla_breached=True),
            ticket_row(3, START + timedelta(hours=3), contact_phone="13812345678"),
        ]
    )
    with sessions() as session:
        items, total = drill_down(session, NOVEMBER, DrillDown(sla_breached=True))
        fans, _ = drill_down(session, NOVEMBER, DrillDown(product="fan"))
        none, _ = drill_down(session, NOVEMBER, DrillDown(product="(none)"))
        page, all_count = drill_down(session, NOVEMBER, limit=1, offset=1)
    assert total == 2 and [i["id"] for i in items] == ["CP-20261101-0002", "CP-20261101-0001"]
    assert [i["id"] for i in fans] == ["CP-20261101-0001"]
    assert len(none) == 2
    assert all_count == 3 and [i["id"] for i in page] == ["CP-20261101-0002"]
    assert "contact_phone" not in page[0] and "description" not in page[0]
