"""Services the actions use, built on first use from the environment (never at import)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, utcnow
from bot.config import Settings, load_settings
from bot.db import make_engine, make_session_factory
from bot.privacy import install_log_masking
from bot.tickets.sla import SlaPolicy, load_policy
from bot.tickets.teams import Teams, load_teams, team_policy


@dataclass
class Services:
    settings: Settings
    sessions: sessionmaker[Session]
    policy: SlaPolicy
    clock: Clock = utcnow
    teams: Teams | None = None


@lru_cache(maxsize=1)
def get_services() -> Services:
    """The services of this process, built on the first action that needs them."""
    # Again here (see actions/__init__): catches handlers the server added after import.
    install_log_masking()
    settings = load_settings()
    teams = load_teams(settings.teams)
    return Services(
        settings=settings,
        sessions=make_session_factory(make_engine(settings.database_url)),
        policy=team_policy(load_policy(settings.sla_policy), teams),
        teams=teams,
    )


def conversation_identity(tracker: Any) -> tuple[str, str]:
    """(channel, sender_id) of the customer, as the gateway sent them in message metadata.

    Without metadata (Rasa called directly) the conversation id is taken as a REST sender.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            metadata = event.get("metadata") or {}
            channel, sender = metadata.get("channel"), metadata.get("sender_id")
            if channel and sender:
                return str(channel), str(sender)
            # An external event (trigger_intent) carries no metadata: look further back.
    return "rest", str(tracker.sender_id)
