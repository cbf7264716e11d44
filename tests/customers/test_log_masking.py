"""Phone numbers and e-mails are masked in the action server's logs too."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

from bot.paths import PROJECT_ROOT
from bot.privacy import PiiMaskingFilter, install_log_masking
from bot.stack import free_port

PHONE = "13987654321"
EMAIL = "wang.xiaoming88@example.com"


def _masking(handler: logging.Handler) -> list[logging.Filter]:
    return [f for f in handler.filters if isinstance(f, PiiMaskingFilter)]


@pytest.fixture
def handlers():
    """A root handler and a named logger's own handler, removed afterwards."""
    root_handler, own_handler = logging.StreamHandler(), logging.StreamHandler()
    named = logging.getLogger("tests.masking.sanic-like")
    logging.getLogger().addHandler(root_handler)
    named.addHandler(own_handler)
    before = {id(h): list(h.filters) for h in _all_handlers()}
    yield root_handler, own_handler
    logging.getLogger().removeHandler(root_handler)
    named.removeHandler(own_handler)
    for handler in _all_handlers():  # leave other tests' handlers as they were
        handler.filters[:] = before.get(id(handler), handler.filters)


def _all_handlers() -> list[logging.Handler]:
    found = list(logging.getLogger().handlers)
    for logger in logging.Logger.manager.loggerDict.values():
        if isinstance(logger, logging.Logger):
            found.extend(logger.handlers)
    if logging.lastResort is not None:
        found.append(logging.lastResort)
    return found


def test_install_reaches_every_handler_once(handlers):
    root_handler, own_handler = handlers
    assert install_log_masking() >= 2
    assert len(_masking(root_handler)) == 1
    assert len(_masking(own_handler)) == 1
    assert logging.lastResort is not None and len(_masking(logging.lastResort)) == 1
    assert install_log_masking() == 0  # idempotent
    assert len(_masking(root_handler)) == 1


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group; SIGKILL when Sanic does not stop in time."""
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=5)
    except ProcessLookupError:
        pass


def test_the_action_server_masks_what_actions_log(tmp_path, time_limit):
    """The real rasa_sdk server (its workers configure logging their own way) running an
    action that logs personal data: the output shows only masked forms."""
    package = tmp_path / "leaky_actions"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            f"""
            import logging

            import actions  # noqa: F401  (what the real server loads)
            from rasa_sdk import Action

            log = logging.getLogger("leaky")


            class ActionLeak(Action):
                def name(self):
                    return "action_leak"

                async def run(self, dispatcher, tracker, domain):
                    log.warning("customer %s wrote from %s", "{PHONE}", "{EMAIL}")
                    try:
                        raise ValueError("cannot reach {PHONE}")
                    except ValueError:
                        log.exception("notify {EMAIL} failed")
                    return []
            """
        ),
        encoding="utf-8",
    )
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(PROJECT_ROOT)]),
        "SANIC_HOST": "127.0.0.1",
        "COMPLAINTBOT_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}",
        "COMPLAINTBOT_VAR_DIR": str(tmp_path),
    }
    log_path = tmp_path / "actions.log"
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "rasa_sdk", "--actions", "leaky_actions", "-p", str(port)],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: the Sanic workers stop with it
        )
    try:
        with time_limit(60):
            url = f"http://127.0.0.1:{port}"
            while True:
                assert server.poll() is None, log_path.read_text()
                try:
                    if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.3)
            tracker = {"sender_id": "x", "slots": {}, "latest_message": {}, "events": [],
                       "paused": False, "followup_action": None, "active_loop": {},
                       "latest_action_name": None}  # fmt: skip
            response = httpx.post(
                f"{url}/webhook",
                json={
                    "next_action": "action_leak",
                    "sender_id": "x",
                    "tracker": tracker,
                    "domain": {},
                },  # fmt: skip
                timeout=30,
            )
            assert response.status_code == 200, response.text
            deadline = time.monotonic() + 10
            while "Traceback" not in log_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
    finally:
        _stop(server)
    output = log_path.read_text(encoding="utf-8", errors="replace")
    assert "customer 139****21 wrote from w***@example.com" in output
    assert "ValueError: cannot reach 139****21" in output
    assert PHONE not in output
    assert EMAIL not in output
