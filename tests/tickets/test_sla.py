"""SLA policy loading and deadlines (DESIGN §5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.paths import DEFAULT_SLA_POLICY
from bot.tickets.sla import PolicyError, SlaPolicy, load_policy, parse_duration

OPENED = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)

VALID_SEVERITIES = """\
severities:
  general: {first_response: 8h, resolution: 2d}
  major: {first_response: 1h, resolution: 12h}
  urgent: {first_response: 10m, resolution: 2h}
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sla_policy.yml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped() -> SlaPolicy:
    return load_policy(DEFAULT_SLA_POLICY)


@pytest.mark.parametrize(
    ("severity", "first_response", "resolution"),
    [
        ("general", timedelta(hours=24), timedelta(hours=72)),
        ("major", timedelta(hours=2), timedelta(hours=24)),
        ("urgent", timedelta(minutes=15), timedelta(hours=4)),
    ],
)
def test_shipped_policy_matches_design(
    shipped: SlaPolicy, severity: str, first_response: timedelta, resolution: timedelta
) -> None:
    targets = shipped.targets[severity]
    assert (targets.first_response, targets.resolution) == (first_response, resolution)


def test_shipped_policy_shows_times_in_beijing(shipped: SlaPolicy) -> None:
    assert shipped.timezone.key == "Asia/Shanghai"
    assert shipped.local(OPENED) == datetime(2026, 11, 22, 17, 30, tzinfo=shipped.timezone)


@pytest.mark.parametrize(
    ("severity", "first_due", "resolution_due"),
    [
        (
            "general",
            datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
            datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        ),
        (
            "major",
            datetime(2026, 11, 22, 11, 30, tzinfo=UTC),
            datetime(2026, 11, 23, 9, 30, tzinfo=UTC),
        ),
        (
            "urgent",
            datetime(2026, 11, 22, 9, 45, tzinfo=UTC),
            datetime(2026, 11, 22, 13, 30, tzinfo=UTC),
        ),
    ],
)
def test_deadlines_from_opening_time(
    shipped: SlaPolicy, severity: str, first_due: datetime, resolution_due: datetime
) -> None:
    assert shipped.deadlines(severity, OPENED) == (first_due, resolution_due)


def test_deadlines_stay_in_utc(shipped: SlaPolicy) -> None:
    first_due, resolution_due = shipped.deadlines("major", OPENED)
    assert first_due.utcoffset() == timedelta(0)
    assert resolution_due.utcoffset() == timedelta(0)


def test_unknown_severity_gets_general_deadlines(shipped: SlaPolicy) -> None:
    assert shipped.deadlines("critical", OPENED) == shipped.deadlines("general", OPENED)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        ("1.5h", timedelta(minutes=90)),
        (" 24h ", timedelta(hours=24)),
        ("2 h", timedelta(hours=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "h", "2", "2hours", "2 hours", "-2h", "2H", "1e3h", "2w", "two hours", None, 2]
)
def test_parse_duration_rejects_bad_values(text: object) -> None:
    with pytest.raises(PolicyError, match=r"bad duration .*use a number and m, h or d"):
        parse_duration(text)  # type: ignore[arg-type]


def test_custom_policy_file(tmp_path: Path) -> None:
    policy = load_policy(_write(tmp_path, "timezone: Europe/London\n" + VALID_SEVERITIES))
    assert policy.timezone.key == "Europe/London"
    assert policy.deadlines("urgent", OPENED) == (
        OPENED + timedelta(minutes=10),
        OPENED + timedelta(hours=2),
    )
    assert policy.targets["general"].resolution == timedelta(days=2)


def test_missing_timezone_defaults_to_utc(tmp_path: Path) -> None:
    assert load_policy(_write(tmp_path, VALID_SEVERITIES)).timezone.key == "UTC"


@pytest.mark.parametrize("missing", ["general", "major", "urgent"])
def test_missing_severity_is_named(tmp_path: Path, missing: str) -> None:
    lines = [line for line in VALID_SEVERITIES.splitlines() if not line.strip().startswith(missing)]
    with pytest.raises(PolicyError, match=rf"severity '{missing}' is missing"):
        load_policy(_write(tmp_path, "\n".join(lines)))


def test_missing_target_is_named(tmp_path: Path) -> None:
    text = VALID_SEVERITIES.replace(
        "major: {first_response: 1h, resolution: 12h}", "major: {first_response: 1h}"
    )
    with pytest.raises(PolicyError, match=r"major\.resolution is missing"):
        load_policy(_write(tmp_path, text))


@pytest.mark.parametrize("value", ["2 hours", "soon", "120", "-1h"])
def test_bad_duration_in_file(tmp_path: Path, value: str) -> None:
    text = VALID_SEVERITIES.replace("first_response: 10m", f"first_response: {value}")
    with pytest.raises(PolicyError, match="bad duration"):
        load_policy(_write(tmp_path, text))


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "Beijing", "../../etc/passwd"])
def test_unknown_time_zone(tmp_path: Path, zone: str) -> None:
    with pytest.raises(PolicyError, match="unknown time zone"):
        load_policy(_write(tmp_path, f"timezone: {zone}\n" + VALID_SEVERITIES))


def test_empty_file_reports_first_missing_severity(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="severity 'general' is missing"):
        load_policy(_write(tmp_path, ""))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read SLA policy"):
        load_policy(tmp_path / "nowhere.yml")


def test_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read SLA policy"):
        load_policy(_write(tmp_path, "severities: [general: {first_response: 2h\n"))


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            "- general\n- major\n- urgent\n",
            id="top-level-list",
        ),
        pytest.param(
            "severities:\n  - general\n  - major\n",
            id="severities-list",
        ),
        pytest.param(
            "severities:\n  general: 24h\n  major: 2h\n  urgent: 15m\n", id="severity-not-a-mapping"
        ),
    ],
)
def test_wrongly_shaped_file_raises_policy_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(PolicyError):
        load_policy(_write(tmp_path, text))
