"""Storing conversations and messages (every inbound message before it is answered)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, select, update
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


def _new_message(
    conversation_id: int,
    direction: str,
    author: str,
    text: str,
    buttons: list[dict[str, Any]] | None,
    now: datetime,
    delivered: bool,
) -> Message:
    return Message(
        conversation_id=conversation_id,
        direction=direction,
        author=author,
        text=text,
        buttons=buttons or None,
        created_at=now,
        delivered_at=now if delivered else None,
    )


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
    message = _new_message(conversation.id, direction, author, text, buttons, now, delivered)
    session.add(message)
    conversation.last_message_at = now
    session.flush()
    return message


def add_messages(
    session: Session,
    *,
    conversation_id: int,
    direction: str,
    messages: list[tuple[str, str, list[dict[str, Any]] | None]],
    now: datetime,
    delivered: bool = False,
) -> None:
    """Several messages (author, text, buttons) at once, with one flush at commit: the bot's
    replies of a turn. add_message is for one message whose id is needed at once."""
    session.add_all(
        _new_message(conversation_id, direction, author, text, buttons, now, delivered)
        for author, text, buttons in messages
    )
    session.execute(
        update(Conversation).where(Conversation.id == conversation_id).values(last_message_at=now)
    )


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


UpdateState = Literal["new", "resumed", "done", "busy"]
# An unfinished update older than this is taken over when delivered again (see take_update).
DEFAULT_UPDATE_LEASE = timedelta(seconds=60)
_RELEASED = datetime(1970, 1, 1, tzinfo=UTC)


def _key(channel: str, external_id: str) -> ColumnElement[bool]:
    return and_(InboundUpdate.channel == channel, InboundUpdate.external_id == external_id)


def take_update(
    session: Session,
    *,
    channel: str,
    external_id: str,
    now: datetime,
    lease: timedelta = DEFAULT_UPDATE_LEASE,
) -> UpdateState:
    """Starts processing a channel update, at most once. Race-safe on SQLite and PostgreSQL.

    "new": first delivery. "resumed": an earlier attempt started more than `lease` ago and
    never completed (its process died, or it failed and was released): process it again;
    the message it stored, if any, is not stored twice (see inbound_message_id). "done": it
    was processed; skip it. "busy": another attempt may still be at work; try later.
    """
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # RETURNING, not rowcount: the ORM's insert reports rowcount -1 on PostgreSQL.
    inserted = session.execute(
        module.insert(InboundUpdate)
        .values(channel=channel, external_id=external_id, received_at=now)
        .on_conflict_do_nothing(index_elements=["channel", "external_id"])
        .returning(InboundUpdate.external_id)
    ).first()
    if inserted is not None:
        return "new"
    # Conditional: of two redeliveries taking over at once, one changes the row.
    taken_over = session.execute(
        update(InboundUpdate)
        .where(
            _key(channel, external_id),
            InboundUpdate.completed_at.is_(None),
            InboundUpdate.received_at < now - lease,
        )
        .values(received_at=now)
        .returning(InboundUpdate.external_id)
    ).first()
    if taken_over is not None:
        return "resumed"
    completed = session.execute(
        select(InboundUpdate.completed_at).where(_key(channel, external_id))
    ).scalar_one_or_none()
    return "done" if completed is not None else "busy"


def claim_update(
    session: Session,
    *,
    channel: str,
    external_id: str,
    now: datetime,
    lease: timedelta = DEFAULT_UPDATE_LEASE,
) -> bool:
    """take_update as a yes/no: True when the caller should process the update."""
    state = take_update(session, channel=channel, external_id=external_id, now=now, lease=lease)
    return state in ("new", "resumed")


def complete_update(session: Session, *, channel: str, external_id: str, now: datetime) -> None:
    """The update was processed: a later delivery of it is skipped."""
    session.execute(
        update(InboundUpdate).where(_key(channel, external_id)).values(completed_at=now)
    )


def release_update(session: Session, *, channel: str, external_id: str) -> None:
    """A claimed update whose processing failed: the next delivery processes it again at
    once (its stored message, if any, stays linked and is not stored twice)."""
    session.execute(
        update(InboundUpdate)
        .where(_key(channel, external_id), InboundUpdate.completed_at.is_(None))
        .values(received_at=_RELEASED)
    )


def inbound_message_id(session: Session, *, channel: str, external_id: str) -> int | None:
    """The message an update's earlier attempt stored, if it got that far."""
    return session.execute(
        select(InboundUpdate.message_id).where(_key(channel, external_id))
    ).scalar_one_or_none()


def link_inbound_message(
    session: Session, *, channel: str, external_id: str, message_id: int
) -> None:
    """Records the message an update brought (in the transaction that stores it)."""
    session.execute(
        update(InboundUpdate).where(_key(channel, external_id)).values(message_id=message_id)
    )


def conversation_language(session: Session, *, channel: str, sender_id: str) -> str | None:
    return session.execute(
        select(Conversation.language).where(
            Conversation.channel == channel, Conversation.sender_id == sender_id
        )
    ).scalar_one_or_none()
