"""The agent console in headless Chromium against an in-process gateway on a real database:
sign in, see a queued ticket, claim it, answer a REST customer, resolve it; judge validity
and send a refund above the agent's limit to a supervisor, who approves it in one click;
SLA alerts shown as a banner and acknowledged."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.conversations.models import Conversation
from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import transaction
from bot.paths import DEFAULT_SLA_POLICY
from bot.sla.alerts import claim_alert
from bot.sla.models import SlaAlert
from bot.tickets.models import Ticket
from bot.tickets.service import NewTicket, create_ticket
from bot.tickets.sla import load_policy

PASSWORD = "console password 1"
CUSTOMER = "rest-cust-42"


@pytest.fixture
def gateway(offline_gateway):
    return offline_gateway("console.db")


@pytest.fixture
def page(open_page, gateway) -> Page:
    tab: Page = open_page(gateway.url)
    return tab


def _person(session: Session, username: str, role: str, display_name: str, now: datetime) -> None:
    create_agent(session, username=username, role=role, display_name=display_name, now=now)
    set_password(session, username=username, password=PASSWORD)


def _complaint(session: Session, category: str, description: str, now: datetime) -> Ticket:
    new = NewTicket(channel="rest", sender_id=CUSTOMER, language="en", category=category,
                    description=description)  # fmt: skip
    return create_ticket(session, new=new, policy=load_policy(DEFAULT_SLA_POLICY), now=now)


def _queue_a_complaint(app: FastAPI) -> tuple[str, int]:
    """What the handover leaves behind: an escalated urgent ticket in the queue, the
    customer's conversation waiting for a human."""
    now = datetime.now(UTC)
    with transaction(app.state.sessions) as session:
        _person(session, "wang", "agent", "专员小王", now)
        ticket = _complaint(
            session, "safety", "<img src=x onerror=alert(1)> the kettle gave me a shock", now
        )
        ticket.status, ticket.severity = "escalated", "urgent"
        conv = get_or_create_conversation(session, channel="rest", sender_id=CUSTOMER, now=now)
        add_message(session, conversation=conv, direction="in", author="customer",
                    text="the kettle gave me a shock", now=now)  # fmt: skip
        conv.owner = "queue"
        ticket_id, conv_id = ticket.id, conv.id
    app.state.queue.enqueue(ticket_id, conv_id, "urgent", now=now)
    return ticket_id, conv_id


def test_an_agent_claims_answers_and_resolves_a_queued_complaint(page, gateway):
    ticket_id, conv_id = _queue_a_complaint(gateway.app)
    page.goto("/console")
    page.get_by_label("Username").fill("wang")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").first).to_have_text("wrong username or password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#agent-name")).to_have_text("专员小王 (agent)")

    row = page.locator("#queue li", has_text=ticket_id)
    expect(row).to_be_visible()
    expect(row.locator(".badge")).to_have_text("urgent")
    # Ticket text is shown as text, never as markup.
    expect(row.locator(".summary")).to_contain_text("<img src=x onerror=alert(1)>")
    expect(page.locator("#queue img")).to_have_count(0)

    page.get_by_role("button", name=f"Claim {ticket_id}").click()
    expect(page.locator("#queue li")).to_have_count(0)
    expect(page.locator("#transcript li.from-customer .text")).to_have_text(
        ["the kettle gave me a shock"]
    )
    expect(page.locator("#ticket-fields")).to_contain_text("in_progress")

    # A canned FEP reply, edited before sending.
    page.get_by_label("Canned reply").select_option(label="Empathy: acknowledge the feeling")
    page.get_by_role("button", name="Insert").click()
    box = page.get_by_label("Message to the customer")
    expect(box).to_have_value(
        "I am truly sorry this happened. I understand how frustrating it is, and I will "
        "stay with it until it is sorted out."
    )
    box.fill("I am so sorry. Please unplug the kettle; I am arranging a refund now.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#transcript li.from-agent .text")).to_have_text(
        ["I am so sorry. Please unplug the kettle; I am arranging a refund now."]
    )

    pending = httpx.get(f"{gateway.url}/webhooks/rest/messages", params={"sender": CUSTOMER})
    assert pending.json() == [
        {
            "recipient_id": CUSTOMER,
            "text": "I am so sorry. Please unplug the kettle; I am arranging a refund now.",
            "custom": {"author": "agent", "display_name": "专员小王"},
        }
    ]
    # The customer answers over REST; the bot stays silent and the console shows it live.
    answer = httpx.post(f"{gateway.url}/webhooks/rest/webhook",
                        json={"sender": CUSTOMER, "message": "thank you, unplugged"})  # fmt: skip
    assert answer.json() == []
    expect(page.locator("#transcript li.from-customer .text")).to_have_text(
        ["the kettle gave me a shock", "thank you, unplugged"]
    )

    page.get_by_label("Resolution note").fill("Refund of 199 CNY issued; kettle recalled.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#ticket-status")).to_contain_text("Resolved")
    with gateway.app.state.sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.status == "resolved"
        assert ticket.resolution_note == "Refund of 199 CNY issued; kettle recalled."
        assert ticket.assigned_agent == "wang"
        conv = session.get(Conversation, conv_id)
        assert (conv.owner, conv.assigned_agent) == ("bot", None)


def _ticket_for(app: FastAPI, agent: str) -> str:
    """A ticket the agent works on, and a supervisor signed up to approve remedies."""
    now = datetime.now(UTC)
    with transaction(app.state.sessions) as session:
        _person(session, agent, "agent", "专员小王", now)
        _person(session, "lead", "supervisor", "组长", now)
        ticket = _complaint(session, "product_quality", "the kettle leaks", now)
        ticket.status, ticket.assigned_agent = "in_progress", agent
        return ticket.id


def _sign_in(page: Page, username: str) -> None:
    page.goto("/console")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#desk")).to_be_visible()


def test_an_above_limit_refund_is_sent_for_approval_and_approved_in_one_click(
    page, open_page, gateway
):
    ticket_id = _ticket_for(gateway.app, "wang")
    _sign_in(page, "wang")
    expect(page.locator("#approvals-box")).to_be_hidden()  # agents do not approve
    page.get_by_role("button", name=f"Open {ticket_id}").click()
    expect(page.locator("#remedy-state")).to_have_text("No remedy yet.")

    page.get_by_label("Validity", exact=True).select_option("valid")
    page.get_by_label("Reason for the validity").fill("leak confirmed on the customer's photo")
    page.get_by_role("button", name="Mark validity").click()
    expect(page.locator("#ticket-status")).to_have_text("Marked valid.")
    expect(page.locator("#ticket-fields")).to_contain_text("valid")

    # Agents raise severity (with a reason), never lower it: lower levels are not offered.
    page.get_by_label("Severity", exact=True).select_option("major")
    page.get_by_label("Reason for the severity").fill("the leak reached a power socket")
    page.get_by_role("button", name="Change severity").click()
    expect(page.locator("#ticket-status")).to_contain_text("Severity is now major")
    expect(page.locator("#ticket-fields .badge")).to_have_text("major")
    expect(page.locator("#severity option[value=general]")).to_be_disabled()

    page.get_by_label("Remedy type").select_option("refund")
    expect(page.locator("#remedy-limit")).to_contain_text("You grant up to 200.00 CNY")
    page.get_by_label("Amount").fill("500")
    page.get_by_label("Currency").select_option("CNY")
    page.get_by_label("Remedy note").fill("full price of the kettle")
    page.get_by_role("button", name="Grant remedy").click()
    expect(page.locator("#ticket-status")).to_have_text(
        "Sent for approval: refund 500.00 CNY (the agent limit for a refund is 200.00 CNY)."
    )
    expect(page.locator("#remedy-state")).to_contain_text("Sent for approval: refund 500.00 CNY")
    expect(page.locator("#remedy-form")).to_be_hidden()

    lead = open_page(gateway.url)
    _sign_in(lead, "lead")
    row = lead.locator("#approvals li", has_text=ticket_id)
    expect(row).to_contain_text("refund 500.00 CNY")
    expect(row).to_contain_text("asked by wang")
    expect(row).to_contain_text("full price of the kettle")
    request_id = row.get_attribute("data-request")
    lead.get_by_role("button", name=f"Approve request #{request_id}").click()
    expect(lead.locator("#approvals-status")).to_have_text(
        f"Approved: refund 500.00 CNY on {ticket_id}."
    )
    expect(lead.locator("#approvals li")).to_have_count(0)

    with gateway.app.state.sessions() as session:
        ticket = session.get(Ticket, ticket_id)
        assert ticket.validity == "valid"
        assert ticket.remedy is not None
        assert {k: ticket.remedy[k] for k in ("type", "amount", "currency", "granted_by",
                                               "approved_by")} == {
            "type": "refund", "amount": 500.0, "currency": "CNY", "granted_by": "wang",
            "approved_by": "lead",
        }  # fmt: skip
        assert [e.action for e in ticket.events][-4:] == [
            "field_changed", "field_changed", "remedy_requested", "remedy_approved"
        ]  # fmt: skip
        assert ticket.events[-3].data["field"] == "severity"
        assert ticket.events[-3].data["reason"] == "the leak reached a power socket"
    # The agent sees the outcome when the ticket is shown again.
    page.get_by_role("button", name=f"Open {ticket_id}").click()
    expect(page.locator("#remedy-state")).to_have_text(
        "Granted: refund 500.00 CNY by wang, approved by lead"
    )


def test_unacknowledged_sla_alerts_show_as_a_banner_with_ack(page, gateway):
    now = datetime.now(UTC)
    with transaction(gateway.app.state.sessions) as session:
        _person(session, "li", "agent", "Li", now)
        late = _complaint(session, "delivery", "parcel lost", now)
        soon = _complaint(session, "billing", "charged twice", now)
        for ticket, kind in ((late, "breach"), (soon, "warning")):
            claim_alert(session, key=(ticket.id, kind, "first_response", now), severity="general",
                        category=ticket.category, targets=[], now=now)  # fmt: skip
        late_id, soon_id = late.id, soon.id
    page.goto("/console")
    page.get_by_label("Username").fill("li")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    banner = page.locator("#alerts-box")
    expect(banner).to_be_visible()
    expect(page.locator("#alerts-count")).to_have_text("(2)")
    expect(banner.locator("li.breach")).to_contain_text(late_id)
    expect(banner.locator("li.breach .alert-text")).to_contain_text(
        "missed its first response deadline"
    )
    expect(banner.locator("li.warning")).to_contain_text(soon_id)

    page.get_by_role("button", name=f"Acknowledge the breach on {late_id}").click()
    expect(banner.locator("li")).to_have_count(1)
    expect(page.locator("#alerts-count")).to_have_text("(1)")
    with gateway.app.state.sessions() as session:
        [acked] = session.scalars(select(SlaAlert).where(SlaAlert.ticket_id == late_id)).all()
        assert acked.acknowledged_by == "agent:li"

    page.get_by_role("button", name=f"Open {soon_id}").click()
    expect(page.locator("#ticket-fields")).to_contain_text("charged twice")
    # The same customer's other complaint beside it; no Rasa here, and the pane says so.
    expect(page.locator("#earlier li")).to_have_count(1)
    expect(page.locator("#earlier li")).to_contain_text(late_id)
    expect(page.locator("#earlier li")).to_contain_text("delivery · open · not rated")
    expect(page.locator("#emotion-note")).to_have_text(
        "The bot (Rasa) is not reachable: the emotion history is not available now."
    )
    page.get_by_role("button", name=f"Acknowledge the warning on {soon_id}").click()
    expect(banner).to_be_hidden()


def test_a_presence_change_the_gateway_refuses_is_undone_on_screen(page, gateway):
    """The picker shows what the gateway has: a refused change is put back and said, and no
    script error is left behind (the open_page fixture fails the test on one)."""
    with transaction(gateway.app.state.sessions) as session:
        _person(session, "li", "agent", "Li", datetime.now(UTC))
    _sign_in(page, "li")
    picker = page.get_by_label("Presence")
    with page.expect_response("**/api/console/presence") as saved:
        picker.select_option("on_duty")
    assert saved.value.ok

    page.route(
        "**/api/console/presence",
        lambda route: route.fulfill(status=503, json={"detail": "the gateway is restarting"}),
    )
    with page.expect_response("**/api/console/presence") as refused:
        picker.select_option("away")
    assert refused.value.status == 503
    expect(picker).to_have_value("on_duty")
    expect(page.locator("#chat-error")).to_have_text("the gateway is restarting")
