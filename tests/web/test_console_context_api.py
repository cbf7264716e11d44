"""The console's customer context and severity changes on a real database (SQLite and
PostgreSQL), without Rasa: earlier complaints still come with the emotion marked
unavailable; severity follows the ticket API's rules, is audited with its reason and moves
a queued ticket up."""

from __future__ import annotations

from datetime import timedelta

from web.conftest import NOW

from bot.db import transaction
from bot.routing.customer_context import RASA_DOWN_NOTE
from bot.tickets.models import Ticket


def test_context_lists_the_customers_other_complaints_newest_first(client, tokens, make_ticket):
    oldest = make_ticket("cust-ctx", now=NOW - timedelta(days=200), category="billing")
    older = make_ticket("cust-ctx", now=NOW - timedelta(days=100), category="after_sales")
    current = make_ticket("cust-ctx", now=NOW)
    make_ticket("someone-else", now=NOW - timedelta(days=50))
    with transaction(client.app.state.sessions) as session:
        rated = session.get_one(Ticket, older)
        rated.status, rated.csat = "closed", 2

    answer = client.get(f"/api/console/tickets/{current}/context", headers=tokens["alice"])
    assert answer.status_code == 200, answer.text
    context = answer.json()
    assert context["ticket_id"] == current
    assert context["earlier_total"] == 2
    assert [
        (c["id"], c["category"], c["status"], c["severity"], c["csat"])
        for c in context["earlier_complaints"]
    ] == [
        (older, "after_sales", "closed", "general", 2),
        (oldest, "billing", "open", "general", None),
    ]
    assert context["earlier_complaints"][0]["created_at"] == "2026-08-14T09:30:00Z"
    # Nothing listens on the Rasa port of this app: no 500, the reason is given.
    assert context["emotion"] is None
    assert context["emotion_note"] == RASA_DOWN_NOTE


def test_context_keeps_to_ten_complaints_and_needs_a_signed_in_person(client, tokens, make_ticket):
    ids = [make_ticket("cust-many", now=NOW - timedelta(days=40 * n)) for n in range(12, 0, -1)]
    current = make_ticket("cust-many", now=NOW)
    url = f"/api/console/tickets/{current}/context"
    context = client.get(url, headers=tokens["bob"]).json()
    assert context["earlier_total"] == 12
    assert [c["id"] for c in context["earlier_complaints"]] == ids[::-1][:10]
    assert client.get(url).status_code == 401
    assert client.get(url, headers=tokens["service"]).status_code == 401
    missing = client.get("/api/console/tickets/CP-20260101-9999/context", headers=tokens["bob"])
    assert missing.status_code == 404


def test_agents_raise_severity_with_a_reason_and_the_queue_follows(client, tokens, make_ticket):
    general = make_ticket("cust-sev-1")
    waiting_major = make_ticket("cust-sev-2", category="privacy")  # major by the rules
    queue = client.app.state.queue
    queue.enqueue(waiting_major, None, "major", now=NOW)
    queue.enqueue(general, None, "general", now=NOW)
    assert [i.ticket_id for i in queue.items()] == [waiting_major, general]

    url = f"/api/tickets/{general}/severity"
    raised = client.post(url, headers=tokens["alice"],
                         json={"severity": "urgent", "reason": "the customer smells gas"})  # fmt: skip
    assert raised.status_code == 200, raised.text
    ticket = raised.json()
    assert ticket["severity"] == "urgent"
    assert ticket["first_response_due"] == "2026-11-22T09:45:00Z"  # 15 min from creation
    event = ticket["events"][-1]
    assert event["who"] == "agent:alice" and event["what"] == "field_changed"
    assert event["data"]["field"] == "severity"
    assert (event["data"]["before"], event["data"]["after"]) == ("general", "urgent")
    assert event["data"]["reason"] == "the customer smells gas"
    assert [(i.ticket_id, i.severity) for i in queue.items()] == [
        (general, "urgent"),
        (waiting_major, "major"),
    ]

    lower = {"severity": "major", "reason": "not that bad"}
    refused = client.post(url, headers=tokens["alice"], json=lower)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "lowering the severity needs a supervisor"
    same = client.post(url, headers=tokens["alice"], json={"severity": "urgent", "reason": "x"})
    assert same.status_code == 422
    for body in ({"severity": "major"}, {"severity": "major", "reason": "  "},
                 {"severity": "critical", "reason": "x"}):  # fmt: skip
        assert client.post(url, headers=tokens["sue"], json=body).status_code == 422, body

    lowered = client.post(url, headers=tokens["sue"], json=lower)
    assert lowered.status_code == 200 and lowered.json()["severity"] == "major"
    assert lowered.json()["events"][-1]["who"] == "agent:sue"
    # The queue follows down too: lowered below the major ticket, it waits behind it.
    assert queue.get(general).severity == "major"
    calmer = {"severity": "general", "reason": "a smell of cooking, no gas"}
    assert client.post(url, headers=tokens["sue"], json=calmer).status_code == 200
    assert [(i.ticket_id, i.severity) for i in queue.items()] == [
        (waiting_major, "major"),
        (general, "general"),
    ]


def test_agents_change_severity_only_on_their_own_or_unassigned_tickets(
    client, tokens, make_ticket
):
    ticket_id = make_ticket("cust-sev-3")
    with transaction(client.app.state.sessions) as session:
        session.get_one(Ticket, ticket_id).assigned_agent = "bob"
    url = f"/api/tickets/{ticket_id}/severity"
    body = {"severity": "major", "reason": "third call today"}
    assert client.post(url, headers=tokens["alice"], json=body).status_code == 403
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, headers=tokens["bob"], json=body).status_code == 200
    # Not queued: nothing to move, nothing put back in the queue.
    assert client.app.state.queue.items() == []
