"""Telegram channel (python-telegram-bot 22).

Long polling when COMPLAINTBOT_TELEGRAM_TOKEN is set; webhook mode when
COMPLAINTBOT_TELEGRAM_WEBHOOK_URL is set too (POST /webhooks/telegram, Telegram's
X-Telegram-Bot-Api-Secret-Token header checked). Both modes run the same handler:

- text, and edited text (read as a new message: a corrected order number mid-form is
  simply the next answer);
- /start, /status, /human, /cancel, /help, mapped onto the bot's own button payloads;
- inline keyboard presses (callback queries): answered, the keyboard removed, the payload
  sent on as if typed;
- photos and documents: kept as evidence on the customer's open ticket (or their next one),
  with a reply in their language; a caption is read as text;
- a shared contact card: its phone number is read as the customer's answer;
- voice notes, stickers, locations...: a polite "please type" in their language;
- service messages (members joining, pins) and other update kinds: acknowledged, unanswered;
  an update python-telegram-bot cannot read is acknowledged with a warning (a retry could
  not read it either).

Every update id is claimed in the database before it is processed, so a duplicate (a
webhook retry, a polling restart) is never processed twice; a failed update is released so
Telegram's retry goes through. An update whose gateway died mid-way (claimed, maybe stored,
never answered) is taken over when Telegram delivers it again after the claim's lease: it
is answered then, its message not stored twice. Until the lease ends a redelivery is
turned away with 503 (webhook) or waited for (polling), never acknowledged unprocessed.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session, sessionmaker
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.channels.problems import problem
from bot.channels.telegram_agents import AgentGroup
from bot.clock import Clock, utcnow
from bot.config import Settings
from bot.conversations.store import (
    UpdateState,
    add_message,
    complete_update,
    conversation_language,
    get_or_create_conversation,
    release_update,
    take_update,
)
from bot.db import transaction
from bot.nlu.language import detect_language
from bot.routing.agent_desk import AgentDesk
from bot.routing.messages import Reply
from bot.routing.outbound import Outbound
from bot.routing.router import Router
from bot.tickets.evidence import add_evidence, store_file

logger = logging.getLogger(__name__)


class UpdateInProgress(RuntimeError):
    """An earlier delivery of the update may still be processed: try again later."""

    def __init__(self, update_id: int, retry_after: float) -> None:
        super().__init__(f"Telegram update {update_id} is being processed")
        self.retry_after = retry_after


def update_lease(rasa_timeout: float) -> timedelta:
    """How long an unfinished update is left to the process working on it: well over one
    turn (the Rasa call bounded by its timeout, storing, sending)."""
    return timedelta(seconds=2 * rasa_timeout + 5)


CHANNEL = "telegram"
MAX_TEXT = 4096  # Telegram's limit per message, in UTF-16 code units
MAX_CALLBACK_DATA = 64  # bytes
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMANDS = {
    "start": "/greet",
    "help": "/greet",
    "status": "/check_status",
    "human": "/request_human",
    "cancel": "/cancel",
}
EVIDENCE_SAVED = {
    "zh": "已收到您的{kind}，已附在工单 {ticket} 上，处理人员会一并查看。",
    "en": "Thank you, your {kind} is attached to ticket {ticket}; the person handling it will see it.",
}
EVIDENCE_WAITING = {
    "zh": "已收到您的{kind}并妥善保存，登记投诉时会一并附上。请用文字告诉我发生了什么。",
    "en": "Thank you, I've kept your {kind} and will attach it to your complaint. "
    "Please tell me in words what happened.",
}
EVIDENCE_TOO_BIG = {
    "zh": "抱歉，这个文件太大（上限 {mb} MB），无法保存。可以发一张截图或压缩后再发吗？",
    "en": "Sorry, that file is too large to keep (the limit is {mb} MB). "
    "Could you send a screenshot or a smaller file?",
}
EVIDENCE_FAILED = {
    "zh": "抱歉，文件暂时没能保存，请稍后再发一次。您的文字消息不受影响。",
    "en": "Sorry, I couldn't save that file just now; please send it again in a moment. "
    "Your text messages are not affected.",
}
KIND_NAMES = {
    "zh": {"photo": "照片", "document": "文件"},
    "en": {"photo": "photo", "document": "document"},
}
# What a customer may send that the bot cannot read (answered with TEXT_ONLY); a message
# with none of these, no text and no file is a service message.
UNREADABLE_CONTENT = (
    "sticker", "voice", "video", "video_note", "audio", "animation", "location", "venue",
    "poll", "dice", "game", "story", "invoice", "paid_media", "giveaway",
)  # fmt: skip
TEXT_ONLY = {
    "zh": "抱歉，我暂时只能读文字（语音、贴纸和位置还看不了）。请用文字描述您的问题，照片和文件可以直接发送。",
    "en": "Sorry, I can only read text for now (not voice notes, stickers or locations). "
    "Please type what happened; photos and documents are welcome.",
}


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Splits `text` into pieces Telegram accepts, at line breaks or spaces where possible.

    Lengths are counted in UTF-16 code units, as Telegram counts them (an emoji is two)."""

    def units(piece: str) -> int:
        return len(piece.encode("utf-16-le", "surrogatepass")) // 2

    pieces: list[str] = []
    rest = text
    while units(rest) > limit:
        cut = 0
        size = 0
        for index, char in enumerate(rest):
            size += units(char)
            if size > limit:
                break
            cut = index + 1
        window = rest[:cut]
        boundary = max(window.rfind("\n"), window.rfind(" "))
        if boundary > cut // 2:
            cut = boundary + 1
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    rest = rest.rstrip()
    if rest or not pieces:
        pieces.append(rest)
    return pieces


def keyboard(buttons: Sequence[dict[str, Any]]) -> InlineKeyboardMarkup | None:
    """One inline button per row; a payload longer than Telegram allows sends the title."""
    rows = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "")[:64]
        payload = str(button.get("payload") or title)
        if len(payload.encode("utf-8")) > MAX_CALLBACK_DATA:
            payload = title.encode("utf-8")[:MAX_CALLBACK_DATA].decode("utf-8", "ignore")
        if title:
            rows.append([InlineKeyboardButton(title, callback_data=payload)])
    return InlineKeyboardMarkup(rows) if rows else None


def command_payload(text: str) -> str | None:
    """`/status` or `/status@OurBot args` → the bot payload; None for anything else."""
    if not text.startswith("/"):
        return None
    name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    return COMMANDS.get(name)


class TelegramChannel:
    def __init__(
        self,
        settings: Settings,
        *,
        router: Router,
        outbound: Outbound,
        sessions: sessionmaker[Session],
        desk: AgentDesk | None = None,
        clock: Clock = utcnow,
    ) -> None:
        assert settings.telegram_token is not None
        self.settings = settings
        self.router = router
        self.outbound = outbound
        self.sessions = sessions
        self.clock = clock
        self.webhook = settings.telegram_webhook_url is not None
        self.evidence_dir: Path = settings.var_dir / "evidence"
        self.update_lease = update_lease(settings.rasa_timeout)
        api = settings.telegram_api_url
        builder = (
            ApplicationBuilder()
            .token(settings.telegram_token.get_secret_value())
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
        )
        if self.webhook:
            builder = builder.updater(None)
        self.application: Application[Any, Any, Any, Any, Any, Any] = builder.build()
        self.application.add_handler(TypeHandler(Update, self._on_polled_update))
        self.application.add_error_handler(self._on_error)
        self._started = False
        self._starter: asyncio.Task[None] | None = None
        # The agents' group: handoffs posted, claimed and answered there (never a customer).
        self.agents: AgentGroup | None = None
        if settings.telegram_agent_chat and desk is not None:
            self.agents = AgentGroup(
                chat=settings.telegram_agent_chat,
                bot=self.application.bot,
                ready=lambda: self._started,
                sessions=sessions,
                agent_desk=desk,
                clock=clock,
            )

    # --- life cycle -------------------------------------------------------------------

    async def _start_once(self) -> None:
        await self.application.initialize()
        if self.webhook:
            assert self.settings.telegram_webhook_url is not None
            await self.application.bot.set_webhook(
                url=self.settings.telegram_webhook_url,
                secret_token=self.settings.telegram_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            assert self.application.updater is not None
            await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await self.application.start()
        self._started = True
        me = self.application.bot.username
        logger.info("Telegram bot @%s connected (%s)", me, "webhook" if self.webhook else "polling")

    async def _keep_trying(self) -> None:
        """Telegram unreachable at start-up must not stop the gateway: retry with backoff."""
        delay = 2.0
        while not self._started:
            try:
                await self._start_once()
            except (TelegramError, OSError) as exc:
                logger.error("Telegram not reachable (%s); retrying in %.0fs", exc, delay)
                with contextlib.suppress(Exception):  # nothing more to clean up
                    await self.application.shutdown()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def start(self) -> None:
        self._starter = asyncio.create_task(self._keep_trying(), name="telegram-start")

    async def stop(self) -> None:
        if self._starter is not None and not self._starter.done():
            self._starter.cancel()
        if not self._started:
            return
        if self.agents is not None:
            await self.agents.drain()
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        self._started = False

    @property
    def ready(self) -> bool:
        return self._started

    # --- inbound ----------------------------------------------------------------------

    async def _on_polled_update(self, update: object, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if not isinstance(update, Update):
            return
        while True:  # polling cannot hand an update back: wait out an earlier attempt
            try:
                await self.handle_update(update)
                return
            except UpdateInProgress as busy:
                await asyncio.sleep(busy.retry_after)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("Telegram update failed: %r", context.error)

    async def handle_webhook(self, data: dict[str, Any]) -> None:
        try:
            update = Update.de_json(data, self.application.bot)
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # No retry can parse it either: acknowledged, so it does not come back forever.
            logger.warning(
                "Telegram update %s (%s) cannot be read and is skipped: %s",
                data.get("update_id"),
                ", ".join(sorted(k for k in data if k != "update_id")) or "empty",
                exc,
            )
            return
        await self.handle_update(update)

    def _take(self, update_id: int) -> UpdateState:
        with transaction(self.sessions) as session:
            return take_update(
                session,
                channel=CHANNEL,
                external_id=str(update_id),
                now=self.clock(),
                lease=self.update_lease,
            )

    def _complete(self, update_id: int) -> None:
        with transaction(self.sessions) as session:
            complete_update(session, channel=CHANNEL, external_id=str(update_id), now=self.clock())

    def _release(self, update_id: int) -> None:
        with transaction(self.sessions) as session:
            release_update(session, channel=CHANNEL, external_id=str(update_id))

    async def handle_update(self, update: Update) -> None:
        """Processes one update at most once; raises (after releasing it) when it failed, and
        UpdateInProgress while an earlier delivery of it may still be at work."""
        state = await anyio.to_thread.run_sync(self._take, update.update_id)
        if state == "done":
            logger.info("Telegram update %s already processed: skipped", update.update_id)
            return
        if state == "busy":
            raise UpdateInProgress(update.update_id, self.update_lease.total_seconds())
        if state == "resumed":
            logger.warning(
                "Telegram update %s was left unfinished: processing it", update.update_id
            )
        try:
            await self._dispatch(update)
        except BaseException:
            await anyio.to_thread.run_sync(self._release, update.update_id)
            raise
        await anyio.to_thread.run_sync(self._complete, update.update_id)

    async def _dispatch(self, update: Update) -> None:
        if self.agents is not None and self.agents.is_group(update.effective_chat):
            await self.agents.handle(update)
            return
        if update.callback_query is not None:
            await self._on_button(update.callback_query, update.update_id)
            return
        message = update.message or update.edited_message
        if message is None or message.chat is None:
            return
        chat_id = str(message.chat.id)
        if message.photo or message.document:
            await self._on_file(message, chat_id)
            if message.caption:
                await self._route(chat_id, message.caption, update.update_id)
            return
        if message.contact is not None and message.contact.phone_number:
            await self._route(chat_id, message.contact.phone_number, update.update_id)
            return
        if message.text is not None:
            text = command_payload(message.text) or message.text
            await self._route(chat_id, text, update.update_id)
            return
        if not any(getattr(message, kind, None) for kind in UNREADABLE_CONTENT):
            # A service message (members joined or left, a pin, a title...): nobody wrote.
            logger.info("Telegram update %s: service message ignored", update.update_id)
            return
        lang = await self._language(chat_id, message)
        await self.outbound.send(CHANNEL, chat_id, [Reply(TEXT_ONLY[lang], author="system")])

    async def _route(self, chat_id: str, text: str, update_id: int) -> None:
        replies = await self.router.handle(CHANNEL, chat_id, text, update_id=str(update_id))
        if replies:
            await self.send(chat_id, replies)

    async def _on_button(self, query: CallbackQuery, update_id: int) -> None:
        try:
            await query.answer()
        except TelegramError as exc:  # an old query cannot be answered: go on
            logger.info("callback query not answered: %s", exc)
        message = query.message
        if message is None or not query.data:
            return
        chat_id = str(message.chat.id)
        if isinstance(message, Message) and message.reply_markup is not None:
            try:
                await query.edit_message_reply_markup(reply_markup=None)
            except TelegramError as exc:
                logger.info("keyboard not removed: %s", exc)
        await self._route(chat_id, str(query.data), update_id)

    async def _language(self, chat_id: str, message: Message) -> str:
        def stored() -> str | None:
            with self.sessions() as session:
                return conversation_language(session, channel=CHANNEL, sender_id=chat_id)

        lang = await anyio.to_thread.run_sync(stored)
        if lang:
            return lang
        code = (message.from_user.language_code or "") if message.from_user else ""
        return (
            "zh"
            if code.lower().startswith("zh")
            else detect_language(message.caption or "") or "en"
        )

    async def _on_file(self, message: Message, chat_id: str) -> None:
        lang = await self._language(chat_id, message)
        if message.photo:
            attachment: Any = message.photo[-1]  # the largest size
            kind, name, mime = "photo", f"photo_{message.message_id}.jpg", "image/jpeg"
        else:
            attachment = message.document
            assert attachment is not None
            kind = "document"
            name = attachment.file_name or f"document_{message.message_id}"
            mime = attachment.mime_type
        label = KIND_NAMES[lang][kind]
        limit = self.settings.max_evidence_bytes
        await anyio.to_thread.run_sync(
            self._store_inbound_note,
            chat_id,
            f"[{kind}] {name}" + (f" — {message.caption}" if message.caption else ""),
        )
        if attachment.file_size and attachment.file_size > limit:
            text = EVIDENCE_TOO_BIG[lang].format(mb=limit // (1024 * 1024) or 1)
            await self.outbound.send(CHANNEL, chat_id, [Reply(text, author="system")])
            return
        try:
            file = await attachment.get_file()
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            logger.warning("could not download a %s from %s: %s", kind, CHANNEL, exc)
            await self.outbound.send(
                CHANNEL, chat_id, [Reply(EVIDENCE_FAILED[lang], author="system")]
            )
            return
        if len(data) > limit:
            text = EVIDENCE_TOO_BIG[lang].format(mb=limit // (1024 * 1024) or 1)
            await self.outbound.send(CHANNEL, chat_id, [Reply(text, author="system")])
            return
        ticket_id = await anyio.to_thread.run_sync(
            self._keep_evidence,
            chat_id,
            kind,
            name,
            mime,
            data,
            attachment.file_unique_id,
            message.caption,
        )
        template = EVIDENCE_SAVED if ticket_id else EVIDENCE_WAITING
        text = template[lang].format(kind=label, ticket=ticket_id)
        await self.outbound.send(CHANNEL, chat_id, [Reply(text, author="system")])

    def _store_inbound_note(self, chat_id: str, text: str) -> None:
        now = self.clock()
        with transaction(self.sessions) as session:
            conv = get_or_create_conversation(session, channel=CHANNEL, sender_id=chat_id, now=now)
            add_message(
                session, conversation=conv, direction="in", author="customer", text=text, now=now
            )

    def _keep_evidence(
        self,
        chat_id: str,
        kind: str,
        name: str,
        mime: str | None,
        data: bytes,
        external_id: str | None,
        caption: str | None,
    ) -> str | None:
        now = self.clock()
        stored = store_file(self.evidence_dir, data, name, now)
        with transaction(self.sessions) as session:
            item = add_evidence(
                session,
                channel=CHANNEL,
                sender_id=chat_id,
                kind=kind,
                file_name=name,
                mime_type=mime,
                size=len(data),
                stored_path=stored,
                now=now,
                external_id=external_id,
                caption=caption,
            )
            return item.ticket_id

    # --- outbound ---------------------------------------------------------------------

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Sends replies already stored by the router, split at Telegram's limit."""
        bot = self.application.bot
        for reply in replies:
            text = reply.text
            if reply.author.startswith("agent:") and reply.display_name:
                text = f"{reply.display_name}: {text}"
            pieces = split_text(text) if text else [""]
            markup = keyboard(reply.buttons)
            for index, piece in enumerate(pieces):
                last = index == len(pieces) - 1
                if not piece and not (last and markup):
                    continue
                await bot.send_message(
                    chat_id=int(chat_id),
                    text=piece or "…",
                    reply_markup=markup if last else None,
                )

    async def deliver(self, sender_id: str, replies: Sequence[Reply]) -> bool:
        """The outbound interface's deliverer: pushes agent messages and follow-ups."""
        if not self._started:
            return False
        await self.send(sender_id, replies)
        return True


router = APIRouter(tags=["channels"])


@router.post(
    "/webhooks/telegram",
    summary="Telegram webhook (only when COMPLAINTBOT_TELEGRAM_WEBHOOK_URL is set)",
    include_in_schema=True,
    responses={
        400: problem("the body is not a JSON update"),
        403: problem("the secret token header is wrong"),
        404: problem("the gateway runs without a Telegram webhook"),
        500: problem("the update could not be processed; Telegram sends it again"),
        503: problem("the update is being processed elsewhere; Telegram sends it again"),
    },
)
async def telegram_webhook(request: Request) -> JSONResponse:
    """Checks Telegram's secret-token header, then processes the update before answering,
    so a failure makes Telegram retry (and a retry of a processed update is skipped)."""
    channel: TelegramChannel | None = getattr(request.app.state, "telegram", None)
    if channel is None or not channel.webhook:
        return JSONResponse(status_code=404, content={"detail": "Telegram webhook not enabled"})
    expected = channel.settings.telegram_secret or ""
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        return JSONResponse(status_code=403, content={"detail": "bad secret token"})
    try:
        data = await request.json()
    except ValueError:
        return JSONResponse(status_code=400, content={"detail": "body must be a JSON update"})
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return JSONResponse(status_code=400, content={"detail": "body must be a JSON update"})
    try:
        await channel.handle_webhook(data)
    except UpdateInProgress as busy:  # not acknowledged: Telegram delivers it again
        return JSONResponse(
            status_code=503,
            headers={"Retry-After": str(round(busy.retry_after))},
            content={"detail": "update being processed; retry later"},
        )
    except Exception:
        logger.exception("Telegram update %s failed; Telegram will retry", data.get("update_id"))
        return JSONResponse(status_code=500, content={"detail": "update not processed"})
    return JSONResponse(content={"ok": True})
