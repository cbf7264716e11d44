"""messages.delivered_at (pending outbound messages), inbound_updates (channel update ids
seen, so none is processed twice), evidence (files customers send, linked to tickets)

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

    op.create_table(
        "inbound_updates",
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "external_id", name=op.f("pk_inbound_updates")),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ticket_id", sa.String(length=20), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("stored_path", sa.String(length=255), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("caption", sa.String(length=1024), nullable=True),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_evidence_ticket_id_tickets"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    op.create_index("ix_evidence_customer", "evidence", ["channel", "sender_id"])
    op.create_index(op.f("ix_evidence_ticket_id"), "evidence", ["ticket_id"])


def downgrade() -> None:
    op.drop_table("evidence")
    op.drop_table("inbound_updates")
    op.drop_index("ix_messages_pending", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("delivered_at")
