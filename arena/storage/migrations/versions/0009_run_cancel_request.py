"""a running run can be asked to stop: ai_arena_runs.cancel_requested_at / cancel_requested_by

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arena.storage.types

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ai_arena_runs', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('cancel_requested_at', arena.storage.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column('cancel_requested_by', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ai_arena_runs', schema=None) as batch_op:
        batch_op.drop_column('cancel_requested_by')
        batch_op.drop_column('cancel_requested_at')
