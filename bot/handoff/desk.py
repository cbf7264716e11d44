"""An agent's work on handed-over tickets, for the console: what the queue shows, taking a
ticket, the conversation behind it, and the ticket changes that end or pass on the work.

Synchronous and session-based like the rest of the services; the console API calls these
in a worker thread and moves conversation ownership through `routing.Handover`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.agents.service import display_names, get_agent
from bot.clock import iso
from bot.conversations.models import Conversation, Message
from bot.handoff.queue import QueueItem
from bot.i18n import cut
from bot.tickets import lifecycle
from bot.tickets.audit import Actor
from bot.tickets.models import Ticket
from bot.tickets.permissions import FULL_ACCESS_ROLES, Forbidden, check_update
from bot.tickets.service import apply_changes, lock_ticket
from bot.tickets.sla import SlaPolicy

logger = logging.getLogger(__name__)

# A Rasa button payload: "/intent" or "/intent{json entities}".
PAYLOAD_RE = re.compile(r"^/(\w+)(\{.*\})?$", re.DOTALL)
# Bot messages looked back through for the button a press on a new page refers to.
BUTTON_LOOKBACK = 20

SUMMARY_CHARS = 160
FINISHED_STATUSES = frozenset({"resolved", "closed", "withdrawn"})


class Conflict(ValueError):
    """The ticket or conversation is not in a state that allows this (HTTP 409)."""


def ticket_summary(ticket: Ticket) -> dict[str, Any]:
    """What a queue row or a ticket list shows about a ticket."""
    description = cut(ticket.description or "", SUMMARY_CHARS)
    return {
        "id": ticket.id,
        "status": ticket.status,
        "category": ticket.category,
        "severity": ticket.severity,
        "emotion_peak": ticket.emotion_peak,
        "description": description,
        "channel": ticket.channel,
        "language": ticket.language,
        "assigned_agent": ticket.assigned_agent,
        "created_at": iso(ticket.created_at),
        "first_response_due": iso(ticket.first_response_due),
        "sla_breached": ticket.sla_breached,
    }


def queue_rows(
    session: Session, items: Sequence[QueueItem], *, now: datetime
) -> list[dict[str, Any]]:
    """The queue in serving order with each ticket's summary, position and waiting time."""
    tickets = {
        t.id: t
        for t in session.scalars(select(Ticket).where(Ticket.id.in_([i.ticket_id for i in items])))
    }
    rows = []
    for position, item in enumerate(items, start=1):
        ticket = tickets.get(item.ticket_id)
        rows.append(
            {
                "position": position,
                "ticket_id": item.ticket_id,
                "conversation_id": item.conversation_id,
                "severity": item.severity,
                "boost": item.boost,
                # The queue item's team, else the owning team of the ticket (teams.yml).
                "team": item.team or (ticket.team if ticket is not None else None),
                "enqueued_at": iso(item.enqueued_at),
                "waiting_seconds": int(item.waiting(now).total_seconds()),
                "ticket": ticket_summary(ticket) if ticket is not None else None,
            }
        )
    return rows


def conversation_of(session: Session, ticket: Ticket) -> Conversation | None:
    """The customer's conversation a ticket came from (one per channel and sender)."""
    return session.execute(
        select(Conversation).where(
            Conversation.channel == ticket.channel, Conversation.sender_id == ticket.sender_id
        )
    ).scalar_one_or_none()


def check_claimable(session: Session, *, ticket_id: str, actor: Actor) -> None:
    """Raises LookupError, Forbidden or Conflict before the queue is touched."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        raise LookupError(f"no ticket {ticket_id}")
    if ticket.status in FINISHED_STATUSES:
        raise Conflict(f"ticket {ticket_id} is {ticket.status}")
    check_update(actor, ticket, {"assigned_agent": actor.username})


@dataclass(frozen=True)
class Taken:
    ticket: dict[str, Any]
    conversation_id: int | None


def take_ticket(
    session: Session, *, ticket_id: str, actor: Actor, now: datetime, policy: SlaPolicy
) -> Taken:
    """After the queue gave `ticket_id` to `actor`: it is theirs and in progress."""
    ticket = lock_ticket(session, ticket_id)
    if ticket.status in FINISHED_STATUSES:
        raise Conflict(f"ticket {ticket_id} is {ticket.status}")
    changes: dict[str, Any] = {"assigned_agent": actor.username}
    if lifecycle.can_transition(ticket.status, "in_progress"):
        changes["status"] = "in_progress"
    check_update(actor, ticket, changes)
    apply_changes(session, ticket=ticket, changes=changes, actor=actor, now=now, policy=policy)
    conversation = conversation_of(session, ticket)
    return Taken(ticket_summary(ticket), conversation.id if conversation else None)


def check_owns(actor: Actor, assigned_agent: str | None, what: str) -> None:
    """Agents act only on their own work; supervisors and admins on anyone's."""
    if actor.role in FULL_ACCESS_ROLES:
        return
    if actor.username is None or assigned_agent != actor.username:
        raise Forbidden(f"{what} is not assigned to you; a supervisor can reassign it")


def message_json(message: Message, names: dict[str, str]) -> dict[str, Any]:
    author = message.author
    sender = author.split(":", 1)[0] if ":" in author else author
    out: dict[str, Any] = {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "direction": message.direction,
        "from": sender,  # customer | bot | agent | system
        "author": author,
        "text": message.text,
        "buttons": message.buttons or [],
        "at": iso(message.created_at),
    }
    if sender == "agent":
        username = author.split(":", 1)[1]
        out["name"] = names.get(username, username)
    return out


def _same_payload(pressed: str, offered: str) -> bool:
    """Rasa payloads ("/inform{...}") equal, whatever spacing a channel gave the JSON."""
    if pressed.strip() == offered.strip():
        return True
    first, second = (PAYLOAD_RE.match(p.strip()) for p in (pressed, offered))
    if first is None or second is None or first.group(1) != second.group(1):
        return False
    try:
        entities = [json.loads(m.group(2) or "{}") for m in (first, second)]
    except ValueError:
        return False
    return bool(entities[0] == entities[1])


def pressed_button(text: str, offered: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """A customer message that is a button payload, as the customer saw it: the title of
    the latest offered button with that payload (`offered` oldest first; title None when
    none matches). None for typed text."""
    if PAYLOAD_RE.match(text.strip()) is None:
        return None
    for button in reversed(offered):
        payload = button.get("payload")
        if isinstance(payload, str) and _same_payload(text, payload):
            return {"title": button.get("title"), "payload": text}
    return {"title": None, "payload": text}


def _buttons_before(session: Session, message: Message) -> list[dict[str, Any]]:
    """The buttons the bot offered in its last messages before this one, oldest first."""
    rows = session.execute(
        select(Message.buttons)
        .where(
            Message.conversation_id == message.conversation_id,
            Message.id < message.id,
            Message.direction == "out",
        )
        .order_by(Message.id.desc())
        .limit(BUTTON_LOOKBACK)
    ).scalars()
    return [button for buttons in reversed(list(rows)) for button in (buttons or [])]


def messages_json(session: Session, messages: Sequence[Message]) -> list[dict[str, Any]]:
    """Messages as the console shows them; a customer's button press carries `button`
    (the title they saw and the payload sent)."""
    names = display_names(
        session, {m.author.split(":", 1)[1] for m in messages if m.author.startswith("agent:")}
    )
    out = []
    seen: list[dict[str, Any]] = []  # buttons offered earlier on this page, oldest first
    for message in messages:
        shown = message_json(message, names)
        if message.direction == "out":
            seen.extend(message.buttons or [])
        elif message.author == "customer" and message.text.startswith("/"):
            offered = seen if seen else _buttons_before(session, message)
            shown["button"] = pressed_button(message.text, offered)
        out.append(shown)
    return out


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "sender_id": conversation.sender_id,
        "language": conversation.language,
        "owner": conversation.owner,
        "assigned_agent": conversation.assigned_agent,
    }


def transcript_page(
    session: Session, *, conversation_id: int, after: int = 0, limit: int = 500
) -> dict[str, Any]:
    """The conversation and its messages after id `after`, oldest first (bot part too)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise LookupError(f"no conversation {conversation_id}")
    rows = list(
        session.scalars(
            select(Message)
            .where(Message.conversation_id == conversation_id, Message.id > after)
            .order_by(Message.id.desc())
            .limit(limit)
        )
    )
    rows.reverse()
    return {
        "conversation": conversation_json(conversation),
        "messages": messages_json(session, rows),
    }


def open_ticket_of(session: Session, conversation: Conversation) -> Ticket | None:
    """The ticket an agent works on in this conversation (theirs, newest, unfinished)."""
    return session.execute(
        select(Ticket)
        .where(
            Ticket.channel == conversation.channel,
            Ticket.sender_id == conversation.sender_id,
            Ticket.status.not_in(FINISHED_STATUSES),
            Ticket.assigned_agent == conversation.assigned_agent,
        )
        .order_by(Ticket.created_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def check_may_write(session: Session, *, conversation_id: int, actor: Actor) -> Conversation:
    """The conversation an agent may answer now: an agent owns it, and it is them (or the
    caller supervises)."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise LookupError(f"no conversation {conversation_id}")
    if conversation.owner != "agent":
        raise Conflict(
            f"the {conversation.owner} has this conversation; claim its ticket to answer"
        )
    check_owns(actor, conversation.assigned_agent, "this conversation")
    return conversation


def transfer(
    session: Session,
    *,
    ticket_id: str,
    to_agent: str,
    actor: Actor,
    now: datetime,
    policy: SlaPolicy,
    note: str | None = None,
) -> Ticket:
    """Gives a ticket to another active agent, audited (agents only their own tickets)."""
    ticket = lock_ticket(session, ticket_id)
    check_owns(actor, ticket.assigned_agent, f"ticket {ticket_id}")
    if ticket.status in FINISHED_STATUSES:
        raise Conflict(f"ticket {ticket_id} is {ticket.status}")
    target = get_agent(session, to_agent.strip().lower())
    if target is None or not target.active:
        raise ValueError(f"no active agent named {to_agent!r}")
    if target.username == ticket.assigned_agent:
        raise Conflict(f"ticket {ticket_id} is already assigned to {target.username}")
    # The permission rules above are the console's: the ticket API's PATCH does not let an
    # agent give a ticket away, but handing a live chat to a colleague is a transfer.
    changes: dict[str, Any] = {"assigned_agent": target.username}
    if note:
        changes["note"] = note
    apply_changes(session, ticket=ticket, changes=changes, actor=actor, now=now, policy=policy)
    return ticket
