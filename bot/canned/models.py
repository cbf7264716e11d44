"""Every version of a language's canned replies a supervisor saved: the newest is in use,
the older ones are the audit trail (who changed what, when)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime


class CannedReplyVersion(Base):
    __tablename__ = "canned_reply_versions"
    __table_args__ = (Index("ix_canned_reply_versions_language", "language", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    language: Mapped[str] = mapped_column(String(8))
    # The whole set after the change: [{"id", "part", "title", "text"}, ...].
    replies: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    # Audit name of who saved it ("agent:<username>").
    changed_by: Mapped[str] = mapped_column(String(100))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
