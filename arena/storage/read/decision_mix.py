"""How the arena decided over time: completed runs per UTC day and final action (BUY/SELL/HOLD/NO_TRADE), so a
drift to NO_TRADE (or to always-BUY) is visible at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.kernel.kinds import FinalAction
from arena.kernel.states import RunStatus
from arena.storage.models import ArenaRun
from arena.storage.read.dashboard import _day_bucket


@dataclass(frozen=True, slots=True)
class MixPoint:
    day: date
    action: FinalAction
    runs: int


def decision_mix(*, session: Session, since: datetime) -> list[MixPoint]:
    """Completed runs created since `since`, counted per UTC day and final action (oldest day first)."""
    day = _day_bucket(session, ArenaRun.created_at).label("day")
    rows = session.execute(
        select(day, ArenaRun.final_action, func.count(ArenaRun.id))
        .where(
            ArenaRun.created_at >= since,
            ArenaRun.status == RunStatus.COMPLETED,
            ArenaRun.final_action.is_not(None),
        )
        .group_by(day, ArenaRun.final_action)
        .order_by(day, ArenaRun.final_action)
    ).all()
    return [MixPoint(day=date.fromisoformat(d), action=FinalAction(a), runs=int(n)) for d, a, n in rows]
