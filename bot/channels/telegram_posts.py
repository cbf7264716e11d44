"""The agents' Telegram group keeps one post per queued ticket: the message with the Claim
button. Agents answer the customer by replying to it, and the customer's messages are
posted as replies to it; `forwarded_through` is the last customer message already posted,
so each is posted once however many gateways run. No text is kept here: an edit of the
post is written again from the ticket (so `customer forget` needs nothing from this table).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.conversations.models import Message
from bot.db import Base, UTCDateTime

MAX_FORWARDED = 20  # per batch: a customer who wrote a lot while waiting is posted in bits


class TelegramPost(Base):
    __tablename__ = "telegram_ticket_posts"

    ticket_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    forwarded_through: Mapped[int] = mapped_column(Integer, default=0)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime())


def last_message_id(session: Session, conversation_id: int | None) -> int:
    if conversation_id is None:
        return 0
    found = session.scalar(
        select(Message.id)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(1)
    )
    return int(found or 0)


def save_post(
    session: Session,
    *,
    ticket_id: str,
    chat_id: int,
    message_id: int,
    forwarded_through: int,
    now: datetime,
) -> None:
    """Records the ticket's post (a ticket queued again gets a new one, which replaces it)."""
    post = session.get(TelegramPost, ticket_id)
    if post is None:
        post = TelegramPost(ticket_id=ticket_id)
        session.add(post)
    post.chat_id, post.message_id = chat_id, message_id
    post.forwarded_through, post.posted_at = forwarded_through, now


def post_of_ticket(session: Session, ticket_id: str) -> TelegramPost | None:
    return session.get(TelegramPost, ticket_id)


def ticket_of_post(session: Session, *, chat_id: int, message_id: int) -> str | None:
    return session.scalar(
        select(TelegramPost.ticket_id).where(
            TelegramPost.chat_id == chat_id, TelegramPost.message_id == message_id
        )
    )


def take_unforwarded(
    session: Session, post: TelegramPost, conversation_id: int
) -> tuple[int, list[Message]]:
    """Claims the customer's messages not yet posted (oldest first, at most MAX_FORWARDED):
    the cursor moves only if nobody moved it meanwhile, so two gateways never both post
    them. Returns the previous cursor (to give them back if posting fails) and the
    messages; none when another gateway took them."""
    before = post.forwarded_through
    messages = list(
        session.scalars(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == "in",
                Message.id > before,
            )
            .order_by(Message.id)
            .limit(MAX_FORWARDED)
        )
    )
    if not messages:
        return before, []
    moved = session.execute(
        update(TelegramPost)
        .where(TelegramPost.ticket_id == post.ticket_id, TelegramPost.forwarded_through == before)
        .values(forwarded_through=messages[-1].id)
    )
    if getattr(moved, "rowcount", 0) != 1:
        return before, []
    return before, messages


def give_back(session: Session, *, ticket_id: str, taken_through: int, before: int) -> None:
    """Posting failed: the messages are posted with the next batch instead."""
    session.execute(
        update(TelegramPost)
        .where(TelegramPost.ticket_id == ticket_id, TelegramPost.forwarded_through == taken_through)
        .values(forwarded_through=before)
    )
