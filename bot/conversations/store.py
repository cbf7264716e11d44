"""Storing conversations and messages (every inbound message before it is answered)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, Message


def get_or_create_conversation(
    session: Session, *, channel: str, sender_id: str, now: datetime
) -> Conversation:
    """The conversation of (channel, sender), created on first contact (race-safe)."""
    found = session.execute(
        select(Conversation).where(
            Conversation.channel == channel, Conversation.sender_id == sender_id
        )
    ).scalar_one_or_none()
    if found is not None:
        return found
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(
        module.insert(Conversation)
        .values(
            channel=channel,
            sender_id=sender_id,
            owner="bot",
            created_at=now,
            last_message_at=now,
        )
        .on_conflict_do_nothing(index_elements=["channel", "sender_id"])
    )
    return session.execute(
        select(Conversation).where(
            Conversation.channel == channel, Conversation.sender_id == sender_id
        )
    ).scalar_one()


def add_message(
    session: Session,
    *,
    conversation: Conversation,
    direction: str,
    author: str,
    text: str,
    now: datetime,
    buttons: list[dict[str, Any]] | None = None,
    delivered: bool = False,
) -> Message:
    message = Message(
        conversation_id=conversation.id,
        direction=direction,
        author=author,
        text=text,
        buttons=buttons or None,
        created_at=now,
        delivered_at=now if delivered else None,
    )
    session.add(message)
    conversation.last_message_at = now
    session.flush()
    return message


def transcript(
    session: Session, *, channel: str, sender_id: str, limit: int = 200
) -> list[Message]:
    """The last `limit` messages of a conversation, oldest first."""
    rows = session.execute(
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.channel == channel, Conversation.sender_id == sender_id)
        .order_by(Message.id.desc())
        .limit(limit)
    ).scalars()
    return list(reversed(list(rows)))
