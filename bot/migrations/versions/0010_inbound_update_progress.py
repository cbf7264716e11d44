"""inbound_updates.message_id and completed_at: resume an update a dead process left unfinished

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 09:00:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbound_updates") as batch:
        batch.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("completed_at", UTCDateTime(), nullable=True))
    # Updates claimed before this revision were processed (or failed and were released).
    op.execute("UPDATE inbound_updates SET completed_at = received_at")


def downgrade() -> None:
    with op.batch_alter_table("inbound_updates") as batch:
        batch.drop_column("completed_at")
        batch.drop_column("message_id")
