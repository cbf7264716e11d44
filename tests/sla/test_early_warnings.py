"""Early warnings through the SLA monitor: raised once, delivered once to the webhook,
listed and acknowledged like SLA alerts (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from analytics.conftest import ticket_row
from sqlalchemy import insert, select

from bot.analytics.warnings import EarlyWarnings
from bot.db import transaction
from bot.sla.alerts import list_alerts
from bot.sla.models import SlaAlert
from bot.tickets.models import Ticket

from .conftest import NOW


async def test_a_spike_is_alerted_once_through_the_alert_channels(open_monitor, sessions, webhook):
    # Eight complaints about one kettle this morning, none in the four weeks before.
    morning = NOW.replace(hour=8)
    rows = [ticket_row(i, morning + timedelta(minutes=i), product="kettle K2",
                       category="product_quality", severity="major") for i in range(1, 9)]  # fmt: skip
    with transaction(sessions) as session:
        session.execute(insert(Ticket), rows)
    monitor = open_monitor(early_warnings=EarlyWarnings(sessions))

    first = await monitor.tick(NOW)
    subjects = sorted(alert.subject or "" for alert in first.early_warnings)
    assert subjects == ["category:product_quality", "product:kettle K2"]
    assert first.sent == 2
    bodies = sorted(webhook.delivered, key=lambda body: body["subject"])
    assert bodies[1] == {
        "alert_id": bodies[1]["alert_id"],
        "ticket_id": None,
        "kind": "spike",
        "subject": "product:kettle K2",
        "day": "2026-11-22",
        "detail": {
            "kind": "spike",
            "dimension": "product",
            "name": "kettle K2",
            "subject": "product:kettle K2",
            "day": "2026-11-22",
            "window_days": 1,
            "count": 8,
            "expected": 0.1,
            "p_value": bodies[1]["detail"]["p_value"],
        },
        "link": "/dashboard#warnings",
        "raised_at": "2026-11-22T09:30:00Z",
    }
    assert bodies[1]["detail"]["p_value"] < 1e-9

    # The next ticks find the same spike and raise nothing more; nothing is sent again.
    again = await monitor.tick(NOW + timedelta(minutes=5))
    assert (again.early_warnings, again.sent) == ([], 0)
    assert len(webhook.requests) == 2
    with sessions() as session:
        items, total = list_alerts(session, kind="spike")
        assert total == 2 and all(alert.ticket_id is None for alert in items)
        assert session.execute(select(SlaAlert.kind)).scalars().all() == ["spike", "spike"]
