"""tools: ai_tool_calls (one row per tool call), profile tool limits, telemetry call keys, decisions' tools note

The decisions' old `tool_calls` JSON column (the model's own `required_tools` echoed as "requested") is dropped:
real tool calls live in ai_tool_calls.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 08:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import arena.storage.types

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOOL_STATUS = "status IN ('ok', 'refused', 'error', 'timeout')"


def upgrade() -> None:
    op.create_table('ai_tool_calls',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.String(length=32), nullable=False),
    sa.Column('agent_decision_id', sa.String(length=32), nullable=False),
    sa.Column('llm_call_id', sa.Integer(), nullable=True),
    sa.Column('provider_call_id', sa.String(length=64), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('arguments', sa.JSON(), nullable=True),
    sa.Column('raw_arguments', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result_bytes', sa.Integer(), nullable=False),
    sa.Column('result_hash', sa.String(length=64), nullable=False),
    sa.Column('result_preview', sa.Text(), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=False),
    sa.Column('created_at', arena.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(TOOL_STATUS, name=op.f('ck_ai_tool_calls_status')),
    sa.ForeignKeyConstraint(['agent_decision_id'], ['ai_arena_agent_decisions.id'], name=op.f('fk_ai_tool_calls_agent_decision_id_ai_arena_agent_decisions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['llm_call_id'], ['ai_cost_telemetry.id'], name=op.f('fk_ai_tool_calls_llm_call_id_ai_cost_telemetry')),
    sa.ForeignKeyConstraint(['run_id'], ['ai_arena_runs.id'], name=op.f('fk_ai_tool_calls_run_id_ai_arena_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_tool_calls'))
    )
    with op.batch_alter_table('ai_tool_calls', schema=None) as batch_op:
        batch_op.create_index('ix_tool_calls_decision', ['agent_decision_id', 'seq'], unique=False)
        batch_op.create_index('ix_tool_calls_run', ['run_id'], unique=False)
    with op.batch_alter_table('ai_agent_profile_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tools_allowed', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('tool_max_rounds', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('tool_max_seconds', sa.Float(), server_default='20', nullable=False))
    with op.batch_alter_table('ai_cost_telemetry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_key', sa.String(length=32), nullable=True))
        batch_op.create_index('ix_telemetry_call_key', ['call_key'], unique=False)
    with op.batch_alter_table('ai_arena_agent_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tools_note', sa.Text(), nullable=True))
        batch_op.drop_column('tool_calls')


def downgrade() -> None:
    with op.batch_alter_table('ai_arena_agent_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tool_calls', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.drop_column('tools_note')
    with op.batch_alter_table('ai_cost_telemetry', schema=None) as batch_op:
        batch_op.drop_index('ix_telemetry_call_key')
        batch_op.drop_column('call_key')
    with op.batch_alter_table('ai_agent_profile_versions', schema=None) as batch_op:
        batch_op.drop_column('tool_max_seconds')
        batch_op.drop_column('tool_max_rounds')
        batch_op.drop_column('tools_allowed')
    with op.batch_alter_table('ai_tool_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_tool_calls_run')
        batch_op.drop_index('ix_tool_calls_decision')
    op.drop_table('ai_tool_calls')
