"""decisions: decided_by, judge_cheap profiles, debaters, spend ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 05:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_MODES = "mode IN ('cheap_first', 'escalation_only')"
NEW_MODES = "mode IN ('cheap_first', 'judge_cheap', 'escalation_only')"
DECIDED_BY = (
    "decided_by IS NULL OR decided_by IN ('cheap_consensus', 'cheap_judge', 'escalation', 'veto', 'no_quorum', "
    "'spend_cap', 'no_power_profile', 'power_cap_reached')"
)


def upgrade() -> None:
    op.create_table('ai_spend_ledger',
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('scope', sa.String(length=40), nullable=False),
    sa.Column('calls', sa.Integer(), nullable=False),
    sa.Column('spent_usd', sa.Numeric(precision=14, scale=8), nullable=False),
    sa.CheckConstraint('calls >= 0', name=op.f('ck_ai_spend_ledger_calls')),
    sa.PrimaryKeyConstraint('day', 'scope', name=op.f('pk_ai_spend_ledger'))
    )
    with op.batch_alter_table('ai_agent_profile_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ai_agent_profile_versions_mode'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_agent_profile_versions_mode'), NEW_MODES)
    with op.batch_alter_table('ai_arena_consensus', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_by', sa.String(length=24), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_ai_arena_consensus_decided_by'), DECIDED_BY)
    with op.batch_alter_table('ai_arena_runs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_debaters', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ai_arena_runs', schema=None) as batch_op:
        batch_op.drop_column('requested_debaters')
    with op.batch_alter_table('ai_arena_consensus', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ai_arena_consensus_decided_by'), type_='check')
        batch_op.drop_column('decided_by')
    with op.batch_alter_table('ai_agent_profile_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ai_agent_profile_versions_mode'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_agent_profile_versions_mode'), OLD_MODES)
    op.drop_table('ai_spend_ledger')
