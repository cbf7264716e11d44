"""Short labels and deadline formats shown to customers in both languages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot import i18n

DUE = datetime(2026, 11, 22, 16, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("category", "zh", "en"),
    [
        ("product_quality", "商品质量", "product quality"),
        ("service_attitude", "服务态度", "staff attitude"),
        ("delivery", "物流配送", "delivery"),
        ("billing", "收费扣款", "billing"),
        ("after_sales", "售后退换", "returns and after-sales"),
        ("safety", "安全", "safety"),
        ("privacy", "隐私与骚扰", "privacy"),
        ("suggestion", "建议", "suggestion"),
        ("other", "其他", "general"),
    ],
)
def test_category_label(category: str, zh: str, en: str) -> None:
    assert i18n.category_label(category, "zh") == zh
    assert i18n.category_label(category, "en") == en


@pytest.mark.parametrize("category", [None, "", "complain_delivery", "unknown"])
def test_unknown_category_reads_as_other(category: str | None) -> None:
    assert i18n.category_label(category, "zh") == "其他"
    assert i18n.category_label(category, "en") == "general"


@pytest.mark.parametrize("lang", [None, "en", "fr", ""])
def test_anything_but_zh_gets_english(lang: str | None) -> None:
    assert i18n.category_label("billing", lang) == "billing"
    assert i18n.resolution_label("refund", lang) == "a refund"
    assert i18n.status_label("open", lang) == "received, waiting for a specialist"


@pytest.mark.parametrize(
    ("resolution", "zh", "en"),
    [
        ("refund", "退款", "a refund"),
        ("replacement", "换货", "a replacement"),
        ("repair", "维修", "a repair"),
        ("compensation", "赔偿", "compensation"),
        ("apology", "一个道歉", "an apology"),
        ("explanation", "一个解释", "an explanation"),
        ("none", "我们先了解情况", "us to look into it"),
        (None, "我们先了解情况", "us to look into it"),
        ("cash", "我们先了解情况", "us to look into it"),
    ],
)
def test_resolution_label(resolution: str | None, zh: str, en: str) -> None:
    assert i18n.resolution_label(resolution, "zh") == zh
    assert i18n.resolution_label(resolution, "en") == en


@pytest.mark.parametrize(
    ("status", "zh", "en"),
    [
        ("open", "已受理，等待专员处理", "received, waiting for a specialist"),
        ("escalated", "已升级，主管跟进中", "escalated to a supervisor"),
        ("in_progress", "专员处理中", "being handled by a specialist"),
        ("resolved", "已处理完毕", "resolved"),
        ("closed", "已结案", "closed"),
        ("reopened", "已重新打开，优先处理中", "reopened and prioritised"),
        ("withdrawn", "已撤回", "withdrawn"),
    ],
)
def test_status_label(status: str, zh: str, en: str) -> None:
    assert i18n.status_label(status, "zh") == zh
    assert i18n.status_label(status, "en") == en


def test_every_ticket_status_has_a_label() -> None:
    statuses = {"open", "escalated", "in_progress", "resolved", "closed", "reopened", "withdrawn"}
    assert set(i18n.STATUS_LABELS) == statuses


def test_unknown_status_is_shown_as_is() -> None:
    assert i18n.status_label("archived", "zh") == "archived"


@pytest.mark.parametrize(
    ("order_id", "lang", "expected"),
    [
        ("JD0098812", "zh", "（订单 JD0098812）"),
        ("JD0098812", "en", " (order JD0098812)"),
        ("2025103100457", None, " (order 2025103100457)"),
        ("none", "zh", ""),
        ("none", "en", ""),
        ("", "en", ""),
        (None, "zh", ""),
    ],
)
def test_order_part(order_id: str | None, lang: str | None, expected: str) -> None:
    assert i18n.order_part(order_id, lang) == expected


@pytest.mark.parametrize(
    ("zone", "lang", "expected"),
    [
        ("Asia/Shanghai", "zh", "11月23日 00:30（北京时间）"),
        ("Asia/Shanghai", "en", "23 Nov 00:30 (UTC+8)"),
        ("Asia/Chongqing", "zh", "11月23日 00:30（北京时间）"),
        ("Asia/Hong_Kong", "zh", "11月23日 00:30（UTC+8）"),
        ("UTC", "zh", "11月22日 16:30（UTC）"),
        ("UTC", "en", "22 Nov 16:30 (UTC)"),
        ("America/New_York", "en", "22 Nov 11:30 (UTC-5)"),
        ("America/New_York", "zh", "11月22日 11:30（UTC-5）"),
        ("Asia/Shanghai", None, "23 Nov 00:30 (UTC+8)"),
    ],
)
def test_format_deadline(zone: str, lang: str | None, expected: str) -> None:
    assert i18n.format_deadline(DUE, ZoneInfo(zone), lang) == expected


def test_format_deadline_follows_daylight_saving() -> None:
    summer = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    assert i18n.format_deadline(summer, ZoneInfo("Europe/London"), "en") == "01 Jun 13:00 (UTC+1)"
    assert i18n.format_deadline(DUE, ZoneInfo("Europe/London"), "en") == "22 Nov 16:30 (UTC)"


def test_format_deadline_crosses_month_and_year_in_local_time() -> None:
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    assert (
        i18n.format_deadline(new_year, ZoneInfo("Asia/Shanghai"), "zh")
        == "1月1日 01:00（北京时间）"
    )


@pytest.mark.parametrize(
    ("zone", "offset"),
    [
        pytest.param(
            "Asia/Kolkata",
            r"UTC\+0?5:30",
        ),
        pytest.param(
            "America/St_Johns",
            r"UTC-0?3:30",
        ),
    ],
)
def test_format_deadline_keeps_half_hour_offsets(zone: str, offset: str) -> None:
    assert re.search(offset, i18n.format_deadline(DUE, ZoneInfo(zone), "en"))


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        (None, 80, ""),
        ("", 80, ""),
        ("耳机左边\n没有声音", 80, "耳机左边 没有声音"),
        ("  the   parcel\tis late  ", 80, "the parcel is late"),
        ("x" * 80, 80, "x" * 80),
        ("x" * 81, 80, "x" * 79 + "…"),
        ("the screen is very badly cracked", 20, "the screen is very…"),
    ],
)
def test_shorten(text: str | None, limit: int, expected: str) -> None:
    result = i18n.shorten(text, limit)
    assert result == expected
    assert len(result) <= limit


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        # The "Thi…": English is cut at the last space, never inside a word.
        ("This kettle leaked while boiling water and shocked me", 6, "This…"),
        ("This kettle leaked while boiling water and shocked me", 24, "This kettle leaked…"),
        # A clause end in the second half of the room is the better place.
        ("The lid broke, and the kettle leaked on the table", 24, "The lid broke…"),
        ("买的菜少了一半，订单号GR12345，要求退款", 12, "买的菜少了一半…"),
        ("电水壶烧水的时候漏电了我的手被电了一下很疼", 10, "电水壶烧水的时候漏…"),
        # A decimal point or "no.1" is not the end of a clause.
        ("it weighs 3.5 kg and arrived", 12, "it weighs…"),
        ("a bc window.__xss and so on", 20, "a bc window.__xss…"),
        # One word longer than the room has to be cut inside.
        ("x" * 30, 10, "x" * 9 + "…"),
        ("short", 10, "short"),
    ],
)
def test_cut_keeps_words_whole(text: str, limit: int, expected: str) -> None:
    result = i18n.cut(text, limit)
    assert result == expected
    assert len(result) <= limit


def test_read_back_never_splits_an_english_word() -> None:
    text = "This is about the kettle I bought last week which leaks hot water everywhere"
    for limit in range(5, len(text)):
        kept = i18n.shorten(text, limit)
        assert kept.endswith("…") and len(kept) <= limit
        for word in kept[:-1].split():
            assert word in text.split(), (limit, kept)
