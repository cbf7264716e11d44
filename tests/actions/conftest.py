"""Action tests: real trackers (Tracker.from_dict) and the real services on a fresh SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from rasa_sdk import Tracker

from actions.services import Services, get_services
from bot.db import upgrade


@pytest.fixture
def services(tmp_path, monkeypatch) -> Iterator[Services]:
    """The action server's own service factory, pointed at an empty migrated database."""
    url = f"sqlite:///{tmp_path / 'actions.db'}"
    upgrade(url)
    monkeypatch.setenv("COMPLAINTBOT_DATABASE_URL", url)
    monkeypatch.setenv("COMPLAINTBOT_VAR_DIR", str(tmp_path))
    get_services.cache_clear()
    yield get_services()
    get_services.cache_clear()


def make_tracker(
    *,
    text: str = "",
    intent: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    sender_id: str = "rest:cust-1",
    metadata: dict[str, Any] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker as Rasa sends it to the action server after the customer's latest message."""
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9} if intent else {},
        "entities": entities or [],
    }
    user_event = {
        "event": "user",
        "text": text,
        "parse_data": latest,
        "metadata": metadata
        if metadata is not None
        else {"channel": "rest", "sender_id": "cust-1"},
    }
    return Tracker.from_dict(
        {
            "sender_id": sender_id,
            "slots": slots or {},
            "latest_message": latest,
            "events": [*(events or []), user_event],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
        }
    )


def entity(name: str, value: str) -> dict[str, Any]:
    return {"entity": name, "value": value, "start": 0, "end": len(value)}
