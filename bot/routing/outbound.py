"""The one way out to a customer, whatever their channel: for the bot, agents and follow-ups.

`Outbound.send` stores the messages first (so nothing said is ever lost), then hands them to
the channel's deliverer. A channel that cannot push (REST), or a customer who is offline
(the widget closed), leaves them pending: they reach the customer on their next contact.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

import anyio
from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.agents.service import display_names
from bot.clock import Clock, utcnow
from bot.conversations.models import Conversation, Message
from bot.conversations.store import add_message, get_or_create_conversation
from bot.db import transaction
from bot.routing.messages import Reply

logger = logging.getLogger(__name__)

# deliver(sender_id, replies) -> True when the customer has them now.
Deliverer = Callable[[str, Sequence[Reply]], Awaitable[bool]]
# present(sender_id) -> True when the customer is connected to this gateway.
Presence = Callable[[str], bool]
# publish(channel, sender_id): tells the other gateways that messages wait (bot.routing.relay).
Publisher = Callable[[str, str], Awaitable[None]]


def reply_from_message(message: Message, display_names: dict[str, str] | None = None) -> Reply:
    author = message.author
    display = None
    if author.startswith("agent:"):
        username = author.split(":", 1)[1]
        display = (display_names or {}).get(username, username)
    return Reply(message.text, list(message.buttons or []), author, display)


def _undelivered(channel: str, sender_id: str) -> Select[Message]:
    """The messages sent to a customer that have not reached them yet, oldest first."""
    return (
        select(Message)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Conversation.channel == channel,
            Conversation.sender_id == sender_id,
            Message.direction == "out",
            Message.delivered_at.is_(None),
        )
        .order_by(Message.id)
    )


class Outbound:
    def __init__(self, sessions: sessionmaker[Session], clock: Clock = utcnow) -> None:
        self.sessions = sessions
        self.clock = clock
        self._deliverers: dict[str, Deliverer] = {}
        self._present: dict[str, Presence] = {}
        # Set when several gateways share Redis: messages for a customer connected to
        # another gateway are announced there (bot.routing.relay).
        self.publish: Publisher | None = None

    def register(self, channel: str, deliver: Deliverer, present: Presence | None = None) -> None:
        self._deliverers[channel] = deliver
        if present is not None:
            self._present[channel] = present

    def _store(self, channel: str, sender_id: str, replies: Sequence[Reply]) -> list[int]:
        now = self.clock()
        with transaction(self.sessions) as session:
            conv = get_or_create_conversation(
                session, channel=channel, sender_id=sender_id, now=now
            )
            return [
                add_message(
                    session,
                    conversation=conv,
                    direction="out",
                    author=reply.author,
                    text=reply.text,
                    buttons=reply.buttons,
                    now=now,
                ).id
                for reply in replies
            ]

    def _with_display_names(self, replies: Sequence[Reply]) -> list[Reply]:
        """Agents' messages carry the name the customer sees, whoever sends them."""
        missing = {
            r.author.split(":", 1)[1]
            for r in replies
            if r.author.startswith("agent:") and not r.display_name
        }
        if not missing:
            return list(replies)
        with self.sessions() as session:
            names = display_names(session, missing)
        return [
            replace(r, display_name=names.get(r.author.split(":", 1)[1], r.author.split(":", 1)[1]))
            if r.author.startswith("agent:") and not r.display_name
            else r
            for r in replies
        ]

    def mark_delivered(self, message_ids: Sequence[int]) -> None:
        if not message_ids:
            return
        now = self.clock()
        with transaction(self.sessions) as session:
            for message in session.scalars(select(Message).where(Message.id.in_(message_ids))):
                message.delivered_at = message.delivered_at or now

    async def send(self, channel: str, sender_id: str, replies: Sequence[Reply]) -> bool:
        """Stores `replies` on the customer's conversation and delivers them if the channel
        can push now. Returns True when delivered live, False when left pending."""
        if not replies:
            return True
        replies = await anyio.to_thread.run_sync(self._with_display_names, replies)
        ids = await anyio.to_thread.run_sync(self._store, channel, sender_id, replies)
        deliver = self._deliverers.get(channel)
        if deliver is None:
            return False
        try:
            delivered = await deliver(sender_id, replies)
        except Exception:  # a channel failure must not lose the stored messages
            logger.exception("delivery on %s failed; the messages stay pending", channel)
            return False
        if delivered:
            await anyio.to_thread.run_sync(self.mark_delivered, ids)
        elif self.publish is not None:
            await self.publish(channel, sender_id)  # connected to another gateway, maybe
        return delivered

    def _claim_pending(self, channel: str, sender_id: str) -> tuple[list[int], list[Reply]]:
        """The messages waiting for the customer that this process marks delivered first:
        one conditional UPDATE each, so two gateways never both take one."""
        now = self.clock()
        with transaction(self.sessions) as session:
            rows = list(session.scalars(_undelivered(channel, sender_id)))
            taken = []
            for message in rows:
                claimed = session.execute(
                    update(Message)
                    .where(Message.id == message.id, Message.delivered_at.is_(None))
                    .values(delivered_at=now)
                    .execution_options(synchronize_session=False)
                )
                if getattr(claimed, "rowcount", 0) == 1:
                    taken.append(message)
            names = display_names(
                session,
                {m.author.split(":", 1)[1] for m in taken if m.author.startswith("agent:")},
            )
            return [m.id for m in taken], [reply_from_message(m, names) for m in taken]

    def _unclaim(self, message_ids: Sequence[int]) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(Message).where(Message.id.in_(message_ids)).values(delivered_at=None)
            )

    async def deliver_waiting(self, channel: str, sender_id: str) -> None:
        """Pushes what waits for the customer, when they are connected to this gateway (a
        relayed notice from another gateway)."""
        deliver, present = self._deliverers.get(channel), self._present.get(channel)
        if deliver is None or present is None or not present(sender_id):
            return
        ids, replies = await anyio.to_thread.run_sync(self._claim_pending, channel, sender_id)
        if not replies:
            return
        if not await deliver(sender_id, replies):  # the socket closed meanwhile
            await anyio.to_thread.run_sync(self._unclaim, ids)

    def _take_pending(self, channel: str, sender_id: str) -> list[Reply]:
        with transaction(self.sessions) as session:
            return self.take_pending_in(session, channel, sender_id)

    def take_pending_in(self, session: Session, channel: str, sender_id: str) -> list[Reply]:
        """take_pending inside the caller's transaction (the router's, for the message the
        customer just sent: one transaction a turn instead of two)."""
        now = self.clock()
        rows = list(session.scalars(_undelivered(channel, sender_id)))
        names = display_names(
            session, {m.author.split(":", 1)[1] for m in rows if m.author.startswith("agent:")}
        )
        for message in rows:
            message.delivered_at = now
        return [reply_from_message(m, names) for m in rows]

    async def take_pending(self, channel: str, sender_id: str) -> list[Reply]:
        """The messages not yet delivered to this customer, oldest first, now marked
        delivered (the caller hands them over)."""
        return await anyio.to_thread.run_sync(self._take_pending, channel, sender_id)
