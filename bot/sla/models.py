"""SLA monitor tables: the alerts raised, their delivery to each target, and leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db import Base, UTCDateTime

SLA_KINDS = ("warning", "breach")
# Early warnings from bot.analytics.warnings: about a category or a product, not a ticket.
EARLY_WARNING_KINDS = ("spike", "cluster")
ALERT_KINDS = SLA_KINDS + EARLY_WARNING_KINDS


class SlaAlert(Base):
    """One warning or breach of one deadline of one ticket, or one early warning (a spike
    of complaints, a cluster of minor ones) about a category or a product.

    The unique key is what makes an alert exactly-once across gateways: a monitor claims
    an alert by inserting it (INSERT ... ON CONFLICT DO NOTHING) before anything is sent.
    `due` is part of the key because a new deadline (after a reopening or a severity
    change) deserves alerts of its own. Early warnings have no ticket and are keyed by
    (kind, subject, due) instead, `due` being the day they are about; NULLs never conflict,
    so each kind of alert is only unique under its own key.
    """

    __tablename__ = "sla_alerts"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "deadline", "due"),
        UniqueConstraint("kind", "subject", "due"),
        CheckConstraint("kind IN ('warning', 'breach', 'spike', 'cluster')", name="kind"),
        CheckConstraint("deadline IN ('first_response', 'resolution')", name="deadline"),
        Index("ix_sla_alerts_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    deadline: Mapped[str | None] = mapped_column(String(16))
    due: Mapped[datetime] = mapped_column(UTCDateTime())
    # The ticket as it was when the alert was raised; for an early warning, the category
    # it is about (null for a product) and no severity.
    severity: Mapped[str | None] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(32))
    # Early warnings: what they are about ("category:delivery", "product:<name>") and the
    # figures behind them (count, baseline, p-value).
    subject: Mapped[str | None] = mapped_column(String(240))
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))

    deliveries: Mapped[list[AlertDelivery]] = relationship(
        order_by="AlertDelivery.target", lazy="selectin", cascade="all, delete-orphan"
    )


class AlertDelivery(Base):
    """An alert on its way to one target (webhook, telegram). Once `sent_at` is set it is
    never sent again; until then each attempt is claimed with a conditional UPDATE, so two
    monitors never send the same attempt."""

    __tablename__ = "sla_alert_deliveries"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("sla_alerts.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(16), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(300))


class Lease(Base):
    """A named job only one process may run at a time (the SLA monitor's tick), held by
    `holder` until `expires_at` unless renewed or released."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
