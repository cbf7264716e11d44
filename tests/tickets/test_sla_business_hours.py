"""Deadlines on the business clock: opening hours, weekends, holidays, time zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.tickets.sla import PolicyError, SlaPolicy, load_policy

SHANGHAI = ZoneInfo("Asia/Shanghai")
LONDON = ZoneInfo("Europe/London")

POLICY = """\
timezone: {zone}
business_hours:
  days: [mon, tue, wed, thu, fri]
  start: "09:00"
  end: "18:00"
  holidays: [2026-12-07]
  extra_workdays: [2026-12-12]
severities:
  general: {{first_response: 8h, resolution: 2d}}
  major: {{first_response: 2h, resolution: 24h}}
  urgent: {{first_response: 15m, resolution: 4h, clock: calendar}}
categories:
  safety:
    major: {{first_response: 1h}}
  billing:
    general: {{clock: calendar}}
"""


def _policy(tmp_path: Path, zone: str = "Asia/Shanghai", text: str | None = None) -> SlaPolicy:
    path = tmp_path / f"sla-{zone.replace('/', '-')}.yml"
    path.write_text(POLICY.format(zone=zone) if text is None else text, encoding="utf-8")
    return load_policy(path)


def _local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


@pytest.fixture
def shanghai(tmp_path) -> SlaPolicy:
    return _policy(tmp_path)


def test_friday_afternoon_first_response_runs_over_the_weekend(shanghai):
    opened = _local(SHANGHAI, 2026, 11, 27, 16, 0)  # Friday 16:00 in Beijing
    first_due, resolution_due = shanghai.deadlines("general", opened)
    # 2 h on Friday, the remaining 6 h on Monday from 09:00.
    assert first_due == _local(SHANGHAI, 2026, 11, 30, 15, 0)
    # Two working days: the same time on Tuesday.
    assert resolution_due == _local(SHANGHAI, 2026, 12, 1, 16, 0)
    assert first_due.tzinfo == UTC
    assert first_due == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "opened",
    [
        _local(SHANGHAI, 2026, 11, 28, 11, 0),  # Saturday
        _local(SHANGHAI, 2026, 11, 29, 23, 59),  # Sunday night
        _local(SHANGHAI, 2026, 11, 27, 18, 0),  # Friday, at closing time
        _local(SHANGHAI, 2026, 11, 27, 22, 30),  # Friday evening
        _local(SHANGHAI, 2026, 11, 30, 7, 45),  # Monday before opening
    ],
)
def test_outside_opening_hours_the_clock_starts_at_the_next_opening(shanghai, opened):
    first_due, _ = shanghai.deadlines("major", opened)
    assert first_due == _local(SHANGHAI, 2026, 11, 30, 11, 0)


def test_a_target_ending_at_closing_time_is_due_that_evening(shanghai):
    first_due, _ = shanghai.deadlines("major", _local(SHANGHAI, 2026, 11, 27, 16, 0))
    assert first_due == _local(SHANGHAI, 2026, 11, 27, 18, 0)


def test_holidays_are_skipped_and_extra_workdays_count(shanghai):
    # Friday 17:00 + 2 h: Saturday 12 Dec is a make-up working day (调休).
    assert shanghai.deadlines("major", _local(SHANGHAI, 2026, 12, 11, 17, 0))[0] == _local(
        SHANGHAI, 2026, 12, 12, 10, 0
    )
    # Friday 17:00 + 2 h: Monday 7 Dec is a holiday, so Tuesday.
    assert shanghai.deadlines("major", _local(SHANGHAI, 2026, 12, 4, 17, 0))[0] == _local(
        SHANGHAI, 2026, 12, 8, 10, 0
    )


def test_urgent_runs_on_the_calendar_clock(shanghai):
    opened = _local(SHANGHAI, 2026, 11, 28, 3, 0)  # Saturday, 3 a.m.
    assert shanghai.deadlines("urgent", opened) == (
        opened + timedelta(minutes=15),
        opened + timedelta(hours=4),
    )


def test_category_overrides_replace_only_what_they_name(shanghai):
    opened = _local(SHANGHAI, 2026, 11, 30, 10, 0)  # Monday 10:00
    assert shanghai.deadlines("major", opened, "safety") == (
        _local(SHANGHAI, 2026, 11, 30, 11, 0),  # 1 h instead of 2 h
        shanghai.deadlines("major", opened)[1],  # resolution as for any major ticket
    )
    # billing complaints count general targets on the calendar: Friday 16:00 + 8 h.
    friday = _local(SHANGHAI, 2026, 11, 27, 16, 0)
    assert shanghai.deadlines("general", friday, "billing")[0] == _local(
        SHANGHAI, 2026, 11, 28, 0, 0
    )
    assert shanghai.deadlines("general", friday, "delivery")[0] == _local(
        SHANGHAI, 2026, 11, 30, 15, 0
    )


def test_the_same_moment_in_another_time_zone_gives_another_deadline(tmp_path):
    moment = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # Fri 16:00 Beijing, Fri 08:00 London
    london = _policy(tmp_path, "Europe/London")
    beijing = _policy(tmp_path, "Asia/Shanghai")
    # London has not opened yet (09:00 + 2 h); Beijing has two hours left before closing.
    assert london.deadlines("major", moment)[0] == datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
    assert beijing.deadlines("major", moment)[0] == datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    assert london.deadlines("general", moment)[0] == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert beijing.deadlines("general", moment)[0] == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def test_opening_hours_follow_daylight_saving_time(tmp_path):
    london = _policy(tmp_path, "Europe/London")
    opened = _local(LONDON, 2026, 10, 23, 17, 0)  # Friday 17:00 BST (UTC+1)
    first_due, _ = london.deadlines("major", opened)
    # 1 h on Friday; clocks go back on Sunday; Monday 09:00 GMT + 1 h.
    assert first_due == datetime(2026, 10, 26, 10, 0, tzinfo=UTC)


def test_days_on_the_business_clock_are_working_days(shanghai):
    assert shanghai.targets["general"].resolution == timedelta(hours=18)
    assert shanghai.targets["general"].clock == "business"
    assert shanghai.targets["urgent"].clock == "calendar"


def test_without_business_hours_everything_is_calendar_time(tmp_path):
    text = "severities:\n  general: {first_response: 8h, resolution: 2d}\n" + (
        "  major: {first_response: 2h, resolution: 24h}\n"
        "  urgent: {first_response: 15m, resolution: 4h}\n"
    )
    policy = _policy(tmp_path, text=text)
    opened = _local(SHANGHAI, 2026, 11, 27, 16, 0)
    assert policy.business_hours is None
    assert policy.deadlines("general", opened) == (
        opened + timedelta(hours=8),
        opened + timedelta(days=2),
    )


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ('start: "09:00"', "start: 9:00", 'write the time in quotes, e.g. "09:00"'),
        ('end: "18:00"', 'end: "8pm"', "bad time '8pm', expected HH:MM"),
        ('end: "18:00"', 'end: "08:00"', "end must be later than start"),
        ("days: [mon, tue, wed, thu, fri]", "days: [mon, funday]", "unknown day 'funday'"),
        ("days: [mon, tue, wed, thu, fri]", "days: []", "at least one day"),
        ("holidays: [2026-12-07]", "holidays: [next monday]", "bad date 'next monday'"),
        ("clock: calendar", "clock: lunar", "must be calendar or business"),
        ("safety:", "weather:", "unknown category 'weather'"),
        (
            "    major: {first_response: 1h}",
            "    critical: {first_response: 1h}",
            "unknown severity",
        ),
        ("    major: {first_response: 1h}", "    major: {}", "expected first_response"),
    ],
)
def test_policy_mistakes_are_named(tmp_path, replace, by, message):
    text = POLICY.format(zone="Asia/Shanghai")
    assert replace in text
    path = tmp_path / "sla.yml"
    path.write_text(text.replace(replace, by), encoding="utf-8")
    with pytest.raises(PolicyError, match=message):
        load_policy(path)


def test_business_clock_needs_business_hours(tmp_path):
    text = (
        "severities:\n"
        "  general: {first_response: 8h, resolution: 2d, clock: business}\n"
        "  major: {first_response: 2h, resolution: 24h}\n"
        "  urgent: {first_response: 15m, resolution: 4h}\n"
    )
    with pytest.raises(PolicyError, match="general.clock is business but the policy has no"):
        _policy(tmp_path, text=text)


def test_a_calendar_with_no_working_day_is_an_error(tmp_path):
    mondays = [datetime(2026, 1, 5) + timedelta(weeks=n) for n in range(60)]
    text = (
        POLICY.format(zone="UTC")
        .replace("days: [mon, tue, wed, thu, fri]", "days: [mon]")
        .replace("  extra_workdays: [2026-12-12]\n", "")
        .replace("[2026-12-07]", "[" + ", ".join(f"{d:%Y-%m-%d}" for d in mondays) + "]")
    )
    policy = _policy(tmp_path, text=text)
    with pytest.raises(PolicyError, match="no business hours found within 400 days"):
        policy.deadlines("general", datetime(2026, 1, 1, tzinfo=UTC))
