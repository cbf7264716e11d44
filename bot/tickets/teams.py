"""Teams (跨部门协作): who owns which complaints, from a YAML file (COMPLAINTBOT_TEAMS).

A new ticket goes to the team owning its product, else the team owning its category,
else the default (coordinating) team when the file names one, else no team. Without a
teams file nothing is routed and every ticket stays in the one queue, as before.

```yaml
default: coordination            # optional: where unmatched tickets go
teams:
  - name: logistics              # 1-40 characters, unique
    title: {en: Logistics, zh-CN: 物流部}   # optional, for the console and dashboard
    members: [alice, bob]        # agent usernames
    categories: [delivery]
    products: [sofa]             # matched in the ticket's product, case-insensitively
    sla:                         # optional: the team's own targets (as in the SLA policy)
      major: {first_response: 1h, resolution: 12h}
```
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from bot.clock import iso
from bot.tickets import deadlines
from bot.tickets.audit import Actor, record
from bot.tickets.models import CATEGORIES, SEVERITIES, Ticket
from bot.tickets.sla import CLOCKS, PolicyError, SlaPolicy, parse_duration, with_team_targets

MAX_TEAM_CHARS = 40  # the queue's team column (bot.handoff.queue)
MAX_REASON_CHARS = 500


class TeamsError(ValueError):
    """The teams file is missing something or has a malformed value."""


class HandOverError(ValueError):
    """A hand-over the ticket cannot take (unknown team, same team, no reason)."""


@dataclass(frozen=True)
class Team:
    name: str
    members: frozenset[str]
    categories: frozenset[str]
    products: tuple[str, ...]  # casefolded
    title: dict[str, str]
    # Own SLA targets per severity: {first_response, resolution, clock} (bot.tickets.sla).
    sla: dict[str, dict[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Route:
    team: str | None
    why: str  # product | category | default | none


@dataclass(frozen=True)
class Teams:
    teams: dict[str, Team]
    default: str | None = None

    def route(self, category: str, product: str | None) -> Route:
        """The owning team: product first (the longest matching name), then category."""
        if product:
            found = product.casefold()
            matches = [
                (len(name), team.name)
                for team in self.teams.values()
                for name in team.products
                if name in found
            ]
            if matches:  # the longest name; the first team in the file on a tie
                return Route(max(matches, key=lambda match: match[0])[1], "product")
        for team in self.teams.values():
            if category in team.categories:
                return Route(team.name, "category")
        if self.default is not None:
            return Route(self.default, "default")
        return Route(None, "none")

    def of_member(self, username: str) -> list[str]:
        """The teams `username` belongs to, in file order."""
        return [team.name for team in self.teams.values() if username in team.members]

    def members(self, name: str) -> frozenset[str]:
        team = self.teams.get(name)
        return team.members if team is not None else frozenset()

    def to_dict(self) -> dict[str, Any]:
        return {
            "default": self.default,
            "teams": [
                {
                    "name": team.name,
                    "title": team.title,
                    "members": sorted(team.members),
                    "categories": sorted(team.categories),
                    "products": list(team.products),
                }
                for team in self.teams.values()
            ],
        }


def _names(raw: Any, where: str) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(x, str | int) for x in raw):
        raise TeamsError(f"{where} must be a list of names")
    return [str(x).strip() for x in raw if str(x).strip()]


def _team(raw: Any, where: str) -> Team:
    if not isinstance(raw, dict):
        raise TeamsError(f"{where} must be a mapping with a name")
    name = str(raw.get("name") or "").strip()
    if not 0 < len(name) <= MAX_TEAM_CHARS:
        raise TeamsError(f"{where}.name: 1-{MAX_TEAM_CHARS} characters")
    categories = _names(raw.get("categories"), f"{where}.categories")
    unknown = sorted(set(categories) - set(CATEGORIES))
    if unknown:
        raise TeamsError(f"{where}.categories: unknown {', '.join(unknown)}")
    title = raw.get("title") or {}
    if isinstance(title, str):
        title = {"en": title}
    if not isinstance(title, dict):
        raise TeamsError(f"{where}.title must be a text or a mapping of language to text")
    return Team(
        sla=_sla(raw.get("sla"), f"{where}.sla"),
        name=name,
        members=frozenset(_names(raw.get("members"), f"{where}.members")),
        categories=frozenset(categories),
        products=tuple(p.casefold() for p in _names(raw.get("products"), f"{where}.products")),
        title={str(k): str(v) for k, v in title.items()},
    )


def _sla(raw: Any, where: str) -> dict[str, dict[str, str]]:
    """A team's own targets, checked here; turned into durations by team_policy."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise TeamsError(f"{where} must map severities to targets")
    found: dict[str, dict[str, str]] = {}
    for severity, entry in raw.items():
        if severity not in SEVERITIES:
            raise TeamsError(f"{where}: unknown severity {severity!r}")
        if not isinstance(entry, dict) or not entry or set(entry) - {
            "first_response", "resolution", "clock"
        }:  # fmt: skip
            raise TeamsError(f"{where}.{severity}: expected first_response, resolution or clock")
        try:
            for key in ("first_response", "resolution"):
                if key in entry:
                    parse_duration(entry[key])
        except PolicyError as exc:
            raise TeamsError(f"{where}.{severity}: {exc}") from None
        if entry.get("clock", "calendar") not in CLOCKS:
            raise TeamsError(f"{where}.{severity}.clock must be calendar or business")
        found[str(severity)] = {str(k): str(v) for k, v in entry.items()}
    return found


def team_policy(policy: SlaPolicy, teams: Teams | None) -> SlaPolicy:
    """The SLA policy with the teams' own targets (unchanged without teams)."""
    if teams is None:
        return policy
    try:
        return with_team_targets(policy, {t.name: t.sla for t in teams.teams.values() if t.sla})
    except PolicyError as exc:
        raise TeamsError(str(exc)) from None


def parse_teams(raw: Any, where: str = "teams file") -> Teams:
    if not isinstance(raw, dict) or not isinstance(raw.get("teams"), list) or not raw["teams"]:
        raise TeamsError(f"{where}: expected a mapping with a non-empty 'teams' list")
    teams: dict[str, Team] = {}
    owner: dict[str, str] = {}
    for index, entry in enumerate(raw["teams"]):
        team = _team(entry, f"{where}: teams[{index}]")
        if team.name in teams:
            raise TeamsError(f"{where}: team {team.name!r} is named twice")
        for category in team.categories:
            if category in owner:
                raise TeamsError(
                    f"{where}: category {category} is owned by both {owner[category]} "
                    f"and {team.name}"
                )
            owner[category] = team.name
        teams[team.name] = team
    default = raw.get("default")
    if default is not None and str(default) not in teams:
        raise TeamsError(f"{where}: default team {default!r} is not one of the teams")
    return Teams(teams=teams, default=None if default is None else str(default))


def load_teams(path: Path | None) -> Teams | None:
    """The teams in `path`; None without a path (no routing)."""
    if path is None:
        return None
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise TeamsError(f"cannot read teams file {path}: {exc}") from exc
    return parse_teams(raw, f"teams file {path}")


def record_route(ticket: Ticket, route: Route, *, actor: Actor, now: datetime) -> None:
    """The new ticket's owning team on its trail (the team is set before its deadlines)."""
    record(ticket, actor=actor, action="routed", now=now,
           data={"team": route.team, "by": route.why})  # fmt: skip


def hand_over(
    ticket: Ticket,
    to_team: str,
    reason: str,
    teams: Teams,
    *,
    actor: Actor,
    now: datetime,
    policy: SlaPolicy | None = None,
) -> str | None:
    """Passes the ticket to another team (流转) with a reason; returns the team it left.
    With `policy`, a receiving team with its own SLA targets has the deadlines recomputed
    from the ticket's creation (shown on the event)."""
    reason = reason.strip()
    if not reason:
        raise HandOverError("say why the ticket goes to another team")
    if to_team not in teams.teams:
        raise HandOverError(f"no team named {to_team!r}; teams are {', '.join(teams.teams)}")
    if to_team == ticket.team:
        raise HandOverError(f"the ticket is already with {to_team}")
    before = ticket.team
    dues = (ticket.first_response_due, ticket.resolution_due)
    ticket.team = to_team
    ticket.updated_at = now
    data: dict[str, Any] = {"from": before, "to": to_team, "reason": reason[:MAX_REASON_CHARS],
                            "agent": ticket.assigned_agent}  # fmt: skip
    if policy is not None:
        deadlines.set_deadlines(ticket, policy)
        if (ticket.first_response_due, ticket.resolution_due) != dues:
            data["first_response_due"] = iso(ticket.first_response_due)
            data["resolution_due"] = iso(ticket.resolution_due)
    record(ticket, actor=actor, action="handed_over", now=now, data=data)
    return before


def mine_first(rows: Iterable[dict[str, Any]], my_teams: list[str]) -> list[dict[str, Any]]:
    """Queue rows with the agent's teams' tickets first, each part in its serving order."""
    ordered = list(rows)
    return [r for r in ordered if r.get("team") in my_teams] + [
        r for r in ordered if r.get("team") not in my_teams
    ]
