"""Language detection: Chinese or English, keeping the previous language on weak signals."""

from __future__ import annotations

import pytest

from bot.nlu.language import SUPPORTED, detect_language

CASES = [
    # Clear Chinese or English, whatever came before.
    ("我买的吹风机用了两次就坏了", None, "zh"),
    ("我买的吹风机用了两次就坏了", "en", "zh"),
    ("The hair dryer stopped working after two uses", None, "en"),
    ("The hair dryer stopped working after two uses", "zh", "en"),
    # Mixed messages with Chinese characters are Chinese.
    ("快递delay了三天", "en", "zh"),
    ("iPhone屏幕碎了", None, "zh"),
    ("你们的app一直闪退", "en", "zh"),
    ("好", "en", "zh"),
    ("谢谢", "en", "zh"),
    # One Chinese character among several English words is English unless already Chinese.
    ("好 thank you", "en", "en"),
    ("好 thank you", None, "en"),
    ("好 thank you", "zh", "zh"),
    # Short acknowledgements keep a Chinese speaker Chinese.
    ("ok", "zh", "zh"),
    ("OK", "zh", "zh"),
    ("yes", "zh", "zh"),
    ("no", "zh", "zh"),
    ("ok", "en", "en"),
    ("yes", None, "en"),
    ("hello", "zh", "en"),
    ("USB cable is broken", "zh", "en"),
    # Ids, numbers, emoji and scripts we do not support carry no signal.
    ("ok", None, None),
    ("JD0098812", "zh", "zh"),
    ("SF1234567890123", "zh", "zh"),
    ("CP-20251201-0042", "zh", "zh"),
    ("CP-20251201-0042", None, None),
    ("13812345678", "en", "en"),
    ("13812345678", None, None),
    ("+86 138 1234 5678", "zh", "zh"),
    ("👍👍", "zh", "zh"),
    ("？？？", "en", "en"),
    ("wifi", "zh", "zh"),
    ("こんにちは", None, None),
    ("ТОВАР СЛОМАН", "en", "en"),
    ("", "en", "en"),
    ("", None, None),
]


@pytest.mark.parametrize(("text", "previous", "expected"), CASES)
def test_detect_language(text: str, previous: str | None, expected: str | None) -> None:
    assert detect_language(text, previous) == expected


ODD_INPUTS = [
    "안녕하세요",
    "¿Dónde está mi pedido?",
    "!!!",
    "12:30",
    "😡",
    "a",
    "A1",
    "x y",
    "我",
    "\n",
]


@pytest.mark.parametrize("text", ODD_INPUTS)
@pytest.mark.parametrize("previous", [None, "zh", "en"])
def test_result_is_supported_or_the_previous_language(text: str, previous: str | None) -> None:
    result = detect_language(text, previous)
    assert result in SUPPORTED or result == previous


def test_previous_is_optional() -> None:
    assert detect_language("我要投诉") == "zh"
    assert detect_language("12345") is None


def test_none_text_keeps_previous() -> None:
    assert detect_language(None, "zh") == "zh"  # type: ignore[arg-type]


def test_very_long_message() -> None:
    assert detect_language("快递还没到，" * 20_000, "en") == "zh"
    assert detect_language("Where is my parcel? " * 5_000, "zh") == "en"


@pytest.mark.parametrize(
    "address",
    [
        pytest.param(
            "wang.fang@163.com",
        ),
        pytest.param(
            "lina1990@qq.com",
        ),
    ],
)
def test_email_answer_keeps_chinese(address: str) -> None:
    assert detect_language(address, "zh") == "zh"
