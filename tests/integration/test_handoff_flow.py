"""The customer asks for a person through the real stack: the ticket is queued, the bot
falls silent (holding replies only, Rasa paused), and after hand-back the bot answers."""

from __future__ import annotations

import re
import uuid

import anyio
import httpx
import pytest
from sqlalchemy import select

from bot.conversations.models import Conversation
from bot.db import make_engine, make_session_factory
from bot.handoff.queue import DatabaseQueue
from bot.routing.handover import Handover
from bot.routing.rasa_client import RasaClient
from bot.tickets.sla import load_policy

pytestmark = pytest.mark.stack

TICKET_ID = re.compile(r"CP-\d{8}-\d{4}")


def _rasa_tracker(stack, key: str) -> dict:
    token = stack.settings.rasa_token.get_secret_value()
    response = httpx.get(
        f"{stack.settings.rasa_url}/conversations/{key}/tracker",
        params={"token": token},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_request_human_queues_silences_the_bot_and_hands_back(stack):
    sender = f"handoff-{uuid.uuid4().hex[:8]}"
    sessions = make_session_factory(make_engine(stack.settings.database_url))
    with stack.client() as client:

        def say(text: str) -> str:
            response = client.post(
                "/webhooks/rest/webhook", json={"sender": sender, "message": text}
            )
            assert response.status_code == 200, response.text
            return "\n".join(r.get("text", "") for r in response.json())

        say("my parcel is three weeks late, order JD0098812")
        answer = say("I want to talk to a real person")
        assert "passed you to a specialist" in answer, answer
        assert "No specialist is online" in answer  # nobody on duty in this test
        [ticket_id] = TICKET_ID.findall(answer)

        held = say("hello? is anyone there")
        assert "passed on to the specialist" in held and "in the queue" in held

        ticket = client.get(f"/api/tickets/{ticket_id}", headers=stack.api_headers).json()
        assert ticket["status"] == "escalated"
        assert "three weeks late" in (ticket["description"] or "")
        assert ticket_id in {item.ticket_id for item in DatabaseQueue(sessions).items()}
        with sessions() as session:
            conversation = session.scalars(
                select(Conversation).where(Conversation.sender_id == sender)
            ).one()
            assert conversation.owner == "queue"
            conversation_id = conversation.id
        assert _rasa_tracker(stack, f"rest:{sender}")["paused"] is True

        # An agent took it and gave it back (the console does this through the same Handover).
        rasa = RasaClient(
            stack.settings.rasa_urls, stack.settings.rasa_token.get_secret_value(), 30.0
        )
        handover = Handover(
            sessions=sessions,
            queue=DatabaseQueue(sessions),
            rasa=rasa,
            timezone=load_policy(stack.settings.sla_policy).timezone,
        )

        async def agent_then_back() -> None:
            await handover.assign(conversation_id, "wang")
            assert say("are you there?") == ""  # an agent owns it: the bot says nothing
            await handover.back_to_bot(conversation_id)
            await rasa.close()

        anyio.run(agent_then_back)
        assert _rasa_tracker(stack, f"rest:{sender}")["paused"] is False

        answer = say("hello")
        assert answer and "specialist" not in answer  # the bot's own greeting again
