"""Strategies (ai_strategies) as APScheduler jobs: what to schedule, and whether it changed since last look.

Only the schedule decides whether a job is replaced (cron, interval, enabled, name); everything else about a
strategy (symbols, agents, mode, execution) is read again from the database when the cycle fires, so an edit
counts from the next cycle without touching the job's timer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.orm import Session, sessionmaker

from arena.kernel.kinds import ScheduleKind
from arena.storage.models import Strategy
from arena.storage.repositories.strategies import list_strategies

log = logging.getLogger("arena.worker.schedules")


@dataclass(frozen=True)
class ScheduleSpec:
    """The part of a strategy that defines its job; equal specs keep the job (and its timer) as it is."""

    strategy_id: int
    name: str
    kind: str
    cron: str | None
    interval_seconds: int | None

    @property
    def job_id(self) -> str:
        return f"strategy:{self.strategy_id}"

    def trigger(self) -> BaseTrigger:
        """Raises ValueError for a cron expression APScheduler cannot parse."""
        if self.kind == ScheduleKind.CRON:
            return CronTrigger.from_crontab(self.cron or "", timezone=UTC)
        if not self.interval_seconds or self.interval_seconds < 10:
            raise ValueError(f"interval must be at least 10 s (got {self.interval_seconds})")
        return IntervalTrigger(seconds=self.interval_seconds, timezone=UTC)

    def describe(self) -> str:
        return f"cron {self.cron!r}" if self.kind == ScheduleKind.CRON else f"every {self.interval_seconds} s"


@dataclass(frozen=True)
class CycleSpec:
    """A strategy as one cycle needs it, read when the cycle fires."""

    strategy_id: int
    name: str
    symbols: list[str]
    agents: list[str] | None
    mode: str
    execution_enabled: bool


def enabled_schedules(*, sessions: sessionmaker[Session]) -> dict[int, ScheduleSpec]:
    with sessions() as session:
        return {
            s.id: ScheduleSpec(s.id, s.name, s.schedule_kind, s.cron, s.interval_seconds)
            for s in list_strategies(session=session)
            if s.enabled
        }


def cycle_spec(*, sessions: sessionmaker[Session], strategy_id: int) -> CycleSpec | None:
    """The strategy as it is now, or None when it was deleted or disabled since the job fired."""
    with sessions() as session:
        s = session.get(Strategy, strategy_id)
        if s is None or not s.enabled:
            return None
        return CycleSpec(
            s.id, s.name, list(s.symbols), list(s.agents) if s.agents else None, s.mode, s.execution_enabled
        )
