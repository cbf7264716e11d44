"""Ticket tables. JSON field names of the public record are fixed by DESIGN §6."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime

STATUSES = ("open", "escalated", "in_progress", "resolved", "closed", "reopened", "withdrawn")
SEVERITIES = ("general", "major", "urgent")
MOTIVES = ("suggestion", "venting", "resolution", "compensation")
CATEGORIES = (
    "product_quality",
    "service_attitude",
    "delivery",
    "billing",
    "after_sales",
    "safety",
    "privacy",
    "suggestion",
    "other",
)
CHANNELS = ("telegram", "webchat", "rest")
EMOTION_LEVELS = ("calm", "upset", "angry", "furious")
VALIDITIES = ("valid", "invalid", "malicious")
REMEDY_REQUEST_STATUSES = ("pending", "approved", "declined")


class TicketCounter(Base):
    """Last ticket sequence number handed out per UTC day (CP-YYYYMMDD-NNNN)."""

    __tablename__ = "ticket_counters"

    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_sender", "channel", "sender_id", "created_at"),
        Index("ix_tickets_status_severity", "status", "severity"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_customer_id", "customer_id"),
        Index("ix_tickets_assigned_agent", "assigned_agent", "status"),
        # Analytics: daily counts per category and per product (early warnings, root causes).
        Index("ix_tickets_category_created", "category", "created_at"),
        Index("ix_tickets_product_created", "product", "created_at"),
        # Per-team queues (teams.yml): a team's open tickets.
        Index("ix_tickets_team_status", "team", "status"),
    )

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    category: Mapped[str] = mapped_column(String(32), default="other")
    severity: Mapped[str] = mapped_column(String(16), default="general")
    motive: Mapped[str | None] = mapped_column(String(16))
    emotion_peak: Mapped[str | None] = mapped_column(String(16))
    description: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[str | None] = mapped_column(String(40))
    product: Mapped[str | None] = mapped_column(String(200))
    desired_resolution: Mapped[str | None] = mapped_column(String(32))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    assigned_agent: Mapped[str | None] = mapped_column(String(100))
    resolution_note: Mapped[str | None] = mapped_column(Text)
    csat: Mapped[int | None] = mapped_column(Integer)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_response_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_due: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sla_breached: Mapped[bool] = mapped_column(Boolean, default=False)
    validity: Mapped[str | None] = mapped_column(String(16))
    remedy: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    escalation_threat: Mapped[str | None] = mapped_column(String(16))
    # Null only on rows written before customers existed (migration 0002 fills them in).
    # Customers are anonymised, never deleted: no ON DELETE action is needed.
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    # The owning team (bot.tickets.teams); null without a teams file or a matching team.
    team: Mapped[str | None] = mapped_column(String(40))

    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket",
        order_by="TicketEvent.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class TicketEvent(Base):
    """Audit trail: who did what to a ticket, and when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class RemedyRequest(Base):
    """A remedy above its requester's authority: waiting for a supervisor or admin, or
    decided by one (bot.tickets.remedy). Remedies within authority never come here."""

    __tablename__ = "remedy_requests"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'declined')", name="status"),
        Index("ix_remedy_requests_status", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    currency: Mapped[str | None] = mapped_column(String(3))
    note: Mapped[str | None] = mapped_column(Text)
    # Why the requester could not grant it themselves (the policy rule that applied).
    why: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(10), default="pending")
    requested_by: Mapped[str] = mapped_column(String(40))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(40))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The decline reason, or the approver's optional note.
    reason: Mapped[str | None] = mapped_column(Text)
