"""A local stand-in for Telegram's Bot API server: the one part of the system we cannot reach.

It answers the methods python-telegram-bot calls (getMe, getUpdates, setWebhook,
deleteWebhook, sendMessage, answerCallbackQuery, editMessageReplyMarkup, editMessageText,
getFile and file downloads), records every call with the message it returned, and serves
updates that tests queue. Requests arrive the way PTB sends them: form fields, with
JSON-encoded values for objects. Chats with a negative id are groups, as in Telegram.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.stack import free_port

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Complaint Desk", "username": "cb_test_bot"}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    result: Any = None


@dataclass
class FakeBotApi:
    token: str
    calls: list[Call] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)
    _updates: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _message_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    port: int = 0
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- what tests use ---------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> None:
        with self._lock:
            self._updates.append(update)

    def sent(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """sendMessage calls, optionally to one chat."""
        with self._lock:
            calls = [c.params for c in self.calls if c.method == "sendMessage"]
        return [p for p in calls if chat_id is None or int(p["chat_id"]) == chat_id]

    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages the bot sent to a chat, as Telegram returned them (with ids)."""
        with self._lock:
            calls = [c for c in self.calls if c.method == "sendMessage"]
        return [c.result for c in calls if int(c.params["chat_id"]) == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        with self._lock:
            return [c.params for c in self.calls if c.method == method]

    def methods(self) -> list[str]:
        with self._lock:
            return [c.method for c in self.calls]

    def wait_for(self, predicate: Any, timeout: float = 60.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what or predicate}; calls: {self.methods()}")

    # --- the server -------------------------------------------------------------------

    async def _params(self, request: Request) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        kind = request.headers.get("content-type", "")
        if "json" in kind:
            body = await request.body()
            raw = json.loads(body) if body else {}
        elif request.method == "POST":  # PTB posts url-encoded forms when no file is sent
            body = (await request.body()).decode("utf-8")
            raw = dict(urllib.parse.parse_qsl(body, keep_blank_values=True))
        raw.update(request.query_params)
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str) and value[:1] in "[{":
                with contextlib.suppress(ValueError):  # not JSON after all: keep the text
                    value = json.loads(value)
            params[key] = value
        return params

    def _message(self, chat_id: Any, text: str, markup: Any = None) -> dict[str, Any]:
        chat = int(chat_id)
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat, "type": "supergroup" if chat < 0 else "private"},
            "from": BOT_USER,
            "text": text,
        }
        if markup:
            message["reply_markup"] = markup
        return message

    async def _method(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return JSONResponse(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        method = request.path_params["method"]
        params = await self._params(request)
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
        result: Any = True
        if method == "getMe":
            result = BOT_USER
        elif method == "getUpdates":
            offset = int(params.get("offset") or 0)
            # A long poll held at most 0.25 s: stopping the channel waits for the poll in
            # flight, and every test stops one.
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 0.25)
            while True:
                with self._lock:
                    self._updates = [u for u in self._updates if u["update_id"] >= offset]
                    result = list(self._updates)
                if result or time.monotonic() >= deadline:
                    break
                await asyncio.sleep(0.05)
        elif method == "sendMessage":
            result = self._message(params["chat_id"], params["text"], params.get("reply_markup"))
        elif method == "editMessageReplyMarkup":
            result = self._message(params["chat_id"], "(edited)", params.get("reply_markup"))
        elif method == "editMessageText":
            result = {
                **self._message(params["chat_id"], params["text"], params.get("reply_markup")),
                "message_id": int(params["message_id"]),
                "edit_date": int(time.time()),
            }
        elif method == "getFile":
            file_id = params["file_id"]
            data = self.files.get(file_id)
            if data is None:
                return JSONResponse(
                    {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"},
                    400,
                )
            result = {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "file_size": len(data),
                "file_path": f"files/{file_id}",
            }
        call.result = result
        return JSONResponse({"ok": True, "result": result})

    async def _download(self, request: Request) -> Response:
        if request.path_params["token"] != self.token:
            return Response(status_code=401)
        file_id = request.path_params["path"].rsplit("/", 1)[-1]
        data = self.files.get(file_id)
        return (
            Response(data, media_type="application/octet-stream")
            if data
            else Response(status_code=404)
        )

    def start(self) -> FakeBotApi:
        app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._method, methods=["GET", "POST"]),
                Route("/file/bot{token}/{path:path}", self._download, methods=["GET"]),
            ]
        )
        self.port = free_port()
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("fake Bot API server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)


# --- Update JSON, as Telegram sends it ------------------------------------------------

_update_ids = itertools.count(500_000)
# Far above the ids the fake gives the bot's own messages (from 1000, per server): a
# member's message never has the id of one of the bot's, however many tests run.
_message_ids = itertools.count(100_000_000)


def _user(chat_id: int, language: str) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Li", "language_code": language}


def _base_message(chat_id: int, language: str) -> dict[str, Any]:
    return {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": chat_id, "type": "private", "first_name": "Li"},
        "from": _user(chat_id, language),
    }


def text_update(
    chat_id: int, text: str, *, language: str = "en", edited: bool = False
) -> dict[str, Any]:
    message = {**_base_message(chat_id, language), "text": text}
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if edited:
        message["edit_date"] = int(time.time())
    return {"update_id": next(_update_ids), "edited_message" if edited else "message": message}


def button_update(chat_id: int, data: str, *, language: str = "en") -> dict[str, Any]:
    shown = {
        **_base_message(chat_id, language),
        "from": BOT_USER,
        "text": "(the bot's question)",
        "reply_markup": {"inline_keyboard": [[{"text": "button", "callback_data": data}]]},
    }
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cq-{next(_message_ids)}",
            "from": _user(chat_id, language),
            "chat_instance": "ci-1",
            "message": shown,
            "data": data,
        },
    }


def photo_update(
    chat_id: int, file_id: str, size: int, *, caption: str | None = None
) -> dict[str, Any]:
    message = {
        **_base_message(chat_id, "en"),
        "photo": [
            {"file_id": f"{file_id}-small", "file_unique_id": "s", "width": 90, "height": 90},
            {
                "file_id": file_id,
                "file_unique_id": f"u-{file_id}",
                "width": 800,
                "height": 600,
                "file_size": size,
            },
        ],
    }
    if caption:
        message["caption"] = caption
    return {"update_id": next(_update_ids), "message": message}


def voice_update(chat_id: int) -> dict[str, Any]:
    message = {
        **_base_message(chat_id, "zh-hans"),
        "voice": {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3},
    }
    return {"update_id": next(_update_ids), "message": message}


# --- the agents' group ------------------------------------------------------------------


def _member(user_id: int, name: str) -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "en"}


def group_text_update(
    group_id: int,
    user_id: int,
    text: str,
    *,
    name: str = "Agent",
    reply_to: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message in a group from one of its members, optionally replying to a message
    (one the fake returned for the bot's sendMessage, say)."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": {"id": group_id, "type": "supergroup", "title": "Complaint agents"},
        "from": _member(user_id, name),
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    return {"update_id": next(_update_ids), "message": message}


def group_button_update(
    user_id: int, message: dict[str, Any], data: str, *, name: str = "Agent"
) -> dict[str, Any]:
    """A group member pressing an inline button under `message` (the bot's post)."""
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": f"cq-{next(_message_ids)}",
            "from": _member(user_id, name),
            "chat_instance": f"ci-{message['chat']['id']}",
            "message": message,
            "data": data,
        },
    }
