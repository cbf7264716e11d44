"""Masking of phone numbers and e-mail addresses in text and log records."""

from __future__ import annotations

import logging
import re

import pytest

from bot.privacy import PiiMaskingFilter, mask_pii

PHONE = "13812345678"
EMAIL = "zhang.wei2024@example.com"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call me on 13812345678", "call me on 138****78"),
        ("我的手机号是15900001234，尽快回电", "我的手机号是159****34，尽快回电"),
        ("tel:13812345678.", "tel:138****78."),
        ("+44 7700 900123", "+447****23"),
        ("reach me on +86-138-1234-5678 after 6pm", "reach me on +861****78 after 6pm"),
        ("+8613812345678", "+861****78"),
        ("邮箱: zhang.wei2024@example.com", "邮箱: z***@example.com"),
        ("my email is John.Smith+shop@mail.example.co.uk", "my email is J***@mail.example.co.uk"),
        (
            "手机13912345678，邮箱 li_na@163.com，订单JD0098812",
            "手机139****78，邮箱 l***@163.com，订单JD0098812",
        ),
    ],
)
def test_mask_pii(text: str, expected: str) -> None:
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("客户电话13812345678", "12345678"),
        ("customer wrote from zhang.wei2024@example.com", "zhang.wei2024"),
        ("numbers 13812345678 and 15900001234", "00001234"),
        ("a@b.cn and wang.fang@qq.com", "wang.fang@qq.com"),
        ("+1 415 555 0142", "5550142"),
    ],
)
def test_masked_text_keeps_no_original_digit_run_or_address(text: str, secret: str) -> None:
    masked = mask_pii(text)
    assert secret not in re.sub(r"[ -]", "", masked)
    assert "****" in masked or "***@" in masked


@pytest.mark.parametrize(
    "text",
    [
        "订单2025103100457一直没发货",
        "ticket CP-20251201-0042",
        "order A12345678",
        "我付了RMB3999",
        "on 2026-11-22 at 14:30",
        "12345678901",
        "user@localhost",
        "没有个人信息的普通投诉",
    ],
)
def test_text_without_pii_is_unchanged(text: str) -> None:
    assert mask_pii(text) == text


@pytest.mark.parametrize("text", ["", None])
def test_empty_input_passes_through(text: str | None) -> None:
    assert mask_pii(text) == text  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "phone 138 1234 5678",
        ),
        pytest.param(
            "电话138-1234-5678",
        ),
        pytest.param(
            "号码8613812345678",
        ),
    ],
)
def test_phone_written_the_way_the_nlu_accepts_it_is_masked(text: str) -> None:
    assert "12345678" not in re.sub(r"\D", "", mask_pii(text))


class _Collect(logging.Handler):
    """Keeps formatted records, like a real handler writing to a stream."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
        self.addFilter(PiiMaskingFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def collected(request: pytest.FixtureRequest):
    logger = logging.getLogger(f"tests.privacy.{request.node.name}")
    handler = _Collect()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, handler
    logger.removeHandler(handler)


def test_filter_masks_percent_style_args(collected) -> None:
    logger, handler = collected
    logger.info("complaint from %s (%s), order %s", PHONE, EMAIL, "JD0098812")
    assert handler.lines == ["INFO complaint from 138****78 (z***@example.com), order JD0098812"]


def test_filter_masks_dict_args(collected) -> None:
    logger, handler = collected
    logger.warning("contact %(phone)s", {"phone": PHONE})
    assert handler.lines == ["WARNING contact 138****78"]


def test_filter_masks_non_string_message(collected) -> None:
    logger, handler = collected
    logger.info({"contact_phone": PHONE, "contact_email": EMAIL})
    assert PHONE not in handler.lines[0]
    assert EMAIL not in handler.lines[0]
    assert "138****78" in handler.lines[0]


def test_filter_masks_exception_text(collected) -> None:
    logger, handler = collected
    try:
        raise ValueError(f"could not reach {PHONE} or {EMAIL}")
    except ValueError:
        logger.exception("notify failed for %s", EMAIL)
    output = "\n".join(handler.lines)
    assert "Traceback" in output
    assert "ValueError: could not reach 138****78 or z***@example.com" in output
    assert PHONE not in output
    assert EMAIL not in output


def test_broken_format_string_keeps_the_record_without_leaking(collected) -> None:
    logger, handler = collected
    logger.error("phone %d", PHONE)
    assert handler.lines == ["ERROR phone %d"]


def test_filter_never_drops_a_record() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hi %s", (PHONE,), None)
    assert PiiMaskingFilter().filter(record) is True
    assert (record.msg, record.args) == ("hi 138****78", None)
    assert record.getMessage() == "hi 138****78"


def test_filter_on_caplog_handler(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(PiiMaskingFilter())
    logger = logging.getLogger("tests.privacy.caplog")
    with caplog.at_level(logging.INFO, logger="tests.privacy.caplog"):
        logger.info("客户 %s 留了邮箱 %s", PHONE, EMAIL)
    assert caplog.records[0].getMessage() == "客户 138****78 留了邮箱 z***@example.com"
    assert PHONE not in caplog.text
    assert EMAIL not in caplog.text
