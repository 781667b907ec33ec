"""free baselines scored like agents: ai_decision_scores.subject gains 'baseline'; an index for the leaderboard's
window reads (subject, exit_at)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 09:00:00
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SUBJECTS = "subject IN ('agent', 'consensus', 'cheap_consensus')"
NEW_SUBJECTS = "subject IN ('agent', 'consensus', 'cheap_consensus', 'baseline')"


def upgrade() -> None:
    with op.batch_alter_table('ai_decision_scores', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_ai_decision_scores_subject'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_decision_scores_subject'), NEW_SUBJECTS)
        batch_op.create_index('ix_scores_subject_exit', ['subject', 'exit_at'], unique=False)


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM ai_decision_scores WHERE subject = 'baseline'"))
    with op.batch_alter_table('ai_decision_scores', schema=None) as batch_op:
        batch_op.drop_index('ix_scores_subject_exit')
        batch_op.drop_constraint(batch_op.f('ck_ai_decision_scores_subject'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_ai_decision_scores_subject'), OLD_SUBJECTS)
