"""canned_reply_versions: supervisors' versions of the canned replies, each one audited

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 10:10:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "canned_reply_versions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("replies", sa.JSON(), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_reply_versions")),
    )
    op.create_index(
        "ix_canned_reply_versions_language", "canned_reply_versions", ["language", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_canned_reply_versions_language", table_name="canned_reply_versions")
    op.drop_table("canned_reply_versions")
