"""SLA policy: first-response and resolution deadlines per severity, from a YAML file.

Targets are set per severity and may be overridden per category. Each severity counts
either calendar time (24/7) or business time, when the policy defines business hours
(working days, opening hours, holidays and make-up working days, in the policy's zone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from bot.tickets.models import CATEGORIES, SEVERITIES

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_CLOCK_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCKS = ("calendar", "business")
# A year and a bit: a business calendar with no working day in it is a policy mistake.
_MAX_DAYS_SCANNED = 400


class PolicyError(ValueError):
    """The SLA policy file is missing something or has a malformed value."""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(str(text))
    if not match:
        raise PolicyError(f"bad duration {text!r}: use a number and m, h or d (e.g. 2h)")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


@dataclass(frozen=True)
class Targets:
    """Time allowed for the first response and the resolution, on `clock`.

    On the business clock the durations are opening time: a target written in days has
    been turned into that many working days (3d with 09:00-18:00 hours is 27 h open).
    """

    first_response: timedelta
    resolution: timedelta
    clock: str = "calendar"


@dataclass(frozen=True)
class BusinessHours:
    """Opening hours in local time; deadlines only run while the business is open."""

    weekdays: frozenset[int]  # 0 = Monday
    start: time
    end: time
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()  # weekends worked (调休)

    @property
    def day_length(self) -> timedelta:
        return datetime.combine(date.min, self.end) - datetime.combine(date.min, self.start)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.weekday() in self.weekdays and day not in self.holidays

    def add(self, start: datetime, duration: timedelta, zone: ZoneInfo) -> datetime:
        """The moment `duration` of opening time has passed since `start` (UTC result)."""
        moment = start.astimezone(UTC)
        remaining = duration
        if remaining <= timedelta(0):
            return moment
        day = moment.astimezone(zone).date()
        for _ in range(_MAX_DAYS_SCANNED):
            if self.is_working_day(day):
                # Wall-clock times in the zone, compared in UTC so DST days come out right.
                opens = datetime.combine(day, self.start, tzinfo=zone).astimezone(UTC)
                closes = datetime.combine(day, self.end, tzinfo=zone).astimezone(UTC)
                cursor = max(moment, opens)
                if cursor < closes:
                    available = closes - cursor
                    if remaining <= available:
                        return cursor + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise PolicyError(f"no business hours found within {_MAX_DAYS_SCANNED} days")


@dataclass(frozen=True)
class SlaPolicy:
    targets: dict[str, Targets]
    timezone: ZoneInfo
    business_hours: BusinessHours | None = None
    # (category, severity) -> targets replacing the severity's defaults for that category
    category_targets: dict[tuple[str, str], Targets] = field(default_factory=dict)
    # (team, severity) -> targets of a team's own SLA (teams.yml), before any other
    team_targets: dict[tuple[str, str], Targets] = field(default_factory=dict)

    def targets_for(
        self, severity: str, category: str | None = None, team: str | None = None
    ) -> Targets:
        if team is not None and (team, severity) in self.team_targets:
            return self.team_targets[(team, severity)]
        if category is not None and (category, severity) in self.category_targets:
            return self.category_targets[(category, severity)]
        return self.targets.get(severity) or self.targets["general"]

    def due(self, start: datetime, duration: timedelta, clock: str) -> datetime:
        """`start` plus `duration`, counted on the given clock."""
        if clock == "business" and self.business_hours is not None:
            return self.business_hours.add(start, duration, self.timezone)
        return start.astimezone(UTC) + duration

    def deadlines(
        self, severity: str, start: datetime, category: str | None = None, team: str | None = None
    ) -> tuple[datetime, datetime]:
        """(first_response_due, resolution_due) for a ticket of `severity` opened at `start`."""
        targets = self.targets_for(severity, category, team)
        return (
            self.due(start, targets.first_response, targets.clock),
            self.due(start, targets.resolution, targets.clock),
        )

    def resolution_due(
        self, severity: str, start: datetime, category: str | None = None, team: str | None = None
    ) -> datetime:
        targets = self.targets_for(severity, category, team)
        return self.due(start, targets.resolution, targets.clock)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)


def _clock_time(value: Any, where: str) -> time:
    if isinstance(value, int):  # YAML 1.1 reads an unquoted 9:00 as the number 540
        raise PolicyError(f'{where}: write the time in quotes, e.g. "09:00"')
    match = _CLOCK_TIME.match(str(value).strip())
    if not match:
        raise PolicyError(f"{where}: bad time {value!r}, expected HH:MM")
    return time(int(match.group(1)), int(match.group(2)))


def _dates(value: Any, where: str) -> frozenset[date]:
    if value is None:
        return frozenset()
    if not isinstance(value, list):
        raise PolicyError(f"{where}: expected a list of dates (YYYY-MM-DD)")
    days: set[date] = set()
    for item in value:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(str(item)))
        except ValueError:
            raise PolicyError(f"{where}: bad date {item!r}, expected YYYY-MM-DD") from None
    return frozenset(days)


def _business_hours(raw: Any, where: str) -> BusinessHours | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: business_hours must be a mapping")
    days = raw.get("days", list(WEEKDAYS[:5]))
    if not isinstance(days, list) or not days:
        raise PolicyError(f"{where}: business_hours.days must list at least one day (mon..sun)")
    weekdays: set[int] = set()
    for name in days:
        key = str(name).strip().lower()[:3]
        if key not in WEEKDAYS:
            raise PolicyError(f"{where}: business_hours.days: unknown day {name!r} (mon..sun)")
        weekdays.add(WEEKDAYS.index(key))
    for name in ("start", "end"):
        if name not in raw:
            raise PolicyError(f"{where}: business_hours.{name} is missing")
    start = _clock_time(raw["start"], f"{where}: business_hours.start")
    end = _clock_time(raw["end"], f"{where}: business_hours.end")
    if end <= start:
        raise PolicyError(f"{where}: business_hours.end must be later than start")
    return BusinessHours(
        weekdays=frozenset(weekdays),
        start=start,
        end=end,
        holidays=_dates(raw.get("holidays"), f"{where}: business_hours.holidays"),
        extra_workdays=_dates(raw.get("extra_workdays"), f"{where}: business_hours.extra_workdays"),
    )


def _target(text: Any, clock: str, hours: BusinessHours | None) -> timedelta:
    """A duration; days on the business clock are working days, not 24 h."""
    duration = parse_duration(text)
    if clock == "business" and hours is not None and str(text).strip().endswith("d"):
        return hours.day_length * (duration / timedelta(days=1))
    return duration


def _clock(entry: dict[str, Any], default: str, where: str, has_hours: bool) -> str:
    clock = str(entry.get("clock", default))
    if clock not in CLOCKS:
        raise PolicyError(f"{where}.clock must be calendar or business, not {clock!r}")
    if clock == "business" and not has_hours:
        raise PolicyError(f"{where}.clock is business but the policy has no business_hours")
    return clock


def _severity_targets(
    severities: dict[str, Any], path: Path, hours: BusinessHours | None
) -> dict[str, Targets]:
    targets: dict[str, Targets] = {}
    default_clock = "business" if hours is not None else "calendar"
    for name in SEVERITIES:
        entry = severities.get(name)
        if not isinstance(entry, dict):
            raise PolicyError(f"SLA policy {path}: severity {name!r} is missing")
        try:
            clock = _clock(entry, default_clock, f"SLA policy {path}: {name}", hours is not None)
            targets[name] = Targets(
                _target(entry["first_response"], clock, hours),
                _target(entry["resolution"], clock, hours),
                clock,
            )
        except KeyError as exc:
            raise PolicyError(f"SLA policy {path}: {name}.{exc.args[0]} is missing") from None
    return targets


def _category_targets(
    raw: Any, base: dict[str, Targets], path: Path, hours: BusinessHours | None
) -> dict[tuple[str, str], Targets]:
    """Per-category overrides; a value left out is taken from the severity's defaults."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise PolicyError(f"SLA policy {path}: categories must be a mapping")
    overrides: dict[tuple[str, str], Targets] = {}
    for category, per_severity in raw.items():
        if category not in CATEGORIES:
            raise PolicyError(f"SLA policy {path}: unknown category {category!r}")
        if not isinstance(per_severity, dict):
            raise PolicyError(f"SLA policy {path}: categories.{category} must be a mapping")
        for severity, entry in per_severity.items():
            where = f"SLA policy {path}: categories.{category}.{severity}"
            if severity not in SEVERITIES:
                raise PolicyError(f"{where}: unknown severity")
            if not isinstance(entry, dict) or not entry:
                raise PolicyError(f"{where}: expected first_response, resolution or clock")
            overrides[(category, severity)] = _override(entry, base[severity], where, hours)
    return overrides


def _override(
    entry: dict[str, Any], default: Targets, where: str, hours: BusinessHours | None
) -> Targets:
    """`default` with what `entry` sets (first_response, resolution, clock)."""
    clock = _clock(entry, default.clock, where, hours is not None)
    return Targets(
        _target(entry["first_response"], clock, hours)
        if "first_response" in entry
        else default.first_response,
        _target(entry["resolution"], clock, hours) if "resolution" in entry else default.resolution,
        clock,
    )


def with_team_targets(policy: SlaPolicy, per_team: dict[str, dict[str, Any]]) -> SlaPolicy:
    """The policy with teams' own targets (team -> severity -> first_response, resolution,
    clock); a value left out comes from the severity's defaults."""
    found: dict[tuple[str, str], Targets] = {}
    hours = policy.business_hours
    for team, per_severity in per_team.items():
        for severity, entry in per_severity.items():
            where = f"teams file: {team}.sla.{severity}"
            found[(team, severity)] = _override(entry, policy.targets[severity], where, hours)
    return replace(policy, team_targets=found)


def load_policy(path: Path) -> SlaPolicy:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read SLA policy {path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("severities") or {}, dict):
        raise PolicyError(f"SLA policy {path}: expected a mapping with a 'severities' mapping")
    hours = _business_hours(raw.get("business_hours"), f"SLA policy {path}")
    targets = _severity_targets(raw.get("severities") or {}, path, hours)
    try:
        zone = ZoneInfo(str(raw.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"SLA policy {path}: unknown time zone {raw.get('timezone')!r}") from exc
    return SlaPolicy(
        targets=targets,
        timezone=zone,
        business_hours=hours,
        category_targets=_category_targets(raw.get("categories"), targets, path, hours),
    )
