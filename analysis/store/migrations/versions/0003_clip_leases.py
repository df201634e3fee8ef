"""The run that holds a pending or running clip: its process and its last heartbeat.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = ("owner_host", "owner_pid", "owner_started", "heartbeat_at")


def upgrade() -> None:
    # Plain ADD COLUMN (nullable, no default): no table rebuild, on SQLite too.
    op.add_column("clips", sa.Column("owner_host", sa.String(255), nullable=True))
    op.add_column("clips", sa.Column("owner_pid", sa.Integer(), nullable=True))
    op.add_column("clips", sa.Column("owner_started", sa.Float(), nullable=True))
    op.add_column("clips", sa.Column("heartbeat_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("clips") as batch:
        for column in COLUMNS:
            batch.drop_column(column)
