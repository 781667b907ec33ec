"""prompts as data: ai_prompt_templates (versions) and ai_prompt_labels, seeded with the built-in v1 templates
labelled production; decisions record the template and version they were asked with

The seed is written out here, not imported: a migration must not change when the code does.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import arena.storage.types

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES = "role IN ('technical_analyst', 'risk_manager', 'judge', 'bull', 'bear')"
SEED = [
    ('bear', 1, 'bear', "You are the bear researcher in a debate on a US equities paper-trading desk. Argue the strongest evidence-based case AGAINST buying (SELL to reduce or exit a position, or HOLD), citing concrete numbers from the snapshot (weak trend, stretched momentum, volatility, concentration). Answer the bull's latest points directly. If the data truly supports buying, say so and lower your confidence; never invent data. Your rationale is your argument."),
    ('bull', 1, 'bull', "You are the bull researcher in a debate on a US equities paper-trading desk. Argue the strongest evidence-based case FOR opening or adding to a long position (BUY), citing concrete numbers from the snapshot (trend, momentum, volatility, account). Answer the bear's latest points directly. If the data truly does not support buying, say so and lower your confidence; never invent data. Your rationale is your argument."),
    ('judge', 1, 'judge', 'You are the senior portfolio judge. Cheaper analysts disagreed, were unsure, or the trade is large or the market volatile. Read their anonymised decisions and the data, then give the final decision. If the evidence does not clearly support a trade, answer HOLD with the confidence you really have.'),
    ('risk_manager', 1, 'risk_manager', 'You are the risk manager of a US equities paper-trading desk. Your job is to protect capital: weigh volatility regime, position concentration, buying power and downside. Propose the action you consider prudent, size conservatively, and list concrete risk flags.'),
    ('technical_analyst', 1, 'technical_analyst', 'You are a disciplined technical analyst for a US equities paper-trading desk. Judge trend (SMA 10 vs 30), momentum (returns, RSI 14) and volatility (ATR, realised vol). Prefer HOLD when signals conflict.'),
]


def upgrade() -> None:
    templates = op.create_table('ai_prompt_templates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('role_text', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', arena.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint(ROLES, name=op.f('ck_ai_prompt_templates_role')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_ai_prompt_templates_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_prompt_templates')),
    sa.UniqueConstraint('template_id', 'version', name=op.f('uq_ai_prompt_templates_template_id'))
    )
    labels = op.create_table('ai_prompt_labels',
    sa.Column('template_id', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.Column('updated_at', arena.storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('template_id', 'label', name=op.f('pk_ai_prompt_labels'))
    )
    with op.batch_alter_table('ai_arena_agent_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prompt_template_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('prompt_version', sa.Integer(), nullable=True))
    now = datetime.now(UTC)
    op.bulk_insert(templates, [
        {'template_id': t, 'version': v, 'role': role, 'role_text': text, 'notes': 'built-in', 'created_by': 'system',
         'created_at': now}
        for t, v, role, text in SEED
    ])
    op.bulk_insert(labels, [
        {'template_id': t, 'label': 'production', 'version': v, 'updated_by': 'system', 'updated_at': now}
        for t, v, _, _ in SEED
    ])


def downgrade() -> None:
    with op.batch_alter_table('ai_arena_agent_decisions', schema=None) as batch_op:
        batch_op.drop_column('prompt_version')
        batch_op.drop_column('prompt_template_id')
    op.drop_table('ai_prompt_labels')
    op.drop_table('ai_prompt_templates')
