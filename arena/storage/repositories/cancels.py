"""A run's cancel request: the mark an operator leaves on a running run, and the one read its executor polls."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from arena.kernel.states import RunStatus
from arena.storage.models import ArenaRun

CANCELLED_BY_MAX_CHARS = 64  # ai_arena_runs.cancel_requested_by


def mark_cancel(*, session: Session, run_id: str, actor: str, now: datetime) -> bool:
    """Guarded: only a `running` run not already marked; False otherwise (finished, queued, or asked before)."""
    result = session.execute(
        update(ArenaRun)
        .where(ArenaRun.id == run_id, ArenaRun.status == RunStatus.RUNNING, ArenaRun.cancel_requested_at.is_(None))
        .values(cancel_requested_at=now, cancel_requested_by=actor[:CANCELLED_BY_MAX_CHARS])
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def cancel_mark(*, session: Session, run_id: str) -> tuple[datetime, str] | None:
    """(when, who) when someone asked to stop the run, else None."""
    row = session.execute(
        select(ArenaRun.cancel_requested_at, ArenaRun.cancel_requested_by).where(ArenaRun.id == run_id)
    ).first()
    if row is None or row[0] is None:
        return None
    return row[0], row[1] or "an operator"
