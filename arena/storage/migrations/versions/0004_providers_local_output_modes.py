"""providers: local provider, output mode per profile and per call, truncated/refused calls, refused orders

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_PROVIDERS = "provider IN ('openai', 'openrouter')"
NEW_PROVIDERS = "provider IN ('openai', 'openrouter', 'local')"
OUTPUT_MODES = "output_mode IS NULL OR output_mode IN ('json_schema', 'json_object', 'prompt')"
OLD_CALL_STATUS = "status IN ('ok', 'error', 'timeout')"
NEW_CALL_STATUS = "status IN ('ok', 'error', 'timeout', 'truncated', 'refused')"
OLD_OUTCOMES = "outcome IN ('executable', 'hold', 'no_trade', 'blocked', 'executed', 'shadow', 'not_sized')"
NEW_OUTCOMES = "outcome IN ('executable', 'hold', 'no_trade', 'blocked', 'executed', 'refused', 'shadow', 'not_sized')"


def upgrade() -> None:
    with op.batch_alter_table('ai_agent_profile_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('output_mode', sa.String(length=16), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_ai_agent_profile_versions_provider'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_agent_profile_versions_provider'), NEW_PROVIDERS)
        batch_op.create_check_constraint(batch_op.f('ck_ai_agent_profile_versions_output_mode'), OUTPUT_MODES)
    with op.batch_alter_table('ai_cost_telemetry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('output_mode', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('note', sa.Text(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_ai_cost_telemetry_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_cost_telemetry_status'), NEW_CALL_STATUS)
    with op.batch_alter_table('ai_arena_consensus', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ai_arena_consensus_outcome'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_arena_consensus_outcome'), NEW_OUTCOMES)


def downgrade() -> None:
    with op.batch_alter_table('ai_arena_consensus', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ai_arena_consensus_outcome'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_arena_consensus_outcome'), OLD_OUTCOMES)
    with op.batch_alter_table('ai_cost_telemetry', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ai_cost_telemetry_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_cost_telemetry_status'), OLD_CALL_STATUS)
        batch_op.drop_column('note')
        batch_op.drop_column('output_mode')
    with op.batch_alter_table('ai_agent_profile_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ai_agent_profile_versions_output_mode'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_ai_agent_profile_versions_provider'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_agent_profile_versions_provider'), OLD_PROVIDERS)
        batch_op.drop_column('output_mode')
