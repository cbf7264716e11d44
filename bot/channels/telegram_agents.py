"""The agents' Telegram group (COMPLAINTBOT_TELEGRAM_AGENT_CHAT): handoffs, claims and
answers to customers without opening the console.

- Every ticket that starts waiting for a human is posted to the group: severity (urgent
  and major marked), ticket id, category, a one-line excerpt with phone numbers and e-mail
  addresses masked, channel, language, how many customers are waiting, and a Claim button.
- Claim works for agents whose Telegram account is linked (`complaintbot agents
  link-telegram NAME TELEGRAM_USER_ID`); it is the console's claim (`AgentDesk`), so two
  agents never get the same ticket. The post is edited to say who has it, wherever the
  claim came from (group or console).
- The agent answers the customer by *replying* to the ticket's post (or to any message the
  bot posted for that ticket) in the group. Replies are the design rather than a private
  chat with the bot: one place to look, an agent can work several tickets at once, and it
  works with the group privacy mode on (bots always see replies to their own messages).
  Messages that reply to nothing are the agents' own chatter and are left alone.
- The customer's messages, while a linked agent has the conversation, are posted as
  replies to the ticket's post (masked like the excerpt: the group's history lives on
  Telegram's servers; the console shows the full text).
- `/resolve CP-... what was done` and `/release CP-... [note]` (the ticket id may be left
  out when the command replies to the ticket's post) do what the console's buttons do.

Everything in the group is in English, like the console. Work is done in background tasks
so a slow Telegram never holds up a customer's answer; failures are logged.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import anyio
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    ReplyParameters,
    Update,
)
from telegram.error import TelegramError

from bot.agents.service import agent_for_telegram, display_names, get_agent
from bot.channels.telegram_posts import (
    give_back,
    last_message_id,
    post_of_ticket,
    save_post,
    take_unforwarded,
    ticket_of_post,
)
from bot.clock import Clock, utcnow
from bot.conversations.models import Conversation
from bot.conversations.models import Message as StoredMessage
from bot.db import transaction
from bot.handoff import desk
from bot.i18n import cut
from bot.privacy import mask_pii
from bot.routing.agent_desk import AgentDesk, DeskAgent, DeskEvent
from bot.tickets.audit import Actor
from bot.tickets.lifecycle import InvalidTransition
from bot.tickets.models import Ticket
from bot.tickets.numbering import normalise_ticket_id
from bot.tickets.permissions import Forbidden
from bot.tickets.service import InvalidChange, TicketNotFound

logger = logging.getLogger(__name__)

CLAIM_PREFIX = "claim:"
EXCERPT_CHARS = 120
FORWARDED_CHARS = 2000
TICKET_IN_TEXT = re.compile(r"\bCP-\d{8}-\d{4}\b", re.IGNORECASE)
HEADLINES = {"urgent": "🔴 URGENT handoff", "major": "🟠 MAJOR handoff"}
LINK_FIRST = (
    "Link your Telegram account first: an admin runs "
    "`complaintbot agents link-telegram YOUR_USERNAME {user_id}`."
)
USAGE = {
    "resolve": "Usage: /resolve CP-YYYYMMDD-NNNN what was done (or reply to the ticket's post)",
    "release": "Usage: /release CP-YYYYMMDD-NNNN [note] (or reply to the ticket's post)",
}
HELP = (
    "Agents' group: press Claim on a handoff to take it (your Telegram account must be "
    "linked to your agent account). Reply to the ticket's message to write to the customer. "
    "/resolve CP-... what was done · /release CP-... [note] hands the chat back to the bot."
)


def one_line(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Masked, on one line, cut at `limit` characters."""
    return cut(" ".join(mask_pii(text or "").split()), limit)


def post_text(
    *,
    ticket_id: str,
    severity: str,
    category: str,
    excerpt: str,
    channel: str,
    language: str | None,
    waiting: int | None,
) -> str:
    """The ticket's post; `waiting` None once it is not waiting any more (an edit)."""
    headline = HEADLINES.get(severity, "New handoff")
    lines = [f"{headline} · {ticket_id} · {category}"]
    if excerpt:
        lines.append(f"“{excerpt}”")
    where = f"{channel} · {language or '?'}"
    if waiting is not None:
        where += f" · {waiting} customer{'s' if waiting != 1 else ''} waiting"
    lines.append(where)
    return "\n".join(lines)


def handover_text(*, ticket_id: str, to_team: str, reason: str, members: list[str]) -> str:
    """The group's note of a hand-over to another team; the reason masked, on one line."""
    lines = [f"Handed over · {ticket_id} → {to_team}", f"“{one_line(reason)}”"]
    if members:
        lines.append("For " + ", ".join(members))
    return "\n".join(lines)


def claim_button(ticket_id: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton("Claim", callback_data=f"{CLAIM_PREFIX}{ticket_id}")]]
    )


def command_of(text: str) -> tuple[str, list[str]] | None:
    """`/resolve@OurBot CP-1 done` → ("resolve", ["CP-1", "done"]); None for plain text."""
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, rest = text[1:].partition(" ")
    name = head.split("@", 1)[0].lower()
    rest = rest.strip()
    if not rest:
        return name, []
    first, _, tail = rest.partition(" ")
    return name, [first, tail.strip()] if tail.strip() else [first]


def refusal(exc: Exception) -> str:
    """A service's refusal in a sentence for the group."""
    said = str(exc).strip("'\"")
    if isinstance(exc, TicketNotFound):
        return f"no ticket {said}"
    return said or type(exc).__name__


def forwarded_text(ticket_id: str, text: str) -> str:
    """A customer's message as the group sees it: masked, and short enough for Telegram
    (4,096 UTF-16 units; a character is at most two)."""
    shown = mask_pii(text)
    if len(shown) > FORWARDED_CHARS:
        shown = shown[:FORWARDED_CHARS] + "… (cut; the console has all of it)"
    return f"💬 {ticket_id} · customer:\n{shown}"


REFUSALS = (
    LookupError,
    TicketNotFound,
    Forbidden,
    desk.Conflict,
    InvalidTransition,
    InvalidChange,
    ValueError,
)


@dataclass(frozen=True)
class _Forward:
    ticket_id: str
    chat_id: int
    message_id: int
    before: int
    taken_through: int
    messages: list[tuple[int, str]]


class AgentGroup:
    def __init__(
        self,
        *,
        chat: str,
        bot: Bot,
        ready: Callable[[], bool],
        sessions: sessionmaker[Session],
        agent_desk: AgentDesk,
        clock: Clock = utcnow,
    ) -> None:
        self.chat = chat.strip()
        self.bot = bot
        self.ready = ready
        self.sessions = sessions
        self.desk = agent_desk
        self.clock = clock
        self._tasks: set[asyncio.Task[None]] = set()
        # One batch at a time, so the customer's messages reach the group in their order.
        self._forwarding = asyncio.Lock()
        agent_desk.listen(self._on_desk_event)

    def is_group(self, chat: Chat | None) -> bool:
        if chat is None:
            return False
        if self.chat.startswith("@"):
            return (chat.username or "").lower() == self.chat[1:].lower()
        return str(chat.id) == self.chat

    # --- hooks: called from the gateway's code, never block it ------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        async def guarded() -> None:
            try:
                await work
            except Exception:
                logger.exception("agents' group: %s failed", what)

        task = asyncio.get_running_loop().create_task(guarded())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def ticket_queued(self, ticket_id: str) -> None:
        """The handover's hook: a ticket started waiting for a human."""
        self._spawn(self.post_ticket(ticket_id), f"posting {ticket_id}")

    def customer_message(self, conversation_id: int) -> None:
        """The router's hook: a customer wrote while a human has (or will have) the chat."""
        self._spawn(self.forward(conversation_id), f"forwarding conversation {conversation_id}")

    def team_handover(self, ticket_id: str, *, to_team: str, reason: str,
                      members: list[str]) -> None:  # fmt: skip
        """A ticket was handed to another team (流转): tell its members in the group."""
        self._spawn(self._post_handover(ticket_id, to_team, reason, members),
                    f"handing over {ticket_id}")  # fmt: skip

    async def _post_handover(
        self, ticket_id: str, to_team: str, reason: str, members: list[str]
    ) -> None:
        if not self.ready():
            logger.warning("agents' group: Telegram not connected, hand-over of %s not posted",
                           ticket_id)  # fmt: skip
            return
        text = handover_text(ticket_id=ticket_id, to_team=to_team, reason=reason,
                             members=members)  # fmt: skip
        await self.bot.send_message(chat_id=self.chat, text=text)

    def _on_desk_event(self, event: DeskEvent) -> None:
        if event.ticket_id is None or event.kind == "message":
            return
        self._spawn(self._after(event), f"{event.kind} {event.ticket_id}")

    async def drain(self) -> None:
        """Waits for the work in flight (shutdown, tests)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # --- posts ------------------------------------------------------------------------------

    def _text(self, session: Session, ticket: Ticket, waiting: int | None) -> str:
        """The post, written from the ticket as it is now (after `customer forget` too)."""
        conversation = desk.conversation_of(session, ticket)
        excerpt = ticket.description or ""
        if not excerpt and conversation is not None:
            excerpt = (
                session.scalar(
                    select(StoredMessage.text)
                    .where(
                        StoredMessage.conversation_id == conversation.id,
                        StoredMessage.direction == "in",
                    )
                    .order_by(StoredMessage.id.desc())
                    .limit(1)
                )
                or ""
            )
        return post_text(
            ticket_id=ticket.id,
            severity=ticket.severity,
            category=ticket.category,
            excerpt=one_line(excerpt),
            channel=ticket.channel,
            language=ticket.language,
            waiting=waiting,
        )

    def _describe(self, ticket_id: str, claimed: bool) -> tuple[str, int] | None:
        """The new post's text and the conversation's last message id, or None when the
        ticket is finished."""
        waiting = None if claimed else self.desk.queue.length()
        with self.sessions() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None or ticket.status in desk.FINISHED_STATUSES:
                return None
            conversation = desk.conversation_of(session, ticket)
            last = last_message_id(session, conversation.id if conversation else None)
            return self._text(session, ticket, waiting), last

    async def post_ticket(self, ticket_id: str, *, claimed_by: str | None = None) -> None:
        """Posts the ticket with a Claim button (or, already claimed, with who has it)."""
        if not self.ready():
            logger.warning("agents' group: Telegram not connected, %s not posted", ticket_id)
            return
        described = await anyio.to_thread.run_sync(
            self._describe, ticket_id, claimed_by is not None
        )
        if described is None:
            return
        text, through = described
        shown = text if claimed_by is None else f"{text}\n{claimed_by}"
        sent = await self.bot.send_message(
            chat_id=self.chat,
            text=shown,
            reply_markup=claim_button(ticket_id) if claimed_by is None else None,
        )

        def save() -> None:
            with transaction(self.sessions) as session:
                save_post(session, ticket_id=ticket_id, chat_id=sent.chat_id,
                          message_id=sent.message_id, forwarded_through=through,
                          now=self.clock())  # fmt: skip

        await anyio.to_thread.run_sync(save)
        logger.info("agents' group: %s posted", ticket_id)

    def _post_state(self, ticket_id: str) -> tuple[int, int, str] | None:
        """Where the ticket's post is, and its text as an edit shows it."""
        with self.sessions() as session:
            post = post_of_ticket(session, ticket_id)
            ticket = session.get(Ticket, ticket_id)
            if post is None or ticket is None:
                return None
            return post.chat_id, post.message_id, self._text(session, ticket, None)

    def _linked(self, username: str) -> tuple[str, bool]:
        """The agent's display name, and whether they work from Telegram."""
        with self.sessions() as session:
            agent = get_agent(session, username)
            if agent is None:
                return username, False
            return agent.display_name, agent.telegram_user_id is not None

    async def _after(self, event: DeskEvent) -> None:
        """Keeps the ticket's post up to date after a claim, a resolve or a release."""
        assert event.ticket_id is not None
        if not self.ready():
            return
        name, linked = await anyio.to_thread.run_sync(self._linked, event.agent)
        status = {
            "claimed": f"✅ Claimed by {name}"
            + (" — reply to this message to write to the customer" if linked else ""),
            "resolved": f"✔️ Resolved by {name}",
            "released": f"↩️ {name} handed the chat back to the bot",
        }[event.kind]
        post = await anyio.to_thread.run_sync(self._post_state, event.ticket_id)
        if post is None:
            if event.kind == "claimed" and linked:  # queued before the group was set up
                await self.post_ticket(event.ticket_id, claimed_by=status)
        else:
            chat_id, message_id, text = post
            try:
                await self.bot.edit_message_text(
                    chat_id=chat_id, message_id=message_id, text=f"{text}\n{status}"
                )
            except TelegramError as exc:  # deleted, or too old to edit: say it below it
                logger.info("agents' group: post of %s not edited (%s)", event.ticket_id, exc)
                await self._reply(chat_id, message_id, f"{event.ticket_id}: {status}")
        if event.kind == "claimed" and event.conversation_id is not None:
            await self.forward(event.conversation_id)  # what they wrote while waiting

    # --- the customer's messages to the group -----------------------------------------------

    def _take_batch(self, conversation_id: int) -> _Forward | None:
        with transaction(self.sessions) as session:
            conversation = session.get(Conversation, conversation_id)
            if conversation is None or conversation.owner != "agent":
                return None
            agent = get_agent(session, conversation.assigned_agent or "")
            if agent is None or agent.telegram_user_id is None:
                return None
            ticket = desk.open_ticket_of(session, conversation)
            post = post_of_ticket(session, ticket.id) if ticket is not None else None
            if ticket is None or post is None:
                return None
            before, messages = take_unforwarded(session, post, conversation_id)
            if not messages:
                return None
            return _Forward(ticket.id, post.chat_id, post.message_id, before, messages[-1].id,
                            [(m.id, m.text) for m in messages])  # fmt: skip

    async def forward(self, conversation_id: int) -> None:
        """Posts the customer's new messages under their ticket's post, once each."""
        if not self.ready():
            return
        async with self._forwarding:
            batch = await anyio.to_thread.run_sync(self._take_batch, conversation_id)
            if batch is not None:
                await self._post_batch(batch)

    async def _post_batch(self, batch: _Forward) -> None:
        sent_through = batch.before
        try:
            for message_id, text in batch.messages:
                await self._reply(
                    batch.chat_id,
                    batch.message_id,
                    forwarded_text(batch.ticket_id, text),
                )
                sent_through = message_id
        except TelegramError:
            ticket_id, taken, before = batch.ticket_id, batch.taken_through, sent_through

            def undo() -> None:
                with transaction(self.sessions) as session:
                    give_back(session, ticket_id=ticket_id, taken_through=taken, before=before)

            await anyio.to_thread.run_sync(undo)
            raise

    async def _reply(self, chat_id: int | str, message_id: int, text: str) -> Message:
        return await self.bot.send_message(
            chat_id=chat_id,
            text=text,
            reply_parameters=ReplyParameters(message_id, allow_sending_without_reply=True),
        )

    # --- updates from the group -------------------------------------------------------------

    async def handle(self, update: Update) -> None:
        """An update from the agents' group (never routed to the bot as a customer)."""
        if update.callback_query is not None:
            await self._on_button(update.callback_query)
        elif update.message is not None:
            await self._on_message(update.message)
        # Edited messages are left alone: what an agent sent is already with the customer.

    def _agent(self, telegram_user_id: int) -> DeskAgent | None:
        with self.sessions() as session:
            agent = agent_for_telegram(session, telegram_user_id)
            if agent is None:
                return None
            return DeskAgent(Actor.agent(agent.username, agent.role), agent.display_name)

    def _why_gone(self, ticket_id: str, me: str) -> str:
        """Why a claim found the ticket off the queue: who has it, or what became of it."""
        with self.sessions() as session:
            ticket = session.get(Ticket, ticket_id)
            if ticket is None:
                return f"No ticket {ticket_id}"
            if ticket.status in desk.FINISHED_STATUSES:
                return f"{ticket_id} is {ticket.status}"
            holder = ticket.assigned_agent
            if holder == me:
                return f"You already have {ticket_id}"
            if holder:
                name = display_names(session, [holder]).get(holder, holder)
                return f"{ticket_id} is already taken by {name}"
            return f"{ticket_id} is not waiting in the queue"

    async def _on_button(self, query: CallbackQuery) -> None:
        data = query.data or ""
        ticket_id = normalise_ticket_id(data[len(CLAIM_PREFIX) :])
        if not data.startswith(CLAIM_PREFIX) or ticket_id is None:
            await self._answer(query, None)
            return
        agent = await anyio.to_thread.run_sync(self._agent, query.from_user.id)
        if agent is None:
            await self._answer(query, LINK_FIRST.format(user_id=query.from_user.id), alert=True)
            return
        try:
            await self.desk.claim(ticket_id, agent)
        except (Forbidden, desk.Conflict):  # someone was first (or it is over): say so
            why = await anyio.to_thread.run_sync(self._why_gone, ticket_id, agent.username)
            await self._answer(query, why, alert=True)
            return
        except REFUSALS as exc:
            await self._answer(query, f"Not claimed: {refusal(exc)}", alert=True)
            return
        await self._answer(
            query, f"Claimed by {agent.display_name}. Reply to the ticket's message to answer."
        )

    async def _answer(self, query: CallbackQuery, text: str | None, *, alert: bool = False) -> None:
        try:
            await query.answer(text=text[:200] if text else None, show_alert=alert or None)
        except TelegramError as exc:  # too old to answer: the edit of the post still shows
            logger.info("agents' group: callback not answered (%s)", exc)

    def _ticket_replied_to(self, message: Message) -> str | None:
        """The ticket whose post (or forwarded message) `message` replies to."""
        replied = message.reply_to_message
        if replied is None or replied.from_user is None or replied.from_user.id != self.bot.id:
            return None
        with self.sessions() as session:
            found = ticket_of_post(session, chat_id=replied.chat_id, message_id=replied.message_id)
        if found is not None:
            return found
        match = TICKET_IN_TEXT.search(replied.text or "")
        return normalise_ticket_id(match.group(0)) if match else None

    async def _on_message(self, message: Message) -> None:
        text = message.text
        user = message.from_user
        if text is None or user is None or user.is_bot:
            return
        command = command_of(text)
        if command is not None:
            await self._on_command(message, user.id, *command)
            return
        ticket_id = await anyio.to_thread.run_sync(self._ticket_replied_to, message)
        if ticket_id is None:
            return  # the agents talking among themselves
        agent = await anyio.to_thread.run_sync(self._agent, user.id)
        if agent is None:
            await message.reply_text(LINK_FIRST.format(user_id=user.id))
            return
        conversation_id = await anyio.to_thread.run_sync(self._conversation_of, ticket_id)
        try:
            if conversation_id is None:
                raise LookupError(f"{ticket_id} has no conversation to answer")
            await self.desk.send(conversation_id, agent, text)
        except REFUSALS as exc:
            await message.reply_text(f"Not sent to the customer: {refusal(exc)}")

    def _conversation_of(self, ticket_id: str) -> int | None:
        with self.sessions() as session:
            ticket = session.get(Ticket, ticket_id)
            conversation = desk.conversation_of(session, ticket) if ticket is not None else None
            return conversation.id if conversation is not None else None

    async def _on_command(self, message: Message, user_id: int, name: str, args: list[str]) -> None:
        if name == "help" or name == "start":
            await message.reply_text(HELP)
            return
        if name not in USAGE:
            return  # another bot's command, or a typo: not ours to answer
        ticket_id = normalise_ticket_id(args[0]) if args else None
        note = " ".join(args[1:] if ticket_id is not None else args)
        if ticket_id is None:
            ticket_id = await anyio.to_thread.run_sync(self._ticket_replied_to, message)
        if ticket_id is None or (name == "resolve" and not note.strip()):
            await message.reply_text(USAGE[name])
            return
        agent = await anyio.to_thread.run_sync(self._agent, user_id)
        if agent is None:
            await message.reply_text(LINK_FIRST.format(user_id=user_id))
            return
        try:
            if name == "resolve":
                await self.desk.resolve(ticket_id, agent, note)
                done = f"{ticket_id} resolved; the bot asks the customer for a rating."
            else:
                await self.desk.release(ticket_id, agent, note or None)
                done = f"{ticket_id}: the bot has the chat again; the ticket stays yours."
        except REFUSALS as exc:
            await message.reply_text(f"Not done: {refusal(exc)}")
            return
        await message.reply_text(done)
