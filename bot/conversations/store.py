"""Storing conversations and messages (every inbound message before it is answered)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.conversations.models import Conversation, InboundUpdate, Message


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


def claim_update(session: Session, *, channel: str, external_id: str, now: datetime) -> bool:
    """Records that a channel update is being processed; False if it already was (a retry or
    a duplicate), so the caller skips it. Race-safe on SQLite and PostgreSQL."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: the ORM's insert reports rowcount -1 on PostgreSQL.
    inserted = session.execute(
        module.insert(InboundUpdate)
        .values(channel=channel, external_id=external_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(InboundUpdate.external_id)
    ).first()
    return inserted is not None


def release_update(session: Session, *, channel: str, external_id: str) -> None:
    """Forgets a claimed update whose processing failed, so a retry is processed."""
    session.execute(
        delete(InboundUpdate).where(
            InboundUpdate.channel == channel, InboundUpdate.external_id == external_id
        )
    )


def conversation_language(session: Session, *, channel: str, sender_id: str) -> str | None:
    return session.execute(
        select(Conversation.language).where(
            Conversation.channel == channel, Conversation.sender_id == sender_id
        )
    ).scalar_one_or_none()
