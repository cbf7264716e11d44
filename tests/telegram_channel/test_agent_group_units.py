"""The agents' group's texts and command parsing, without a server."""

from __future__ import annotations

import pytest

from bot.channels.telegram_agents import command_of, forwarded_text, one_line, post_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/resolve CP-20261122-0001 refunded 59 CNY", ("resolve", ["CP-20261122-0001", "refunded 59 CNY"])),
        ("/release@cb_test_bot  cp-20261122-0001", ("release", ["cp-20261122-0001"])),
        ("/RESOLVE", ("resolve", [])),
        ("/", None),
        ("hello /resolve", None),
    ],
)  # fmt: skip
def test_commands_in_the_group(text, expected):
    assert command_of(text) == expected


def test_the_post_marks_severity_and_masks_personal_data():
    urgent = post_text(ticket_id="CP-20261122-0001", severity="urgent", category="safety",
                       excerpt=one_line("The heater\nburst into flames! 13812345678"),
                       channel="telegram", language="zh", waiting=3)  # fmt: skip
    assert urgent.split("\n") == [
        "🔴 URGENT handoff · CP-20261122-0001 · safety",
        "“The heater burst into flames! 138****78”",
        "telegram · zh · 3 customers waiting",
    ]
    general = post_text(ticket_id="CP-20261122-0002", severity="general", category="delivery",
                        excerpt="", channel="rest", language=None, waiting=None)  # fmt: skip
    assert general.split("\n") == ["New handoff · CP-20261122-0002 · delivery", "rest · ?"]
    assert one_line("x" * 500).endswith("…") and len(one_line("x" * 500)) == 120


def test_a_forwarded_message_fits_telegram_whatever_its_length():
    text = forwarded_text("CP-20261122-0001", "😡" * 5000 + " wang@example.com")
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    assert text.endswith("(cut; the console has all of it)")
    assert "w***@example.com" in forwarded_text("CP-1", "mail wang@example.com")
