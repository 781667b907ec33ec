"""What every part of one worker shares: settings, database, id, timings, where it stands, and its thread pools."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.settings import Settings
from arena.kernel.states import WorkerRole
from arena.worker.config import WorkerConfig
from arena.worker.threads import WorkerThreads


@dataclass
class WorkerState:
    """Where this worker stands; shared by the lease loop, the jobs and the stop sequence."""

    role: WorkerRole = WorkerRole.STANDBY
    stopping: bool = False
    was_active: bool = False
    lease_until: float = 0.0  # monotonic time by which our lease has surely expired
    lease_expires_at: datetime | None = None

    def lease_valid(self) -> bool:
        return time.monotonic() < self.lease_until

    def may_start(self) -> bool:
        """Whether new work (a claim, a cycle, a periodic job) may begin now."""
        return self.role == WorkerRole.ACTIVE and not self.stopping and self.lease_valid()


@dataclass(frozen=True, kw_only=True)
class WorkerContext:
    """Handed to the lease keeper and the jobs alike, so each takes one argument instead of six."""

    settings: Settings
    sessions: sessionmaker[Session]
    worker_id: str
    config: WorkerConfig
    state: WorkerState = field(default_factory=WorkerState)
    threads: WorkerThreads = field(default_factory=WorkerThreads)
