"""Handoff tables: the waiting queue, the log of claims and agent presence.

The database is the source of truth for all three; a Redis queue is only an index of them
that `RedisQueue.rebuild()` restores.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class QueueEntry(Base):
    """A ticket waiting for a human. The row is deleted when an agent claims it."""

    __tablename__ = "handoff_queue"
    __table_args__ = (
        CheckConstraint("severity IN ('general', 'major', 'urgent')", name="severity"),
        CheckConstraint("boost >= 0", name="boost"),
    )

    ticket_id: Mapped[str] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    severity: Mapped[str] = mapped_column(String(16))
    boost: Mapped[int] = mapped_column(Integer, default=0)
    # Null: any agent may take it.
    team: Mapped[str | None] = mapped_column(String(40))
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime())


class QueueClaim(Base):
    """Who took which ticket off the queue and when: the history behind wait estimates."""

    __tablename__ = "handoff_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    agent: Mapped[str] = mapped_column(String(100))
    enqueued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AgentPresence(Base):
    """An agent's duty status; on duty only while heartbeats keep `last_seen` fresh."""

    __tablename__ = "agent_presence"
    __table_args__ = (CheckConstraint("status IN ('on_duty', 'away')", name="status"),)

    agent: Mapped[str] = mapped_column(String(100), primary_key=True)
    status: Mapped[str] = mapped_column(String(8))
    # Teams whose items the agent takes; null: every team.
    teams: Mapped[list[str] | None] = mapped_column(JSON)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime())
