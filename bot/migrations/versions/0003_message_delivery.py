"""messages.delivered_at: outbound messages waiting for a customer who cannot be pushed to

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 09:30:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))
    # Everything sent before this revision was returned in the same HTTP turn.
    op.execute("UPDATE messages SET delivered_at = created_at WHERE direction = 'out'")
    op.create_index(
        "ix_messages_pending",
        "messages",
        ["conversation_id"],
        postgresql_where=sa.text("delivered_at IS NULL AND direction = 'out'"),
        sqlite_where=sa.text("delivered_at IS NULL AND direction = 'out'"),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_pending", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("delivered_at")
