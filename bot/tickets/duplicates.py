"""One complaint, one ticket (issue 15): a customer who complains again about the same order
or the same problem while their earlier ticket is still open is offered to add the message
to that ticket instead of opening another.

The message added becomes an event on the ticket's trail (`customer_added`); the emotion
peak and the severity are assessed again with it, and the severity only ever goes up (a
person lowers it, never the bot).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.nlu.emotion import peak
from bot.tickets.audit import BOT, record
from bot.tickets.deadlines import WAITING_STATUSES
from bot.tickets.models import SEVERITIES, Ticket
from bot.tickets.rules import assess
from bot.tickets.service import change_severity
from bot.tickets.sla import SlaPolicy

# An open ticket older than this is not offered: a new complaint gets a new ticket.
WINDOW = timedelta(days=30)
# Descriptions this alike (character-bigram overlap) tell the same problem.
SAME_PROBLEM = 0.5
MAX_ADDED = 2000
_WORDS = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")


def _grams(text: str | None) -> set[str]:
    tokens = _WORDS.findall((text or "").lower())
    return {" ".join(tokens[i : i + 2]) for i in range(len(tokens) - 1)} or set(tokens)


def same_problem(first: str | None, second: str | None) -> bool:
    """Whether two descriptions tell the same problem: most of their word (or Chinese
    character) pairs are shared."""
    a, b = _grams(first), _grams(second)
    if not a or not b:
        return False
    return len(a & b) / min(len(a), len(b)) >= SAME_PROBLEM


def find_open_duplicate(
    session: Session,
    *,
    channel: str,
    sender_id: str,
    order_id: str | None,
    category: str | None,
    description: str | None,
    now: datetime,
) -> Ticket | None:
    """The customer's newest open ticket about the same order, or in the same category
    about the same problem; None when there is none."""
    candidates = session.scalars(
        select(Ticket)
        .where(
            Ticket.channel == channel,
            Ticket.sender_id == sender_id,
            Ticket.status.in_(WAITING_STATUSES),
            Ticket.created_at >= now - WINDOW,
        )
        .order_by(Ticket.created_at.desc())
    ).all()
    for ticket in candidates:
        if order_id and order_id != "none" and ticket.order_id == order_id:
            return ticket
        if (
            category
            and ticket.category == category
            and same_problem(ticket.description, description)
        ):
            return ticket
    return None


def add_to_ticket(
    ticket: Ticket,
    *,
    text: str,
    emotion: str | None,
    escalation_threat: str | None,
    policy: SlaPolicy,
    now: datetime,
) -> bool:
    """Adds what the customer said to `ticket`'s trail and assesses it again; True when the
    severity went up."""
    record(
        ticket,
        actor=BOT,
        action="customer_added",
        now=now,
        data={"text": text[:MAX_ADDED], "emotion": emotion},
    )
    ticket.emotion_peak = peak([ticket.emotion_peak or "calm", emotion or "calm"])
    ticket.escalation_threat = ticket.escalation_threat or escalation_threat
    ticket.updated_at = now
    verdict = assess(
        category=ticket.category,
        description=f"{ticket.description or ''}\n{text}",
        desired_resolution=ticket.desired_resolution,
        emotion_peak=ticket.emotion_peak,
        escalation_threat=ticket.escalation_threat,
    )
    if SEVERITIES.index(verdict.severity) <= SEVERITIES.index(ticket.severity):
        return False
    return change_severity(
        ticket,
        verdict.severity,
        actor=BOT,
        now=now,
        policy=policy,
        reason="; ".join(verdict.reasons) or "the customer added to the complaint",
    )
