"""Conversation and message tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class Conversation(Base):
    """One customer on one channel; `owner` says whether the bot or an agent answers."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "sender_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(8))
    owner: Mapped[str] = mapped_column(String(16), default="bot")
    assigned_agent: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    """A message in or out. Inbound ones are committed before the bot sees them."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation", "conversation_id", "id"),
        Index(
            "ix_messages_pending",
            "conversation_id",
            postgresql_where=sql_text("delivered_at IS NULL AND direction = 'out'"),
            sqlite_where=sql_text("delivered_at IS NULL AND direction = 'out'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" | "out"
    author: Mapped[str] = mapped_column(String(100))  # customer | bot | agent:<name> | system
    text: Mapped[str] = mapped_column(Text, default="")
    buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Outbound only: when the customer got it. Null = pending (REST has no push, the widget
    # may be closed); pending messages are handed over on the customer's next contact.
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class InboundUpdate(Base):
    """An update id a channel has delivered (Telegram's update_id): processed at most once,
    even when Telegram retries a webhook call or polling restarts.

    `received_at` is when processing (last) started; `completed_at` stays null until it
    finished, so an update whose process died is taken over when delivered again, and
    `message_id` (the customer's message, once stored) keeps it from being stored twice."""

    __tablename__ = "inbound_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    message_id: Mapped[int | None] = mapped_column(Integer)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
