"""Gateway settings for the fault tests, and what the gateway stored, read straight from
its database (the proof that nothing was lost or duplicated)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import Settings, load_settings
from bot.conversations.store import transcript
from bot.stack import free_port
from bot.tickets.models import Ticket

API_TOKEN = "service-token-for-fault-tests-0123456789"
# Our ticket numbers, as the polite hold names them.
TICKET_ID = re.compile(r"CP-\d{8}-\d{4}")


def gateway_settings(var_dir: Path, database_url: str, **overrides: object) -> Settings:
    """Gateway settings on their own port and database; Rasa and the action server are
    nowhere unless overridden (so every complaint is held on a ticket for a human)."""
    nowhere = f"http://127.0.0.1:{free_port()}"
    values: dict[str, object] = {
        "env": "development",
        "var_dir": var_dir,
        "database_url": database_url,
        "redis_url": None,
        "api_token": API_TOKEN,
        "port": free_port(),
        "rasa_url": nowhere,
        "actions_url": nowhere,
        "sla_monitor_interval": 0,
        **overrides,
    }
    return load_settings(_env_file=None, **values)


def stored_inbound(sessions: sessionmaker[Session], channel: str, sender_id: str) -> list[str]:
    """The customer's messages as stored, oldest first."""
    with sessions() as session:
        return [
            m.text
            for m in transcript(session, channel=channel, sender_id=sender_id)
            if m.direction == "in"
        ]


def ticket_ids(sessions: sessionmaker[Session], channel: str, sender_id: str) -> list[str]:
    """The customer's tickets, oldest first."""
    with sessions() as session:
        return list(
            session.execute(
                select(Ticket.id)
                .where(Ticket.channel == channel, Ticket.sender_id == sender_id)
                .order_by(Ticket.created_at, Ticket.id)
            ).scalars()
        )


def ticket_count(sessions: sessionmaker[Session], channel: str, sender_id: str) -> int:
    return len(ticket_ids(sessions, channel, sender_id))
