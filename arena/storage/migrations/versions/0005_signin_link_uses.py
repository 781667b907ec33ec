"""access: sign-in links are single use (the SHA-256 of each redeemed link, kept until it expires)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 08:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arena.storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ai_signin_link_uses",
        sa.Column("link_id", sa.String(length=64), nullable=False),
        sa.Column("used_at", arena.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", arena.storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_ai_signin_link_uses")),
    )
    with op.batch_alter_table("ai_signin_link_uses", schema=None) as batch_op:
        batch_op.create_index("ix_signin_link_uses_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("ai_signin_link_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_signin_link_uses_expires_at")

    op.drop_table("ai_signin_link_uses")
