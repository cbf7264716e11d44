"""Practice sessions: an agent's chat with a simulated customer and its score. Apart from
tickets, conversations and analytics: practice never counts as real work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class PracticeSession(Base):
    __tablename__ = "practice_sessions"
    __table_args__ = (Index("ix_practice_sessions_agent", "agent", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agent: Mapped[str] = mapped_column(String(40))
    persona_id: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # [{"from": "customer"|"agent", "text", "at", "emotion"?}, ...]
    turns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Where the customer is on the persona's emotion curve (0: the first emotion).
    step: Mapped[int] = mapped_column(Integer, default=0)
    points: Mapped[int | None] = mapped_column(Integer)
    score: Mapped[dict[str, Any] | None] = mapped_column(JSON)
