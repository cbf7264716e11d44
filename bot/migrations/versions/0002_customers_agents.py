"""customers and agents; tickets.customer_id, filled in from existing tickets

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 15:10:00
"""

import sqlalchemy as sa
from alembic import op

from bot.db import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("sender_id", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("last_seen", UTCDateTime(), nullable=False),
        sa.Column("forgotten_at", UTCDateTime(), nullable=True),
        sa.Column("forgotten_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
        sa.UniqueConstraint("channel", "sender_id", name=op.f("uq_customers_channel_sender_id")),
    )
    op.create_table(
        "agents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("role IN ('agent', 'supervisor', 'admin')", name=op.f("ck_agents_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agents")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_agents_token_hash")),
        sa.UniqueConstraint("username", name=op.f("uq_agents_username")),
    )

    # A plain ADD COLUMN on every backend. Batch mode would rebuild `tickets` on SQLite,
    # and dropping the old table with foreign keys on cascades into ticket_events.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE tickets ADD COLUMN customer_id INTEGER "
            "CONSTRAINT fk_tickets_customer_id_customers "
            "REFERENCES customers (id)"
        )
    else:
        op.add_column("tickets", sa.Column("customer_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f("fk_tickets_customer_id_customers"),
            "tickets",
            "customers",
            ["customer_id"],
            ["id"],
        )
    op.create_index("ix_tickets_customer_id", "tickets", ["customer_id"], unique=False)
    op.create_index(
        "ix_tickets_assigned_agent", "tickets", ["assigned_agent", "status"], unique=False
    )

    # Every customer who already complained gets a row; contacts are their latest ones.
    op.execute(
        "INSERT INTO customers (channel, sender_id, language, first_seen, last_seen) "
        "SELECT channel, sender_id, MAX(language), MIN(created_at), MAX(created_at) "
        "FROM tickets GROUP BY channel, sender_id"
    )
    op.execute(
        "UPDATE tickets SET customer_id = (SELECT c.id FROM customers c "
        "WHERE c.channel = tickets.channel AND c.sender_id = tickets.sender_id)"
    )
    for column, source in (("phone", "contact_phone"), ("email", "contact_email")):
        op.execute(
            f"UPDATE customers SET {column} = (SELECT t.{source} FROM tickets t "
            f"WHERE t.customer_id = customers.id AND t.{source} IS NOT NULL "
            "ORDER BY t.created_at DESC LIMIT 1)"
        )


def downgrade() -> None:
    op.drop_index("ix_tickets_assigned_agent", table_name="tickets")
    op.drop_index("ix_tickets_customer_id", table_name="tickets")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE tickets DROP COLUMN customer_id")  # SQLite >= 3.35
    else:
        op.drop_constraint("fk_tickets_customer_id_customers", "tickets", type_="foreignkey")
        op.drop_column("tickets", "customer_id")
    op.drop_table("agents")
    op.drop_table("customers")
