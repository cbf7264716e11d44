"""SLA policy: first-response and resolution deadlines per severity, from a YAML file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([mhd])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


class PolicyError(ValueError):
    """The SLA policy file is missing something or has a malformed value."""


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(str(text))
    if not match:
        raise PolicyError(f"bad duration {text!r}: use a number and m, h or d (e.g. 2h)")
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


@dataclass(frozen=True)
class Targets:
    first_response: timedelta
    resolution: timedelta


@dataclass(frozen=True)
class SlaPolicy:
    targets: dict[str, Targets]
    timezone: ZoneInfo

    def deadlines(self, severity: str, start: datetime) -> tuple[datetime, datetime]:
        """(first_response_due, resolution_due) for a ticket of `severity` opened at `start`."""
        targets = self.targets.get(severity) or self.targets["general"]
        return start + targets.first_response, start + targets.resolution

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.timezone)


def load_policy(path: Path) -> SlaPolicy:
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise PolicyError(f"cannot read SLA policy {path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("severities") or {}, dict):
        raise PolicyError(f"SLA policy {path}: expected a mapping with a 'severities' mapping")
    severities = raw.get("severities") or {}
    targets: dict[str, Targets] = {}
    for name in ("general", "major", "urgent"):
        entry = severities.get(name)
        if not isinstance(entry, dict):
            raise PolicyError(f"SLA policy {path}: severity {name!r} is missing")
        try:
            targets[name] = Targets(
                parse_duration(entry["first_response"]), parse_duration(entry["resolution"])
            )
        except KeyError as exc:
            raise PolicyError(f"SLA policy {path}: {name}.{exc.args[0]} is missing") from None
    try:
        zone = ZoneInfo(str(raw.get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PolicyError(f"SLA policy {path}: unknown time zone {raw.get('timezone')!r}") from exc
    return SlaPolicy(targets=targets, timezone=zone)
