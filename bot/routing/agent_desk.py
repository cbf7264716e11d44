"""What an agent does with a handed-over conversation, whichever tool they use (the web
console or the agents' Telegram group): claim a ticket from the queue, write to the
customer, resolve, or release the conversation to the bot.

One code path for every front end, so a claim from Telegram is audited, counted and
handed over exactly like a claim from the console. Refusals are the services' own
exceptions (LookupError / TicketNotFound, Forbidden, `desk.Conflict`, InvalidTransition,
InvalidChange / ValueError); each front end words them its own way. Listeners hear of
every change (the console's sockets, the Telegram group's ticket posts).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import anyio
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, utcnow
from bot.db import transaction
from bot.handoff import desk
from bot.handoff.queue import HandoffQueue, QueueItem
from bot.routing.followup import FollowUp
from bot.routing.handover import Handover
from bot.routing.messages import Reply
from bot.routing.outbound import Outbound
from bot.tickets.audit import Actor
from bot.tickets.lifecycle import InvalidTransition
from bot.tickets.models import Ticket
from bot.tickets.permissions import Forbidden, check_update
from bot.tickets.service import (
    add_note,
    apply_changes,
    lock_ticket,
    record_first_response,
    ticket_to_dict,
)
from bot.tickets.sla import SlaPolicy

logger = logging.getLogger(__name__)

CLAIM_ATTEMPTS = 5  # stale items (tickets finished meanwhile) skipped by "claim next"


class NotQueued(desk.Conflict):
    """The ticket is not (or no longer) waiting in the queue: someone took it first."""


@dataclass(frozen=True)
class DeskAgent:
    """The person acting: their audit identity and the name customers see."""

    actor: Actor
    display_name: str

    @property
    def username(self) -> str:
        assert self.actor.username is not None
        return self.actor.username


@dataclass(frozen=True)
class Claimed:
    ticket: dict[str, Any]  # desk.ticket_summary
    conversation_id: int | None


@dataclass(frozen=True)
class Sent:
    delivered: bool  # False: pending until the customer's next contact
    first_response: bool
    ticket_id: str | None


@dataclass(frozen=True)
class DeskEvent:
    kind: Literal["claimed", "message", "resolved", "released"]
    agent: str  # username
    ticket_id: str | None
    conversation_id: int | None


Listener = Callable[[DeskEvent], None]


class AgentDesk:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        queue: HandoffQueue,
        handover: Handover,
        outbound: Outbound,
        policy: SlaPolicy,
        followup: FollowUp | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self.sessions = sessions
        self.queue = queue
        self.handover = handover
        self.outbound = outbound
        self.policy = policy
        self.followup = followup
        self.clock = clock
        self._listeners: list[Listener] = []

    def listen(self, listener: Listener) -> None:
        """`listener(event)` after every change; it must not block (schedule work instead)."""
        self._listeners.append(listener)

    def _tell(self, event: DeskEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # the change is committed; a listener's failure is its own
                logger.exception("desk listener failed on %s", event)

    # --- claiming ----------------------------------------------------------------------------

    async def _take(self, agent: DeskAgent, item: QueueItem) -> Claimed:
        """The queue gave `item` to `agent`: the ticket and the conversation become theirs."""
        now = self.clock()

        def work() -> desk.Taken:
            with transaction(self.sessions) as session:
                return desk.take_ticket(
                    session, ticket_id=item.ticket_id, actor=agent.actor, now=now,
                    policy=self.policy,
                )  # fmt: skip

        try:
            taken = await anyio.to_thread.run_sync(work)
        except Exception:
            # The ticket changed between the check and the claim: it goes back where it was.
            await anyio.to_thread.run_sync(
                lambda: self.queue.enqueue(
                    item.ticket_id,
                    item.conversation_id,
                    item.severity,
                    team=item.team,
                    boost=item.boost,
                    now=item.enqueued_at,
                )
            )
            raise
        if taken.conversation_id is not None:
            await self.handover.assign(taken.conversation_id, agent.username)
        logger.info("%s claimed by %s", item.ticket_id, agent.username)
        self._tell(DeskEvent("claimed", agent.username, item.ticket_id, taken.conversation_id))
        return Claimed(taken.ticket, taken.conversation_id)

    async def claim(self, ticket_id: str, agent: DeskAgent) -> Claimed:
        """Takes one queued ticket (canonical id). NotQueued when another agent was first."""
        now = self.clock()

        def check() -> None:
            with self.sessions() as session:
                try:
                    desk.check_claimable(session, ticket_id=ticket_id, actor=agent.actor)
                except Forbidden:
                    # Another agent's claim may have landed just before this check (the
                    # ticket is theirs now): the same answer as when it lands just after.
                    if all(item.ticket_id != ticket_id for item in self.queue.items()):
                        raise NotQueued(
                            f"{ticket_id} is not in the queue (already taken?)"
                        ) from None
                    raise

        await anyio.to_thread.run_sync(check)
        item = await anyio.to_thread.run_sync(
            lambda: self.queue.claim(ticket_id, agent.username, now=now)
        )
        if item is None:
            raise NotQueued(f"{ticket_id} is not in the queue (already taken?)")
        return await self._take(agent, item)

    async def claim_next(self, agent: DeskAgent) -> Claimed | None:
        """Takes the first ticket in serving order; None when nothing is waiting."""
        now = self.clock()
        for _attempt in range(CLAIM_ATTEMPTS):
            item = await anyio.to_thread.run_sync(
                lambda: self.queue.claim_next(agent.username, now=now)
            )
            if item is None:
                return None
            try:
                return await self._take(agent, item)
            except (desk.Conflict, InvalidTransition) as exc:
                await anyio.to_thread.run_sync(self.queue.remove, item.ticket_id)
                logger.warning("dropped %s from the queue: %s", item.ticket_id, exc)
        raise desk.Conflict("the queue changed too fast; try again")

    # --- the conversation --------------------------------------------------------------------

    async def send(self, conversation_id: int, agent: DeskAgent, text: str) -> Sent:
        """Sends the customer `text` as the agent (stored, then pushed on their channel);
        the first one stamps the ticket's first response. Conflict unless an agent has the
        conversation, Forbidden when it is another agent's."""
        text = text.strip()
        if not text:
            raise ValueError("the message is empty")
        now = self.clock()

        def check() -> tuple[str, str, str | None]:
            with self.sessions() as session:
                conversation = desk.check_may_write(
                    session, conversation_id=conversation_id, actor=agent.actor
                )
                ticket = desk.open_ticket_of(session, conversation)
                return (conversation.channel, conversation.sender_id,
                        ticket.id if ticket is not None else None)  # fmt: skip

        channel, sender_id, ticket_id = await anyio.to_thread.run_sync(check)
        reply = Reply(text, author=f"agent:{agent.username}", display_name=agent.display_name)
        delivered = await self.outbound.send(channel, sender_id, [reply])
        first = False
        if ticket_id is not None:

            def stamp() -> bool:
                with transaction(self.sessions) as session:
                    return record_first_response(
                        session, ticket_id=ticket_id, agent=agent.username, now=now
                    )

            first = await anyio.to_thread.run_sync(stamp)
        self._tell(DeskEvent("message", agent.username, ticket_id, conversation_id))
        return Sent(delivered, first, ticket_id)

    # --- ending or passing on the work -------------------------------------------------------

    def _change(
        self, ticket_id: str, change: Callable[[Session, Ticket], None]
    ) -> tuple[dict[str, Any], int | None, str | None]:
        """Locks the ticket and applies `change`; returns the ticket record, its
        conversation's id and owner."""
        with transaction(self.sessions) as session:
            ticket = lock_ticket(session, ticket_id)
            change(session, ticket)
            conversation = desk.conversation_of(session, ticket)
            return (ticket_to_dict(ticket), conversation.id if conversation else None,
                    conversation.owner if conversation else None)  # fmt: skip

    async def resolve(self, ticket_id: str, agent: DeskAgent, note: str) -> dict[str, Any]:
        """Resolved with a resolution note (through the lifecycle): off the queue, the
        conversation back to the bot, and the bot's follow-up asks for a rating."""
        note = note.strip()
        if not note:
            raise ValueError("the resolution note is empty")
        now = self.clock()

        def change(session: Session, ticket: Ticket) -> None:
            changes = {"resolution_note": note, "status": "resolved"}
            check_update(agent.actor, ticket, changes)
            apply_changes(
                session, ticket=ticket, changes=changes, actor=agent.actor, now=now,
                policy=self.policy,
            )  # fmt: skip

        record, conversation_id, owner = await anyio.to_thread.run_sync(
            self._change, ticket_id, change
        )
        await anyio.to_thread.run_sync(self.queue.remove, record["id"])
        if conversation_id is not None and owner != "bot":
            await self.handover.back_to_bot(conversation_id)
        if self.followup is not None:
            self.followup.start_soon(record["id"])  # 回访: the bot asks for a rating
        logger.info("%s resolved by %s", record["id"], agent.username)
        self._tell(DeskEvent("resolved", agent.username, record["id"], conversation_id))
        return record

    async def release(
        self, ticket_id: str, agent: DeskAgent, note: str | None = None
    ) -> dict[str, Any]:
        """The bot answers the customer again; the ticket keeps its status and agent (work
        goes on away from the chat), with the note on the trail. Conflict unless an agent
        has the conversation."""
        text = (note or "").strip()
        now = self.clock()

        def change(session: Session, ticket: Ticket) -> None:
            desk.check_owns(agent.actor, ticket.assigned_agent, f"ticket {ticket.id}")
            conversation = desk.conversation_of(session, ticket)
            if conversation is None or conversation.owner != "agent":
                raise desk.Conflict(f"no agent has the conversation of {ticket.id}")
            add_note(ticket, "conversation released to the bot" + (f": {text}" if text else ""),
                     actor=agent.actor, now=now)  # fmt: skip

        record, conversation_id, _owner = await anyio.to_thread.run_sync(
            self._change, ticket_id, change
        )
        assert conversation_id is not None  # checked in the transaction
        await self.handover.back_to_bot(conversation_id)
        logger.info("%s released to the bot by %s", record["id"], agent.username)
        self._tell(DeskEvent("released", agent.username, record["id"], conversation_id))
        return record
