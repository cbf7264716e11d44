"""The Telegram channel's pure parts: splitting, keyboards, commands."""

from __future__ import annotations

import pytest

from bot.channels.telegram import MAX_TEXT, command_payload, keyboard, split_text


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_short_text_is_one_piece():
    assert split_text("hello") == ["hello"]
    assert split_text("") == [""]


def test_long_text_splits_at_line_breaks_within_the_limit():
    paragraph = "The blender broke after two days and nobody answers my e-mails.\n"
    text = paragraph * 200  # ~13,000 characters
    pieces = split_text(text)
    assert len(pieces) == 4
    assert all(_units(p) <= MAX_TEXT for p in pieces)
    assert all(p.endswith("e-mails.") for p in pieces)  # cut at a line break, not mid-word
    assert "\n".join(pieces) + "\n" == text  # nothing lost but the break it was cut at


def test_emoji_count_double_as_telegram_counts_them():
    pieces = split_text("😡" * 3000)  # 6,000 UTF-16 code units
    assert [_units(p) for p in pieces] == [4096, 1904]
    assert "".join(pieces) == "😡" * 3000


def test_text_without_spaces_is_cut_hard():
    pieces = split_text("投诉" * 3000)
    assert [len(p) for p in pieces] == [4096, 1904]


def test_keyboard_keeps_payloads_and_falls_back_to_the_title_when_too_long():
    markup = keyboard(
        [
            {"title": "Refund", "payload": '/inform{"desired_resolution": "refund"}'},
            {"title": "Very long", "payload": "/inform" + "x" * 80},
        ]
    )
    assert markup is not None
    rows = markup.inline_keyboard
    assert rows[0][0].callback_data == '/inform{"desired_resolution": "refund"}'
    assert rows[1][0].callback_data == "Very long"
    assert keyboard([]) is None


@pytest.mark.parametrize(
    ("text", "payload"),
    [
        ("/start", "/greet"),
        ("/status", "/check_status"),
        ("/status@cb_test_bot", "/check_status"),
        ("/human please", "/request_human"),
        ("/CANCEL", "/cancel"),
        ("/restart", None),
        ("status", None),
        ("/", None),
    ],
)
def test_commands_map_onto_the_bots_payloads(text, payload):
    assert command_payload(text) == payload
