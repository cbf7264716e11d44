"""practice_sessions: agents' practice chats with simulated customers, and their scores

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 10:45:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "practice_sessions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("agent", sa.String(40), nullable=False),
        sa.Column("persona_id", sa.String(80), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("turns", sa.JSON(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=True),
        sa.Column("score", sa.JSON(), nullable=True),
    )
    op.create_index("ix_practice_sessions_agent", "practice_sessions", ["agent", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_practice_sessions_agent", table_name="practice_sessions")
    op.drop_table("practice_sessions")
