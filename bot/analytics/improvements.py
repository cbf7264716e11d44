"""Improvement actions (改进) and whether they worked: the complaint rate of their root
cause in the days before the action and the days after it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from bot.analytics.figures import counted_as_cause, start_of
from bot.analytics.models import ACTION_STATUSES, ImprovementAction
from bot.analytics.sql import count_star
from bot.clock import iso
from bot.tickets.audit import Actor
from bot.tickets.models import CATEGORIES, Ticket

# How many days on each side of the action the rates compare.
DEFAULT_WINDOW_DAYS = 28
EDITABLE = ("title", "description", "owner", "due_on", "started_on", "status", "product")


class InvalidAction(ValueError):
    """A field of an improvement action has a value it cannot have."""


@dataclass(frozen=True)
class NewAction:
    category: str
    title: str
    owner: str
    started_on: date
    product: str | None = None
    description: str | None = None
    due_on: date | None = None
    status: str = "planned"


def _check(category: str, status: str) -> None:
    if category not in CATEGORIES:
        raise InvalidAction(f"category: one of {', '.join(CATEGORIES)}")
    if status not in ACTION_STATUSES:
        raise InvalidAction(f"status: one of {', '.join(ACTION_STATUSES)}")


def create_action(
    session: Session, *, new: NewAction, actor: Actor, now: datetime
) -> ImprovementAction:
    _check(new.category, new.status)
    action = ImprovementAction(
        category=new.category,
        product=new.product or None,
        title=new.title,
        description=new.description,
        owner=new.owner,
        due_on=new.due_on,
        started_on=new.started_on,
        status=new.status,
        created_by=actor.name,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    session.flush()
    return action


def update_action(
    session: Session, action_id: int, changes: Mapping[str, Any], *, now: datetime
) -> ImprovementAction | None:
    action = session.get(ImprovementAction, action_id, with_for_update=True)
    if action is None:
        return None
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidAction(f"cannot change {', '.join(sorted(unknown))}")
    _check(action.category, changes.get("status", action.status))
    for name, value in changes.items():
        setattr(action, name, value)
    action.updated_at = now
    session.flush()
    return action


def delete_action(session: Session, action_id: int) -> bool:
    action = session.get(ImprovementAction, action_id)
    if action is None:
        return False
    session.delete(action)
    return True


def list_actions(
    session: Session, *, status: str | None = None, category: str | None = None
) -> list[ImprovementAction]:
    stmt = select(ImprovementAction).order_by(
        ImprovementAction.started_on.desc(), ImprovementAction.id.desc()
    )
    if status is not None:
        stmt = stmt.where(ImprovementAction.status == status)
    if category is not None:
        stmt = stmt.where(ImprovementAction.category == category)
    return list(session.execute(stmt).scalars())


def _count(session: Session, first: date, end: date, *cause: ColumnElement[bool]) -> int:
    """Tickets counted as causes created from `first` up to (not including) `end`."""
    return int(
        session.execute(
            select(count_star())
            .select_from(Ticket)
            .where(
                Ticket.created_at >= start_of(first),
                Ticket.created_at < start_of(end),
                counted_as_cause(),
                *cause,
            )
        ).scalar_one()
    )


def _rates(
    session: Session, first: date, end: date, cause: list[ColumnElement[bool]]
) -> dict[str, Any]:
    days = (end - first).days
    if days <= 0:
        return {"from": first.isoformat(), "days": 0, "complaints": 0, "per_day": None,
                "share_pct": None}  # fmt: skip
    complaints = _count(session, first, end, *cause)
    everything = _count(session, first, end)
    return {
        "from": first.isoformat(),
        "days": days,
        "complaints": complaints,
        "per_day": round(complaints / days, 3),
        # Of all (valid or unassessed) complaints: steady when overall volume moves.
        "share_pct": round(100.0 * complaints / everything, 2) if everything else None,
    }


def effect(
    session: Session,
    action: ImprovementAction,
    *,
    today: date,
    window_days: int = DEFAULT_WINDOW_DAYS,
) -> dict[str, Any]:
    """The root cause's complaint rate in the `window_days` before the action's start and
    from its start on (up to today, at most `window_days`)."""
    cause = [Ticket.category == action.category]
    if action.product is not None:
        cause.append(Ticket.product == action.product)
    start = action.started_on
    before = _rates(session, start - timedelta(days=window_days), start, cause)
    after_end = min(start + timedelta(days=window_days), today + timedelta(days=1))
    after = _rates(session, start, after_end, cause)
    change = None
    if before["per_day"] and after["per_day"] is not None:
        change = round(100.0 * (after["per_day"] - before["per_day"]) / before["per_day"], 1)
    return {"before": before, "after": after, "change_pct": change}


def action_to_dict(
    session: Session, action: ImprovementAction, *, today: date | None = None
) -> dict[str, Any]:
    today = today or datetime.now(UTC).date()
    return {
        "id": action.id,
        "category": action.category,
        "product": action.product,
        "title": action.title,
        "description": action.description,
        "owner": action.owner,
        "due_on": None if action.due_on is None else action.due_on.isoformat(),
        "started_on": action.started_on.isoformat(),
        "status": action.status,
        "created_by": action.created_by,
        "created_at": iso(action.created_at),
        "updated_at": iso(action.updated_at),
        "effect": effect(session, action, today=today),
    }
