"""GET /metrics: guarded like the API, Prometheus text, the database figures (tickets, SLA
alerts, ratings, follow-ups, the queue) on SQLite and PostgreSQL, and every metric listed in
docs/OPERATIONS.md and drawn in the Grafana dashboard. The conversation counts are in
tests/ops (stand-in Rasa) and tests/ops/test_stack_metrics.py (the real stack)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from web.conftest import NOW

from bot.db import transaction
from bot.handoff.queue import DatabaseQueue
from bot.paths import PROJECT_ROOT
from bot.sla.models import SlaAlert
from bot.tickets.audit import SYSTEM, Actor, record
from bot.tickets.models import Ticket


def _samples(text: str) -> dict[tuple[str, ...], float]:
    found: dict[tuple[str, ...], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            key = (sample.name, *(sample.labels[k] for k in sorted(sample.labels)))
            found[key] = sample.value
    return found


def test_metrics_need_the_service_token_or_a_supervisor(client, tokens):
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/metrics", headers=tokens["alice"]).status_code == 403  # an agent
    for who in ("service", "sue", "adam"):
        response = client.get("/metrics", headers=tokens[who])
        assert response.status_code == 200, who
        assert response.headers["content-type"].startswith("text/plain; version=0.0.4")


def test_database_figures(client, db, tokens, make_ticket):
    delivery = [make_ticket(f"c{n}", category="delivery") for n in range(3)]
    safety = make_ticket("s1", category="safety")
    billing = make_ticket("p1", category="billing")
    with transaction(db) as session:
        for ticket_id, severity in ((safety, "urgent"), (billing, "major")):
            found = session.get(Ticket, ticket_id)
            assert found is not None
            found.severity = severity
    queue = DatabaseQueue(db)
    queue.enqueue(safety, None, "urgent", now=NOW - timedelta(minutes=7))
    queue.enqueue(delivery[0], None, "general", now=NOW - timedelta(hours=2))
    queue.enqueue(delivery[1], None, "general", now=NOW - timedelta(minutes=30))
    with transaction(db) as session:
        for ticket_id, rating in ((delivery[0], 5), (delivery[1], 2)):
            ticket = session.get(Ticket, ticket_id)
            assert ticket is not None
            ticket.csat = rating
            record(ticket, actor=Actor("customer"), action="rated", now=NOW, data={"rating": 1})
            record(ticket, actor=SYSTEM, action="follow_up_sent", now=NOW)
        for kind, deadline in (("warning", "first_response"), ("breach", "first_response")):
            session.add(
                SlaAlert(
                    ticket_id=safety,
                    kind=kind,
                    deadline=deadline,
                    due=NOW,
                    severity="urgent",
                    category="safety",
                    created_at=NOW,
                )
            )
    metrics = _samples(client.get("/metrics", headers=tokens["service"]).text)

    assert metrics[("complaintbot_tickets_created_total", "delivery", "general")] == 3
    assert metrics[("complaintbot_tickets_created_total", "safety", "urgent")] == 1
    assert metrics[("complaintbot_tickets_created_total", "billing", "major")] == 1
    assert metrics[("complaintbot_queue_length", "urgent")] == 1
    assert metrics[("complaintbot_queue_length", "general")] == 2
    assert metrics[("complaintbot_queue_length", "major")] == 0
    # The app's clock (tests/web/conftest.py) reads NOW + 1 h.
    assert metrics[("complaintbot_queue_oldest_wait_seconds", "general")] == 3 * 3600
    assert metrics[("complaintbot_queue_oldest_wait_seconds", "urgent")] == 3600 + 7 * 60
    assert metrics[("complaintbot_queue_oldest_wait_seconds", "major")] == 0
    alerts = "complaintbot_sla_alerts_total"
    assert metrics[(alerts, "first_response", "warning", "urgent")] == 1
    assert metrics[(alerts, "first_response", "breach", "urgent")] == 1
    assert metrics[(alerts, "resolution", "breach", "general")] == 0
    assert metrics[("complaintbot_csat_answers_total",)] == 2
    assert metrics[("complaintbot_tickets_by_csat", "5")] == 1
    assert metrics[("complaintbot_tickets_by_csat", "2")] == 1
    assert metrics[("complaintbot_tickets_by_csat", "3")] == 0
    assert metrics[("complaintbot_followups_sent_total",)] == 2
    assert metrics[("complaintbot_metrics_database_ok",)] == 1
    # No Rasa and no action server behind this gateway: the scrape says so.
    assert metrics[("complaintbot_dependency_up", "rasa")] == 0
    assert metrics[("complaintbot_dependency_up", "actions")] == 0
    assert metrics[("complaintbot_dependency_up", "database")] == 1


def test_labels_hold_no_personal_data(client, tokens):
    sender = "13812345678"
    reply = client.post(
        "/webhooks/rest/webhook",
        json={"sender": sender, "message": "call me on 13812345678 or a@b.example"},
    )
    assert reply.status_code == 200
    body = client.get("/metrics", headers=tokens["service"]).text
    assert "13812345678" not in body and "a@b.example" not in body
    labels = set(re.findall(r'="([^"]*)"', body))
    assert labels <= {
        *("rest", "webchat", "telegram", "general", "major", "urgent", "other", "delivery"),
        *("bot", "handoff", "bot_unavailable", "queue", "agent", "empty"),
        *("connect", "timeout", "http", "invalid", "answered", "expired", "rasa", "actions"),
        *("database", "calm", "upset", "angry", "furious", "sender", "poll", "address"),
        *("sent", "failed", "warning", "breach", "first_response", "resolution", "console"),
        *("1", "2", "3", "4", "5"),
    } | {f"{bound}" for bound in _bucket_bounds(body)}


def _bucket_bounds(body: str) -> set[str]:
    return set(re.findall(r'le="([^"]+)"', body))


def test_every_metric_is_documented_and_on_the_dashboard(client, tokens):
    body = client.get("/metrics", headers=tokens["service"]).text
    names = set(re.findall(r"^# TYPE (\S+) ", body, flags=re.MULTILINE))
    assert len(names) >= 20
    operations = (PROJECT_ROOT / "docs" / "OPERATIONS.md").read_text(encoding="utf-8")
    dashboard = json.loads((PROJECT_ROOT / "deploy" / "grafana-dashboard.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for name in sorted(names):
        documented = name + ("_total" if f"{name}_total" in body else "")
        assert f"`{documented}`" in operations, f"{documented} is not in docs/OPERATIONS.md"
        assert name in exprs, f"{name} has no panel in deploy/grafana-dashboard.json"
    # What Grafana's import needs: a title, panels with ids and queries on a data source.
    assert dashboard["title"] and dashboard["uid"] and dashboard["schemaVersion"] >= 30
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["type"] in ("timeseries", "stat", "bargauge") and panel["targets"]
        assert panel["datasource"]["uid"] == "${DS_PROMETHEUS}"
