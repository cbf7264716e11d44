"""Evidence the customer sends (photos, documents), kept on disk and linked to their ticket.

A file that arrives before the ticket exists (the customer sends the photo first, then
explains) waits on the customer and is linked when their ticket is created.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import ForeignKey, Index, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.db import Base, UTCDateTime
from bot.owner_only import make_private_dir, write_private
from bot.tickets import deadlines
from bot.tickets.audit import Actor, record
from bot.tickets.models import Ticket

logger = logging.getLogger(__name__)

KINDS = ("photo", "document")
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,8}$")


class Evidence(Base):
    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_customer", "channel", "sender_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ticket_id: Mapped[str | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(16))
    sender_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    # Relative to the evidence directory (var/evidence); never a customer-chosen path.
    stored_path: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(255))
    caption: Mapped[str | None] = mapped_column(String(1024))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


def store_file(directory: Path, data: bytes, original_name: str, now: datetime) -> str:
    """Writes `data` under `directory`/YYYYMMDD/ with a random name; returns the relative path.

    The customer's file name is kept in the database only: it never becomes a path."""
    suffix = Path(original_name).suffix
    suffix = suffix.lower() if _SAFE_SUFFIX.match(suffix) else ".bin"
    relative = Path(now.strftime("%Y%m%d")) / f"{uuid.uuid4().hex}{suffix}"
    target = directory / relative
    make_private_dir(target.parent)
    write_private(target, data)
    return relative.as_posix()


def _link(ticket: Ticket, item: Evidence, now: datetime) -> None:
    item.ticket_id = ticket.id
    record(
        ticket,
        actor=Actor("customer"),
        action="evidence_added",
        now=now,
        data={
            "evidence_id": item.id,
            "kind": item.kind,
            "file_name": item.file_name,
            "size": item.size,
            "mime_type": item.mime_type,
        },
    )


def latest_open_ticket(session: Session, *, channel: str, sender_id: str) -> Ticket | None:
    return session.execute(
        select(Ticket)
        .where(
            Ticket.channel == channel,
            Ticket.sender_id == sender_id,
            Ticket.status.in_(deadlines.WAITING_STATUSES),
        )
        .order_by(Ticket.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def add_evidence(
    session: Session,
    *,
    channel: str,
    sender_id: str,
    kind: str,
    file_name: str,
    mime_type: str | None,
    size: int,
    stored_path: str,
    now: datetime,
    external_id: str | None = None,
    caption: str | None = None,
) -> Evidence:
    """Records a received file: on the customer's open ticket, or waiting for their next one."""
    if kind not in KINDS:
        raise ValueError(f"unknown evidence kind {kind!r}")
    item = Evidence(
        channel=channel,
        sender_id=sender_id,
        kind=kind,
        file_name=file_name[:255] or kind,
        mime_type=mime_type,
        size=size,
        stored_path=stored_path,
        external_id=external_id,
        caption=(caption or None) and caption[:1024],
        received_at=now,
    )
    session.add(item)
    session.flush()
    ticket = latest_open_ticket(session, channel=channel, sender_id=sender_id)
    if ticket is not None:
        _link(ticket, item, now)
        logger.info("evidence %s (%s) attached to %s", item.id, kind, ticket.id)
    return item


def link_waiting_evidence(session: Session, ticket: Ticket, now: datetime) -> int:
    """Links the customer's files that arrived before this ticket; returns how many."""
    waiting = session.scalars(
        select(Evidence).where(
            Evidence.channel == ticket.channel,
            Evidence.sender_id == ticket.sender_id,
            Evidence.ticket_id.is_(None),
        )
    ).all()
    for item in waiting:
        _link(ticket, item, now)
    return len(waiting)


def evidence_of(session: Session, ticket_id: str) -> list[Evidence]:
    return list(
        session.scalars(
            select(Evidence).where(Evidence.ticket_id == ticket_id).order_by(Evidence.id)
        )
    )
