"""The agent console in headless Chromium against the real stack (Rasa, actions, gateway as
subprocesses): a REST customer complains and asks for a person, the agent claims the ticket
from the queue, sees the emotion strip and the transcript, writes to the customer, resolves;
the bot then asks the customer for a rating and answers their next message itself."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect

from bot.agents.passwords import set_password
from bot.agents.service import create_agent
from bot.clock import utcnow
from bot.db import make_engine, make_session_factory, transaction

pytestmark = pytest.mark.stack

PASSWORD = "stack console password"
TICKET_ID = re.compile(r"CP-\d{8}-\d{4}")
LEVELS = ("calm", "upset", "angry", "furious")
HOLDING = "passed on to the specialist"


@pytest.fixture
def agent(stack) -> Iterator[str]:
    """A fresh agent with a console password, written to the stack's own database."""
    engine = make_engine(stack.settings.database_url)
    username = f"desk-{uuid.uuid4().hex[:8]}"
    with transaction(make_session_factory(engine)) as session:
        create_agent(session, username=username, role="agent", display_name="Agent Lin",
                     now=utcnow())  # fmt: skip
        set_password(session, username=username, password=PASSWORD)
    engine.dispose()
    yield username


@pytest.fixture
def page(open_page, stack) -> Page:
    tab: Page = open_page(stack.base_url, timeout_ms=20_000)  # Rasa turns take a moment
    return tab


def _say(client: httpx.Client, sender: str, text: str) -> str:
    response = client.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    assert response.status_code == 200, response.text
    return "\n".join(r.get("text", "") for r in response.json())


def _wait_for_messages(client: httpx.Client, sender: str, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = client.get("/webhooks/rest/messages", params={"sender": sender}).json()
        if got:
            return got
        time.sleep(0.3)
    raise AssertionError(f"nothing arrived for {sender} in {timeout}s")


def test_an_agent_works_a_real_handoff_from_the_console(stack, agent, page):
    sender = f"console-{uuid.uuid4().hex[:8]}"
    started = time.monotonic()
    with stack.client() as client:
        _say(client, sender, "my parcel is three weeks late, order JD0098812")
        answer = _say(client, sender, "I want to talk to a real person")
        assert "passed you to a specialist" in answer, answer
        [ticket_id] = TICKET_ID.findall(answer)

        page.goto("/console")
        page.get_by_label("Username").fill(agent)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator("#agent-name")).to_have_text("Agent Lin (agent)")
        expect(page.locator("#queue li", has_text=ticket_id)).to_be_visible()
        page.get_by_role("button", name=f"Claim {ticket_id}").click()

        expect(page.locator("#transcript li.from-customer .text")).to_have_text(
            ["my parcel is three weeks late, order JD0098812", "I want to talk to a real person"]
        )
        # One point per message the bot parsed, each labelled with its level in words.
        strip = page.locator("#emotion-strip li")
        expect(strip).to_have_count(2)
        assert set(strip.all_text_contents()) <= set(LEVELS)
        expect(strip.first).to_have_attribute(
            "aria-label", re.compile(r"^Message 1: .*my parcel is three weeks late")
        )
        expect(page.locator("#emotion-note")).to_contain_text("2 messages")
        expect(page.locator("#earlier li")).to_have_text(["None: this is the first complaint."])

        page.get_by_label("Message to the customer").fill(
            "Hello, I am Lin. I have asked the courier to deliver JD0098812 tomorrow."
        )
        page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#transcript li.from-agent .text")).to_have_text(
            ["Hello, I am Lin. I have asked the courier to deliver JD0098812 tomorrow."]
        )
        [received] = _wait_for_messages(client, sender)
        assert received["text"] == (
            "Hello, I am Lin. I have asked the courier to deliver JD0098812 tomorrow."
        )
        assert received["custom"] == {"author": "agent", "display_name": "Agent Lin"}

        page.get_by_label("Resolution note").fill("Courier re-dispatched the parcel for tomorrow")
        page.get_by_role("button", name="Resolve").click()
        expect(page.locator("#ticket-status")).to_contain_text("Resolved")

        follow_up = _wait_for_messages(client, sender)
        texts = "\n".join(m.get("text", "") for m in follow_up)
        assert ticket_id in texts and "re-dispatched" in texts, follow_up
        assert any(m.get("buttons") for m in follow_up)  # the 1-5 rating buttons

        reply = _say(client, sender, "very satisfied, 5 stars, thank you")
        assert reply and HOLDING not in reply and "Lin" not in reply, reply
        assert "closed" in reply, reply
        ticket = client.get(f"/api/tickets/{ticket_id}", headers=stack.api_headers).json()
    assert (ticket["status"], ticket["csat"], ticket["assigned_agent"]) == ("closed", 5, agent)
    assert time.monotonic() - started < 60
