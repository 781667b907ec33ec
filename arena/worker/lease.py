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
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from arena.engine.runs import lease as worker_lease
from arena.kernel.states import WorkerRole
from arena.worker.context import WorkerContext
from arena.worker.runs import one_line

log = logging.getLogger("arena.worker")


@dataclass(kw_only=True)
class LeaseKeeper:
    """Heartbeat and lease renewal on their own ticker; calls `on_gain` / `on_loss` when the lease changes hands."""

    ctx: WorkerContext
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
            await self.ctx.threads.lease_call(
                worker_lease.release, sessions=self.ctx.sessions, worker_id=self.ctx.worker_id
            )
        self.ctx.state.lease_expires_at = None

    async def _tick_forever(self) -> None:
        while True:
            try:
                await self.tick()
            except Exception as exc:  # never let the lease loop die: the worker would hang with a stale lease
                log.error("worker %s: lease/heartbeat tick failed: %s", self.ctx.worker_id, one_line(exc))
            await asyncio.sleep(self.ctx.config.heartbeat_s)

    async def tick(self) -> None:
        """Take or renew the lease, switch role if that changed, and write the heartbeat."""
        state = self.ctx.state
        if state.stopping and not state.was_active:
            await self.beat()
            return
        attempt = time.monotonic()
        try:
            expires = await self.ctx.threads.lease_call(
                worker_lease.try_acquire,
                sessions=self.ctx.sessions,
                worker_id=self.ctx.worker_id,
                ttl_s=self.ctx.config.lease_ttl_s,
            )
            failed = False
        except SQLAlchemyError as exc:
            log.warning("worker %s: lease check failed: %s", self.ctx.worker_id, one_line(exc))
            expires, failed = None, True
        if expires is not None:
            state.lease_until = attempt + self.ctx.config.lease_ttl_s
            state.lease_expires_at = expires
            if state.role == WorkerRole.STANDBY and not state.stopping:
                await self.on_gain()
        elif state.role == WorkerRole.ACTIVE and not (failed and state.lease_valid()):
            why = "its lease could not be renewed in time" if failed else "another worker holds the lease"
            await self.on_loss(why)
        await self.beat()

    async def beat(self, role: WorkerRole | None = None) -> None:
        """Write this worker's heartbeat (a database fault is logged: the next tick tries again)."""
        expires = self.ctx.state.lease_expires_at
        detail = {"lease_expires_at": expires.isoformat() if expires else None, **self.detail()}
        try:
            await self.ctx.threads.lease_call(
                worker_lease.beat,
                sessions=self.ctx.sessions,
                worker_id=self.ctx.worker_id,
                role=role or self.ctx.state.role,
                detail=detail,
            )
        except SQLAlchemyError as exc:
            log.warning("worker %s: heartbeat not written: %s", self.ctx.worker_id, one_line(exc))
