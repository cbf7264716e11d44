"""Channel update ids are claimed once on SQLite and PostgreSQL: the first claim wins, a
duplicate is refused, a released id can be claimed again."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.conversations.store import claim_update, release_update
from bot.db import transaction

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def _claim(sessions, external_id: str, channel: str = "telegram") -> bool:
    with transaction(sessions) as session:
        return claim_update(session, channel=channel, external_id=external_id, now=NOW)


def test_an_update_is_claimed_once_until_released(sessions):
    assert _claim(sessions, "500000") is True
    assert _claim(sessions, "500000") is False
    assert _claim(sessions, "500000", channel="webchat") is True  # ids are per channel
    with transaction(sessions) as session:
        release_update(session, channel="telegram", external_id="500000")
    assert _claim(sessions, "500000") is True
