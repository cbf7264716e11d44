"""tickets.team: the team owning a ticket (teams.yml), with an index for per-team queues

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 10:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("team", sa.String(40), nullable=True))
    op.create_index("ix_tickets_team_status", "tickets", ["team", "status"])


def downgrade() -> None:
    op.drop_index("ix_tickets_team_status", table_name="tickets")
    if op.get_bind().dialect.name == "sqlite":
        # Not a batch copy of the table: that would rewrite its foreign keys in a form
        # migration 0002's downgrade cannot drop (SQLite >= 3.35 drops columns itself).
        op.execute("ALTER TABLE tickets DROP COLUMN team")
    else:
        op.drop_column("tickets", "team")
