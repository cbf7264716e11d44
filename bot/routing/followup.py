"""Starting the follow-up (回访) when a ticket is resolved: the conversation goes back to the
bot, Rasa is told through an external event (trigger_intent EXTERNAL_follow_up), and what
the bot says is delivered through the outbound interface on the customer's channel. A
widget customer who is offline gets it on their next visit (pending delivery).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import anyio
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.conversations.keys import conversation_key
from bot.conversations.models import Conversation
from bot.routing.handover import Handover
from bot.routing.messages import Reply
from bot.routing.outbound import Outbound
from bot.routing.rasa_client import RasaClient, RasaUnavailable
from bot.tickets.models import Ticket

if TYPE_CHECKING:
    from bot.metrics import Metrics

logger = logging.getLogger(__name__)

FOLLOW_UP_INTENT = "EXTERNAL_follow_up"


class FollowUp:
    def __init__(
        self,
        *,
        sessions: sessionmaker[Session],
        rasa: RasaClient,
        outbound: Outbound,
        handover: Handover,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics
        self.sessions = sessions
        self.rasa = rasa
        self.outbound = outbound
        self.handover = handover
        self._tasks: set[asyncio.Task[bool]] = set()

    def _target(self, ticket_id: str) -> tuple[str, str, int | None, str] | None:
        with self.sessions() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None or ticket.status != "resolved":
                return None
            conversation = session.scalars(
                select(Conversation).where(
                    Conversation.channel == ticket.channel,
                    Conversation.sender_id == ticket.sender_id,
                )
            ).one_or_none()
            owner = conversation.owner if conversation is not None else "bot"
            return (
                ticket.channel,
                ticket.sender_id,
                conversation.id if conversation is not None else None,
                owner,
            )

    async def start(self, ticket_id: str) -> bool:
        """Sends the follow-up for a resolved ticket; False when it could not (logged)."""
        target = await anyio.to_thread.run_sync(self._target, ticket_id)
        if target is None:
            return False
        channel, sender_id, conversation_id, owner = target
        if conversation_id is not None and owner != "bot":
            await self.handover.back_to_bot(conversation_id)
        key = conversation_key(channel, sender_id)
        try:
            messages = await self.rasa.trigger_intent(
                key, FOLLOW_UP_INTENT, {"ticket_id": ticket_id}
            )
        except RasaUnavailable as exc:
            logger.warning("follow-up of %s not sent: %s", ticket_id, exc)
            if self.metrics is not None:
                self.metrics.followup(sent=False)
            return False
        replies = [
            Reply(str(m.get("text") or ""), list(m.get("buttons") or []))
            for m in messages
            if m.get("text") or m.get("buttons")
        ]
        delivered = await self.outbound.send(channel, sender_id, replies)
        if self.metrics is not None:
            self.metrics.followup(sent=bool(replies))
        logger.info(
            "follow-up of %s %s",
            ticket_id,
            "delivered" if delivered else "waiting for the customer",
        )
        return bool(replies)

    def start_soon(self, ticket_id: str) -> None:
        """Starts the follow-up in the background (an API answer need not wait for Rasa)."""
        task = asyncio.get_running_loop().create_task(self._guarded(ticket_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, ticket_id: str) -> bool:
        try:
            return await self.start(ticket_id)
        except Exception:
            logger.exception("follow-up of %s failed", ticket_id)
            return False

    async def drain(self) -> None:
        """Waits for follow-ups in flight (shutdown, tests)."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
