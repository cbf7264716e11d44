"""Channel update ids are claimed once on SQLite and PostgreSQL: the first claim wins, a
duplicate is refused, a released id can be claimed again, and an update whose processing
never finished is taken over after its lease without storing its message twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.conversations.store import (
    add_message,
    claim_update,
    complete_update,
    get_or_create_conversation,
    inbound_message_id,
    link_inbound_message,
    release_update,
    take_update,
)
from bot.db import transaction

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
LEASE = timedelta(seconds=35)


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


def _take(sessions, external_id: str, now: datetime) -> str:
    with transaction(sessions) as session:
        return take_update(
            session, channel="telegram", external_id=external_id, now=now, lease=LEASE
        )


def test_an_update_left_unfinished_is_taken_over_after_its_lease(sessions):
    assert _take(sessions, "600000", NOW) == "new"
    # Telegram delivers it again while the first attempt may still be at work.
    assert _take(sessions, "600000", NOW + LEASE) == "busy"
    # The attempt never finished (its process died): the next delivery takes it over, once.
    later = NOW + LEASE + timedelta(seconds=1)
    assert _take(sessions, "600000", later) == "resumed"
    assert _take(sessions, "600000", later) == "busy"
    with transaction(sessions) as session:
        complete_update(session, channel="telegram", external_id="600000", now=later)
    assert _take(sessions, "600000", later + 2 * LEASE) == "done"


def test_a_released_update_keeps_its_stored_message(sessions):
    assert _take(sessions, "700000", NOW) == "new"
    with transaction(sessions) as session:
        conversation = get_or_create_conversation(
            session, channel="telegram", sender_id="42", now=NOW
        )
        message = add_message(
            session, conversation=conversation, direction="in", author="customer",
            text="my parcel is lost", now=NOW,
        )  # fmt: skip
        link_inbound_message(
            session, channel="telegram", external_id="700000", message_id=message.id
        )
        release_update(session, channel="telegram", external_id="700000")
    assert _take(sessions, "700000", NOW) == "resumed"  # at once, not after the lease
    with sessions() as session:
        found = inbound_message_id(session, channel="telegram", external_id="700000")
    assert found == message.id
