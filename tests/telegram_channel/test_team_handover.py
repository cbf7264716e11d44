"""A hand-over to another team (流转) is posted in the agents' Telegram group, against the
fake Bot API server, on SQLite and PostgreSQL: the ticket, the receiving team, its
members, and the reason with personal data masked."""

from __future__ import annotations

from web.conftest import new_ticket

from bot.agents.service import create_agent
from bot.clock import utcnow
from bot.db import transaction
from bot.tickets.teams import parse_teams
from telegram_channel.test_agent_group import GROUP, PHONE, gateway  # noqa: F401 (fixture)

TEAMS = {
    "teams": [
        {"name": "logistics", "members": ["wang"], "categories": ["delivery"]},
        {"name": "quality", "members": ["li", "bob"], "categories": ["product_quality"]},
    ]
}


def test_a_hand_over_is_posted_for_the_receiving_team(gateway, fake_api):  # noqa: F811
    # The teams file as the gateway would have loaded it at start-up.
    gateway.app.state.teams = teams = parse_teams(TEAMS)
    with transaction(gateway.app.state.sessions) as session:
        _lead, token = create_agent(session, username="sue", role="supervisor", now=utcnow())
    ticket_id = new_ticket(gateway.app.state.sessions, "cust-7", teams=teams)
    reason = f"crushed kettle, customer asks to be called on {PHONE}"
    answer = gateway.post(f"/api/tickets/{ticket_id}/team", json={"team": "quality",
                          "reason": reason}, headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert answer.status_code == 200, answer.text

    def posted() -> str | None:
        for message in fake_api.messages(GROUP):
            if message["text"].startswith(f"Handed over · {ticket_id}"):
                return str(message["text"])
        return None

    text = fake_api.wait_for(posted, timeout=20, what="the hand-over post")
    lines = text.splitlines()
    assert lines[0] == f"Handed over · {ticket_id} → quality"
    assert lines[2] == "For bob, li"
    assert "crushed kettle" in lines[1] and PHONE not in text
