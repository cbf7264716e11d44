"""The analytics API on SQLite and PostgreSQL: roles, figures, CSV equal to the JSON,
drill-down, early warnings and improvement actions with their before/after rates."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from analytics.conftest import ticket_row
from sqlalchemy import insert
from web.conftest import NOW

from bot.db import transaction
from bot.tickets.models import Ticket

NOVEMBER = {"since": "2026-11-01", "until": "2026-11-30"}


def add(db, rows) -> None:
    with transaction(db) as session:
        session.execute(insert(Ticket), rows)


def test_roles(client, tokens):
    assert client.get("/api/analytics/summary").status_code == 401
    assert client.get("/api/analytics/summary", headers=tokens["alice"]).status_code == 403
    assert client.get("/api/improvements", headers=tokens["alice"]).status_code == 403
    for who in ("sue", "adam", "service"):
        assert client.get("/api/analytics/summary", headers=tokens[who]).status_code == 200


def test_summary_csv_matches_json_and_filters_apply(client, tokens, db):
    day = datetime(2026, 11, 3, 9, tzinfo=UTC)
    add(db, [
        ticket_row(1, day, category="billing", channel="webchat", csat=4, product="kettle",
                   first_responded_at=day + timedelta(minutes=10)),
        ticket_row(2, day, category="billing", channel="rest", csat=2, sla_breached=True),
        ticket_row(3, day, category="delivery", language="zh", validity="malicious"),
    ])  # fmt: skip
    sue = tokens["sue"]
    found = client.get("/api/analytics/summary", params=NOVEMBER, headers=sue).json()
    assert found["total"] == 3
    assert found["by_category"] == {"billing": 2, "delivery": 1}
    assert found["validity"]["malicious"] == 1
    assert found["sla"] == {"breached": 1, "compliance_pct": 66.67}

    response = client.get("/api/analytics/summary", params={**NOVEMBER, "format": "csv"},
                          headers=sue)  # fmt: skip
    assert response.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(response.text)))
    assert table[0] == ["figure", "key", "value"]
    shown = {(figure, key): value for figure, key, value in table[1:]}
    for figure in ("by_category", "by_channel", "by_language", "by_product", "by_day"):
        for key, count in found[figure].items():
            assert shown[(figure, key)] == str(count)
    assert shown[("sla", "compliance_pct")] == "66.67"
    assert shown[("csat", "distribution.4")] == "1"
    assert shown[("first_response_minutes", "median")] == "10.0"
    assert shown[("root_causes", "billing × kettle")] == "1"
    assert ("root_causes", "delivery × (none)") not in shown  # malicious: no root cause

    only = client.get("/api/analytics/summary",
                      params={**NOVEMBER, "category": "billing", "channel": "webchat"},
                      headers=sue).json()  # fmt: skip
    assert only["total"] == 1
    bad = client.get("/api/analytics/summary", params={"since": "2026-11-05",
                     "until": "2026-11-01"}, headers=sue)  # fmt: skip
    assert bad.status_code == 422
    assert client.get("/api/analytics/summary", params={"category": "nope"},
                      headers=sue).status_code == 422  # fmt: skip


def test_default_range_is_the_last_30_days(client, tokens, db):
    today = NOW  # the app's clock is NOW + 1 h
    add(db, [ticket_row(1, today - timedelta(days=29)), ticket_row(2, today - timedelta(days=31))])
    found = client.get("/api/analytics/summary", headers=tokens["service"]).json()
    assert found["total"] == 1
    assert found["filters"]["since"] == "2026-10-24T00:00:00Z"


def test_timeseries_drill_down_and_their_csv(client, tokens, db):
    day = datetime(2026, 11, 3, 9, tzinfo=UTC)
    add(db, [ticket_row(1, day, product="fan", sla_breached=True),
             ticket_row(2, day + timedelta(days=1), product="fan"),
             ticket_row(3, day, contact_phone="13812345678")])  # fmt: skip
    sue = tokens["sue"]
    params = {"since": "2026-11-02", "until": "2026-11-04", "by": "product"}
    series = client.get("/api/analytics/timeseries", params=params, headers=sue).json()
    assert series["series"] == {"fan": [0, 1, 1], "(none)": [0, 1, 0]}
    rows = client.get("/api/analytics/timeseries", params={**params, "format": "csv"},
                      headers=sue).text.splitlines()  # fmt: skip
    assert rows == ["day,fan,(none)", "2026-11-02,0,0", "2026-11-03,1,1", "2026-11-04,1,0"]

    drill = {**NOVEMBER, "product": "fan"}
    page = client.get("/api/analytics/tickets", params=drill, headers=sue).json()
    assert page["total"] == 2
    assert [t["id"] for t in page["items"]] == ["CP-20261104-0002", "CP-20261103-0001"]
    breached = client.get("/api/analytics/tickets", params={**NOVEMBER, "sla_breached": True},
                          headers=sue).json()  # fmt: skip
    assert [t["id"] for t in breached["items"]] == ["CP-20261103-0001"]
    exported = client.get("/api/analytics/tickets", params={**NOVEMBER, "format": "csv"},
                          headers=sue).text  # fmt: skip
    table = list(csv.DictReader(io.StringIO(exported)))
    assert sorted(r["id"] for r in table) == ["CP-20261103-0001", "CP-20261103-0003",
                                              "CP-20261104-0002"]  # fmt: skip
    assert "13812345678" not in exported


def test_warnings_endpoint_shows_a_spike(client, tokens, db):
    day = datetime(2026, 11, 20, 10, tzinfo=UTC)
    add(db, [ticket_row(i, day, product="heater H9", category="safety") for i in range(1, 8)])
    found = client.get("/api/analytics/warnings", params={"since": "2026-11-18",
                       "until": "2026-11-21"}, headers=tokens["sue"]).json()  # fmt: skip
    spikes = {(w["kind"], w["subject"], w["day"], w["count"]) for w in found["items"]}
    assert spikes == {("spike", "product:heater H9", "2026-11-20", 7),
                      ("spike", "category:safety", "2026-11-20", 7)}  # fmt: skip


def test_improvement_actions_and_their_effect(client, tokens, db):
    start = datetime(2026, 10, 1, 10, tzinfo=UTC)
    # 2 kettle quality complaints a day for 28 days before 29 October, 1 every other day
    # after; other complaints meanwhile (not the cause) and invalid ones (never counted).
    rows, n = [], 0
    for d in range(28):
        for _ in range(2):
            n += 1
            rows.append(ticket_row(n, start + timedelta(days=d), category="product_quality",
                                   product="kettle"))  # fmt: skip
        n += 1
        rows.append(ticket_row(n, start + timedelta(days=d), category="delivery"))
    for d in range(0, 28, 2):
        n += 1
        rows.append(ticket_row(n, start + timedelta(days=28 + d), category="product_quality",
                               product="kettle"))  # fmt: skip
        n += 1
        rows.append(ticket_row(n, start + timedelta(days=28 + d), category="product_quality",
                               product="kettle", validity="invalid"))  # fmt: skip
    add(db, rows)

    sue = tokens["sue"]
    body = {"category": "product_quality", "product": "kettle", "title": "new thermostat",
            "owner": "QA team", "due_on": "2026-11-30", "started_on": "2026-10-29"}  # fmt: skip
    assert client.post("/api/improvements", json=body, headers=tokens["alice"]).status_code == 403
    created = client.post("/api/improvements", json=body, headers=sue)
    assert created.status_code == 201
    action = created.json()
    assert (action["status"], action["created_by"]) == ("planned", "agent:sue")
    effect = action["effect"]
    assert effect["before"] == {"from": "2026-10-01", "days": 28, "complaints": 56,
                                "per_day": 2.0, "share_pct": 66.67}  # fmt: skip
    assert effect["after"] == {"from": "2026-10-29", "days": 25, "complaints": 13,
                               "per_day": 0.52, "share_pct": 100.0}  # fmt: skip
    assert effect["change_pct"] == -74.0

    changed = client.patch(f"/api/improvements/{action['id']}", json={"status": "done"},
                           headers=sue)  # fmt: skip
    assert changed.json()["status"] == "done"
    assert client.patch(f"/api/improvements/{action['id']}", json={"status": "nope"},
                        headers=sue).status_code == 422  # fmt: skip
    assert client.patch(f"/api/improvements/{action['id']}", json={"title": None},
                        headers=sue).status_code == 422  # fmt: skip
    whole = client.post("/api/improvements", headers=sue,
                        json={**body, "product": None, "title": "training"}).json()  # fmt: skip
    assert whole["effect"]["before"]["complaints"] == 56  # every product of the category
    listed = client.get("/api/improvements", params={"status": "done"}, headers=sue).json()
    assert [a["id"] for a in listed["items"]] == [action["id"]]
    assert client.get(f"/api/improvements/{action['id']}", headers=sue).status_code == 200
    assert client.delete(f"/api/improvements/{action['id']}", headers=sue).status_code == 204
    assert client.get(f"/api/improvements/{action['id']}", headers=sue).status_code == 404
