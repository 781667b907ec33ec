"""The lease and heartbeat loop: every `heartbeat_s` take or renew the `scheduler` lease, switch role when that
changed, and write this process's heartbeat.

While stopping, a worker that was active only renews (its in-flight runs are still its own); a standby that is
stopping never takes the lease. A failed renewal keeps the role while the last lease surely still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from arena.engine.runs import lease as worker_lease
from arena.kernel.states import WorkerRole
from arena.worker.config import WorkerConfig
from arena.worker.runs import one_line
from arena.worker.threads import WorkerThreads

log = logging.getLogger("arena.worker")


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


@dataclass(kw_only=True)
class LeaseKeeper:
    """Heartbeat and lease renewal on their own ticker; calls `on_gain` / `on_loss` when the lease changes hands."""

    sessions: sessionmaker[Session]
    worker_id: str
    config: WorkerConfig
    state: WorkerState
    threads: WorkerThreads
    detail: Callable[[], dict[str, Any]]
    on_gain: Callable[[], Awaitable[None]]
    on_loss: Callable[[str], Awaitable[None]]
    _ticker: asyncio.Task[None] | None = field(default=None, init=False)

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick_forever(), name="lease")

    async def stop(self) -> None:
        """Stop ticking (idempotent): no renewal can happen after this returns."""
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    async def release(self) -> None:
        """Give the lease back so a standby takes over at once (a no-op unless we hold it)."""
        with contextlib.suppress(SQLAlchemyError):
            await self.threads.lease_call(worker_lease.release, sessions=self.sessions, worker_id=self.worker_id)
        self.state.lease_expires_at = None

    async def _tick_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as exc:  # never let the lease loop die: the worker would hang with a stale lease
                log.error("worker %s: lease/heartbeat tick failed: %s", self.worker_id, one_line(exc))
            await asyncio.sleep(self.config.heartbeat_s)

    async def tick(self) -> None:
        """Take or renew the lease, switch role if that changed, and write the heartbeat."""
        state = self.state
        if state.stopping and not state.was_active:
            await self.beat()
            return
        attempt = time.monotonic()
        try:
            expires = await self.threads.lease_call(
                worker_lease.try_acquire,
                sessions=self.sessions,
                worker_id=self.worker_id,
                ttl_s=self.config.lease_ttl_s,
            )
            failed = False
        except SQLAlchemyError as exc:
            log.warning("worker %s: lease check failed: %s", self.worker_id, one_line(exc))
            expires, failed = None, True
        if expires is not None:
            state.lease_until = attempt + self.config.lease_ttl_s
            state.lease_expires_at = expires
            if state.role == WorkerRole.STANDBY and not state.stopping:
                await self.on_gain()
        elif state.role == WorkerRole.ACTIVE and not (failed and state.lease_valid()):
            why = "its lease could not be renewed in time" if failed else "another worker holds the lease"
            await self.on_loss(why)
        await self.beat()

    async def beat(self, role: WorkerRole | None = None) -> None:
        """Write this worker's heartbeat (a database fault is logged: the next tick tries again)."""
        expires = self.state.lease_expires_at
        detail = {"lease_expires_at": expires.isoformat() if expires else None, **self.detail()}
        try:
            await self.threads.lease_call(
                worker_lease.beat,
                sessions=self.sessions,
                worker_id=self.worker_id,
                role=role or self.state.role,
                detail=detail,
            )
        except SQLAlchemyError as exc:
            log.warning("worker %s: heartbeat not written: %s", self.worker_id, one_line(exc))
