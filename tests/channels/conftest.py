"""A gateway in this process (TestClient, lifespan on) on SQLite, without Rasa."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.conversations.models import Conversation, Message
from bot.web.app import create_app


@pytest.fixture
def gateway(offline_settings) -> Iterator[Callable[..., TestClient]]:
    """`gateway(**settings)`: a started gateway's TestClient (closed after the test)."""
    with ExitStack() as stack:

        def start(*, client_address: tuple[str, int] | None = None, **overrides) -> TestClient:
            app = create_app(offline_settings(**overrides))
            extra = {"client": client_address} if client_address else {}
            return stack.enter_context(TestClient(app, **extra))

        yield start


def _stored_texts(client: TestClient, channel: str, sender: str) -> list[str]:
    with client.app.state.sessions() as db:
        return list(
            db.scalars(
                select(Message.text)
                .join(Conversation)
                .where(
                    Conversation.channel == channel,
                    Conversation.sender_id == sender,
                    Message.direction == "in",
                )
                .order_by(Message.id)
            )
        )


@pytest.fixture
def stored_texts() -> Callable[[TestClient, str, str], list[str]]:
    """`stored_texts(client, channel, sender)`: the customer's stored messages, oldest first."""
    return _stored_texts
