"""Web chat session ids are keys to transcripts: they never reach the logs whole, the widget
no longer puts them in the URL, and what the gateway writes under var/ is owner-only.

The end-to-end case runs the real gateway process (uvicorn, as `make run` starts it, its
log in var/logs/gateway.log at DEBUG) with Rasa down, holds web chats in both the hello
form and the older query form, reads a history and sends over REST, then scans the log and
the modes of everything under var/.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from bot.channels.webchat import HELLO_SECONDS, POLICY_VIOLATION
from bot.owner_only import DIR_MODE, FILE_MODE, secure_tree
from bot.paths import PROJECT_ROOT
from bot.privacy import PiiMaskingFilter, mask_log_text, mask_session_ids
from bot.stack import Stack, local_settings
from bot.web.app import create_app


def new_session() -> str:
    return "wc_" + secrets.token_hex(16)


def test_session_ids_are_masked_wherever_a_log_line_has_them():
    session = new_session()
    lines = [
        f'127.0.0.1:50312 - "WebSocket /webchat/ws?session={session}" [accepted]',
        f"handling webchat:{session} turn",
        f'"GET /webchat/history?session={session} HTTP/1.1" 200',
        f"webchat message of {session} could not be handled",
        f"upper case {session.upper()}",
    ]
    for line in lines:
        masked = mask_log_text(line)
        assert session[3:] not in masked.lower(), masked
        assert f"wc_{session[3:7]}***" in masked.lower()  # still tells sessions apart
    assert mask_session_ids("wc_ alone, wc_12 short, toilet_wc") == (
        "wc_ alone, wc_12 short, toilet_wc"
    )


def test_the_log_filter_masks_session_ids_in_arguments_and_tracebacks():
    import logging

    session = new_session()
    try:
        raise RuntimeError(f"turn of webchat:{session} failed")
    except RuntimeError:
        record = logging.LogRecord(
            "uvicorn.error", logging.INFO, __file__, 1, '%s - "WebSocket %s" [accepted]',
            ("127.0.0.1:1", f"/webchat/ws?session={session}"), None,
        )  # fmt: skip
        import sys

        record.exc_info = sys.exc_info()
    assert PiiMaskingFilter().filter(record)
    assert session not in record.getMessage()
    assert record.exc_text is not None and session not in record.exc_text


@pytest.fixture
def client(offline_settings):
    with TestClient(create_app(offline_settings(rasa_startup_grace=0))) as test_client:
        yield test_client


def test_the_session_comes_in_the_first_frame_not_the_url(client):
    session = new_session()
    with client.websocket_connect("/webchat/ws") as ws:
        ws.send_json({"type": "hello", "session": session})
        assert ws.receive_json()["type"] == "history"
        ws.send_json({"type": "message", "text": "my parcel never came", "id": "c1"})
        frames = [ws.receive_json()]
        while frames[-1]["type"] != "ack":
            frames.append(ws.receive_json())
    history = client.get("/webchat/history", params={"session": session}).json()
    assert [m["text"] for m in history["messages"] if m["from"] == "customer"] == [
        "my parcel never came"
    ]
    # The older form still works (its session id is masked in the logs like any other).
    with client.websocket_connect(f"/webchat/ws?session={session}") as ws:
        again = ws.receive_json()
    assert again["type"] == "history" and len(again["messages"]) == len(history["messages"])


@pytest.mark.parametrize(
    "first",
    [
        {"type": "message", "text": "hello", "id": "c1"},
        {"type": "hello"},
        {"type": "hello", "session": "wc_" + "g" * 32},
        {"type": "hello", "session": ["wc_" + "a" * 32]},
        "not json {",
    ],
)
def test_a_socket_without_a_valid_hello_is_refused(client, first):
    with client.websocket_connect("/webchat/ws") as ws:
        if isinstance(first, str):
            ws.send_text(first)
        else:
            ws.send_json(first)
        frame = ws.receive_json()
        assert frame["type"] == "error" and frame["code"] == "bad_session"
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == POLICY_VIOLATION


def test_the_widget_sends_its_session_in_a_hello_frame_and_not_in_the_url():
    source = (PROJECT_ROOT / "bot" / "web" / "static" / "widget.js").read_text(encoding="utf-8")
    assert 'searchParams.set("session"' not in source
    assert 'type: "hello", session: session' in source
    assert HELLO_SECONDS >= 5  # a slow phone still makes it


def _modes(root: Path) -> dict[str, tuple[str, int]]:
    found = {".": ("dir", stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        if path.is_symlink():
            continue
        kind = "dir" if path.is_dir() else "file"
        found[str(path.relative_to(root))] = (kind, stat.S_IMODE(path.stat().st_mode))
    return found


def _loose(root: Path) -> list[str]:
    return [
        f"{name} {oct(mode)}"
        for name, (kind, mode) in _modes(root).items()
        if mode != (DIR_MODE if kind == "dir" else FILE_MODE)
    ]


def test_secure_tree_tightens_what_was_left_loose(tmp_path):
    var = tmp_path / "var"
    (var / "logs").mkdir(parents=True)
    (var / "logs" / "gateway.log").write_text("old\n")
    (var / "complaintbot.db").write_text("")
    os.chmod(var, 0o755)
    os.chmod(var / "logs", 0o775)
    os.chmod(var / "logs" / "gateway.log", 0o644)
    os.chmod(var / "complaintbot.db", 0o666)
    assert secure_tree(var) == 4
    assert _loose(var) == []
    assert secure_tree(var) == 0


def test_a_web_chat_leaves_no_session_id_in_the_logs_and_var_is_owner_only(tmp_path):
    var = tmp_path / "var"
    (var / "logs").mkdir(parents=True)
    (var / "logs" / "gateway.log").write_bytes(b"")
    (var / "evidence" / "20261122").mkdir(parents=True)
    (var / "evidence" / "20261122" / "photo.jpg").write_bytes(b"\xff\xd8")
    for path, mode in ((var, 0o755), (var / "logs" / "gateway.log", 0o644),
                       (var / "evidence", 0o755), (var / "evidence" / "20261122", 0o775),
                       (var / "evidence" / "20261122" / "photo.jpg", 0o644)):  # fmt: skip
        os.chmod(path, mode)  # as an older version left them
    settings = local_settings(var, log_level="DEBUG")
    stack = Stack(settings, model=tmp_path / "no-model", root=PROJECT_ROOT)
    gateway = stack.services[-1]
    assert gateway.name == "gateway"
    gateway.env["COMPLAINTBOT_RASA_STARTUP_GRACE"] = "0"  # Rasa is not starting: it is down
    base = f"http://127.0.0.1:{settings.port}"
    hello, legacy = new_session(), new_session()
    from websockets.sync.client import connect as ws_connect

    gateway.start(PROJECT_ROOT)
    try:
        gateway.wait_healthy()
        for session, url, first in (
            (hello, f"{base}/webchat/ws", {"type": "hello", "session": hello}),
            (legacy, f"{base}/webchat/ws?session={legacy}", None),
        ):
            with ws_connect(url.replace("http", "ws"), open_timeout=10) as ws:
                if first is not None:
                    ws.send(json.dumps(first))
                assert json.loads(ws.recv(timeout=30))["type"] == "history"
                ws.send(json.dumps({"type": "message", "text": "parcel lost", "id": "c1"}))
                while json.loads(ws.recv(timeout=60))["type"] != "ack":
                    pass
            shown = httpx.get(f"{base}/webchat/history", params={"session": session}, timeout=30)
            assert shown.status_code == 200 and shown.json()["messages"]
        said = httpx.post(f"{base}/webhooks/rest/webhook", timeout=60,
                          json={"sender": "alice", "message": "my refund never came"})  # fmt: skip
        assert said.status_code == 200
    finally:
        gateway.stop()
    log = (var / "logs" / "gateway.log").read_text(encoding="utf-8", errors="replace")
    assert " DEBUG " in log and "/webchat/ws" in log, log[-3000:]
    for session in (hello, legacy):
        leaks = [line for line in log.splitlines() if session[3:] in line.lower()]
        assert leaks == [], leaks[:3]
    assert f"wc_{legacy[3:7]}***" in log  # the query form was logged, masked
    # Logs, the SQLite database and its WAL, the tokens: all owner-only.
    names = set(_modes(var))
    assert {"logs/gateway.log", "complaintbot.db", "api_token", "rasa_token"} <= names, names
    assert _loose(var) == []


@pytest.mark.stack
def test_a_web_chat_through_the_real_stack_leaves_no_session_id_in_any_log(stack):
    """The whole stack (the real model, the action server's form steps, the gateway): no
    log under var/logs has the session id whole, and the var/ tree is owner-only."""
    from websockets.sync.client import connect as ws_connect

    session = new_session()
    url = stack.base_url.replace("http://", "ws://") + "/webchat/ws"
    with ws_connect(url, open_timeout=10) as ws:
        ws.send(json.dumps({"type": "hello", "session": session}))
        assert json.loads(ws.recv(timeout=30))["type"] == "history"
        for n, text in enumerate(["I want to make a complaint", "my parcel was lost"]):
            ws.send(json.dumps({"type": "message", "text": text, "id": f"c{n}"}))
            frames = [json.loads(ws.recv(timeout=90))]
            while frames[-1]["type"] != "ack":
                frames.append(json.loads(ws.recv(timeout=90)))
            assert any(f["type"] == "message" and f["from"] == "bot" for f in frames), frames
    var = stack.settings.var_dir
    logs = {path.name: path.read_text(encoding="utf-8", errors="replace")
            for path in (var / "logs").glob("*.log")}  # fmt: skip
    assert {"actions.log", "gateway.log", "rasa.log"} <= set(logs), sorted(logs)
    for name, text in logs.items():
        leaks = [line for line in text.splitlines() if session[3:] in line.lower()]
        assert leaks == [], f"{name}: {leaks[:3]}"
    assert _loose(var) == []
