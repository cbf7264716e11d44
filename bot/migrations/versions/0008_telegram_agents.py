"""agents.telegram_user_id and telegram_ticket_posts: the agents' Telegram group

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 18:00:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("telegram_user_id", sa.BigInteger(), nullable=True))
        batch.create_index(batch.f("ix_agents_telegram_user_id"), ["telegram_user_id"], unique=True)
    op.create_table(
        "telegram_ticket_posts",
        sa.Column("ticket_id", sa.String(length=20), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("forwarded_through", sa.Integer(), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_telegram_ticket_posts")),
    )


def downgrade() -> None:
    op.drop_table("telegram_ticket_posts")
    with op.batch_alter_table("agents") as batch:
        batch.drop_index(batch.f("ix_agents_telegram_user_id"))
        batch.drop_column("telegram_user_id")
