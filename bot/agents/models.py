"""The agents table and their console sessions. Tokens are stored only as SHA-256 hashes,
passwords only as argon2 hashes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db import Base, UTCDateTime

ROLES = ("agent", "supervisor", "admin")


class Agent(Base):
    __tablename__ = "agents"
    __table_args__ = (CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name="role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    # Shown to customers ("专员小王") and in the console.
    display_name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16), default="agent")
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # argon2 hash for the console login; null until `complaintbot agents set-password`.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Their Telegram user id, to act from the agents' group (`agents link-telegram`).
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, unique=True, index=True)
    # The console and dashboard language they chose (bot.agents.service.LOCALES); null = not chosen.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AgentSession(Base):
    """A console sign-in: the SHA-256 of the cookie's token, valid until `expires_at`."""

    __tablename__ = "agent_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
