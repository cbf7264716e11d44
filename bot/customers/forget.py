"""Erasing a customer's personal data (`complaintbot customer forget`).

What goes: contact phone and e-mail (customer row and tickets), the complaint text,
order number and product (free text the customer typed), the resolution note, the notes
and reasons on remedy requests, every message in their conversation (replaced by
"[redacted]"), free text in their tickets' audit events, their evidence (the rows with file
names, captions, Telegram file ids and chat ids, and the files themselves: the caller
deletes the files in `ForgetReport.evidence_files` once the transaction is committed), and
their conversation in Rasa's tracker store. Their channel identity is
replaced by a pseudonym built from a random, discarded salt: nobody can link it back,
not even by trying every possible Telegram chat id.

What stays, for statistics: the customer row (so they still count once), and each
ticket's number, category, severity, motive, emotion, status history, deadlines, rating
and remedy. Each ticket gets a "customer_forgotten" event naming the operator.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, and_, case, delete, or_, select, text, update
from sqlalchemy.orm import Session

from bot.conversations.keys import conversation_key
from bot.conversations.models import Conversation, Message
from bot.customers.models import Customer
from bot.tickets.audit import Actor, record
from bot.tickets.evidence import Evidence
from bot.tickets.models import RemedyRequest, Ticket

logger = logging.getLogger(__name__)

REDACTED = "[redacted]"
# Event data whose values are never personal (statuses, severities, deadlines, rule reasons).
SAFE_EVENT_KEYS = frozenset(
    {"from", "to", "field", "severity", "reasons", "which", "due", "late",
     "recent_complaints", "first_response_due", "resolution_due",
     # remedies: the policy's types, currencies and rules, and agents' usernames
     "type", "currency", "why", "requested_by"}
)  # fmt: skip
# Fields whose before → after values in "field_changed" events are not personal.
NON_PERSONAL_FIELDS = frozenset(
    {"severity", "status", "assigned_agent", "validity", "category", "motive"}
)


@dataclass
class ForgetReport:
    identities: int = 0  # (channel, sender) pairs found in our database
    customers: int = 0
    tickets: int = 0
    messages: int = 0
    evidence: int = 0  # evidence rows deleted
    # Their files, relative to the evidence directory: delete_evidence_files after commit.
    evidence_files: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.identities > 0


def tracker_key(channel: str, sender_id: str) -> str:
    """The conversation id the gateway gives Rasa (bot/conversations/keys.py)."""
    return conversation_key(channel, sender_id)


def pseudonym() -> str:
    """An unlinkable stand-in for a channel identity (a hash of random bytes)."""
    return "forgotten-" + hashlib.sha256(secrets.token_bytes(32)).hexdigest()[:24]


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return REDACTED
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact(item) for item in value]
    return value  # numbers, booleans and null say nothing about a person


def scrub_event_data(data: dict[str, Any] | None) -> dict[str, Any] | None:
    """Keeps the non-personal parts of an audit event's data, redacts every other string."""
    if not data:
        return data
    field = data.get("field")
    scrubbed: dict[str, Any] = {}
    for key, value in data.items():
        keep = key in SAFE_EVENT_KEYS or (
            key in ("before", "after") and field in NON_PERSONAL_FIELDS
        )
        scrubbed[key] = value if keep else _redact(value)
    return scrubbed


def _identities(session: Session, sender_id: str, channel: str | None) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for model in (Customer, Ticket, Conversation, Evidence):
        stmt = select(model.channel, model.sender_id).where(model.sender_id == sender_id)
        if channel is not None:
            stmt = stmt.where(model.channel == channel)
        found.update((c, s) for c, s in session.execute(stmt.distinct()))
    return found


def _forget_tickets(
    session: Session,
    *,
    customer: Customer | None,
    channel: str,
    sender_id: str,
    alias: str,
    actor: Actor,
    now: datetime,
) -> int:
    matches: ColumnElement[bool] = and_(Ticket.channel == channel, Ticket.sender_id == sender_id)
    if customer is not None:
        matches = or_(matches, Ticket.customer_id == customer.id)
    tickets = session.execute(
        select(Ticket).where(matches).order_by(Ticket.id).with_for_update()
    ).scalars()
    count = 0
    for ticket in tickets:
        ticket.sender_id = alias
        ticket.contact_phone = None
        ticket.contact_email = None
        ticket.order_id = None
        ticket.product = None
        if ticket.description is not None:
            ticket.description = REDACTED
        if ticket.resolution_note is not None:
            ticket.resolution_note = REDACTED
        if customer is not None:
            ticket.customer_id = customer.id
        for event in ticket.events:
            event.data = scrub_event_data(event.data)
        session.execute(
            update(RemedyRequest)
            .where(RemedyRequest.ticket_id == ticket.id)
            .values(
                note=case((RemedyRequest.note.is_(None), None), else_=REDACTED),
                reason=case((RemedyRequest.reason.is_(None), None), else_=REDACTED),
            )
        )
        record(ticket, actor=actor, action="customer_forgotten", now=now)
        ticket.updated_at = now
        count += 1
    return count


def _forget_conversation(session: Session, *, channel: str, sender_id: str, alias: str) -> int:
    conversation = session.execute(
        select(Conversation)
        .where(Conversation.channel == channel, Conversation.sender_id == sender_id)
        .with_for_update()
    ).scalar_one_or_none()
    if conversation is None:
        return 0
    redacted = session.execute(
        update(Message)
        .where(Message.conversation_id == conversation.id)
        .values(text=REDACTED, buttons=None)
    )
    conversation.sender_id = alias
    return int(redacted.rowcount or 0)  # type: ignore[attr-defined]


def _forget_evidence(session: Session, *, channel: str, sender_id: str, alias: str) -> list[str]:
    """Deletes the customer's evidence rows (received from them, or on their tickets, now
    under `alias`); returns the stored files' relative paths."""
    theirs = or_(
        and_(Evidence.channel == channel, Evidence.sender_id == sender_id),
        Evidence.ticket_id.in_(select(Ticket.id).where(Ticket.sender_id == alias)),
    )
    paths = list(session.scalars(select(Evidence.stored_path).where(theirs)))
    session.execute(delete(Evidence).where(theirs))
    return paths


def delete_evidence_files(directory: Path, paths: list[str]) -> int:
    """Deletes the evidence files `paths` (relative to `directory`, as stored); a path that
    points outside the directory is ignored. Returns how many files were deleted."""
    root = directory.resolve()
    deleted = 0
    for relative in paths:
        target = (root / relative).resolve()
        if not target.is_relative_to(root) or target == root:
            logger.warning("evidence path outside %s ignored", root)
            continue
        try:
            target.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
    return deleted


def forget_customer(
    session: Session, *, sender_id: str, actor: Actor, now: datetime, channel: str | None = None
) -> ForgetReport:
    """Erases the personal data of `sender_id` (on `channel`, or on every channel).

    Idempotent: a forgotten customer is no longer found under their old identity.
    """
    if session.get_bind().dialect.name == "sqlite":
        # Overwrite freed pages instead of leaving the old text in the file.
        session.execute(text("PRAGMA secure_delete = ON"))
    report = ForgetReport()
    for ident_channel, ident_sender in sorted(_identities(session, sender_id, channel)):
        report.identities += 1
        alias = pseudonym()
        customer = session.execute(
            select(Customer)
            .where(Customer.channel == ident_channel, Customer.sender_id == ident_sender)
            .with_for_update()
        ).scalar_one_or_none()
        if customer is not None:
            customer.sender_id = alias
            customer.phone = None
            customer.email = None
            customer.forgotten_at = now
            customer.forgotten_by = actor.name
            report.customers += 1
        report.tickets += _forget_tickets(
            session,
            customer=customer,
            channel=ident_channel,
            sender_id=ident_sender,
            alias=alias,
            actor=actor,
            now=now,
        )
        report.messages += _forget_conversation(
            session, channel=ident_channel, sender_id=ident_sender, alias=alias
        )
        files = _forget_evidence(
            session, channel=ident_channel, sender_id=ident_sender, alias=alias
        )
        report.evidence += len(files)
        report.evidence_files.extend(files)
    session.flush()
    logger.info(
        "customer forgotten by %s: %d identities, %d tickets, %d messages, %d evidence",
        actor.name,
        report.identities,
        report.tickets,
        report.messages,
        report.evidence,
    )
    return report


def forget_in_tracker_store(location: Path | str, keys: list[str]) -> int:
    """Deletes the conversations `keys` from Rasa's tracker store: a SQLite file (the
    embedded default) or a database URL (the PostgreSQL store of endpoints.prod.yml).
    Returns the rows deleted; a missing file or table means there is nothing to delete."""
    if not keys:
        return 0
    if isinstance(location, str) and "://" in location:
        return _forget_in_database(location, keys)
    path = Path(location)
    if not path.is_file():
        return 0
    conn = sqlite3.connect(path, timeout=30)
    try:
        conn.execute("PRAGMA secure_delete = ON")
        with conn:
            deleted = 0
            for key in keys:
                deleted += conn.execute("DELETE FROM events WHERE sender_id = ?", (key,)).rowcount
        return deleted
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return 0
        raise
    finally:
        conn.close()


def _forget_in_database(url: str, keys: list[str]) -> int:
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.drivername == "postgresql":  # the app environment has psycopg 3, not psycopg2
        parsed = parsed.set(drivername="postgresql+psycopg")
    engine = create_engine(parsed)
    try:
        if not inspect(engine).has_table("events"):
            return 0
        with engine.begin() as conn:
            return sum(
                conn.execute(
                    text("DELETE FROM events WHERE sender_id = :key"), {"key": key}
                ).rowcount
                for key in keys
            )
    finally:
        engine.dispose()
