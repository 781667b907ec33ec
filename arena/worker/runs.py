"""The runs a worker has in flight: at most `max_runs` at once, each a task on the worker's event loop.

A run comes from the queue (a request this worker claimed) or from a scheduled cycle. Each one waits for a slot,
then `execute_run` carries it to completed/failed (it never raises for the run's own faults). When the worker must
let go (lease lost, grace period over), `cancel_all` cancels the tasks: a started run is marked abandoned with the
reason; one that never started goes back to the queue (a request) or is abandoned (a cycle's run).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.settings import Settings
from arena.engine.ports import Ports
from arena.engine.runs import queue as run_queue
from arena.engine.runs.service import execute_run
from arena.kernel.errors import RunNotClaimable
from arena.kernel.states import RunStatus

log = logging.getLogger("arena.worker")

DbCall = Callable[..., Awaitable[Any]]
ERROR_LINE_MAX_CHARS = 300  # what `one_line` keeps of an error


@dataclass
class Counters:
    """What the heartbeat reports about this process's work."""

    completed: int = 0
    failed: int = 0
    skipped: int = 0
    cycles: int = 0
    last_error: str | None = None


@dataclass
class _Flight:
    task: asyncio.Task[None]
    from_queue: bool
    started: bool = False


@dataclass(kw_only=True)
class RunPool:
    """At most `max_runs` runs in flight on this worker, queued runs and cycle runs alike."""

    sessions: sessionmaker[Session]
    ports: Ports
    worker_id: str
    max_runs: int
    db_call: DbCall
    may_start: Callable[[], bool]
    counters: Counters = field(default_factory=Counters)
    _flights: dict[str, _Flight] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._slots = asyncio.Semaphore(self.max_runs)

    def __len__(self) -> int:
        return len(self._flights)

    @property
    def run_ids(self) -> list[str]:
        return sorted(self._flights)

    @property
    def has_free_slot(self) -> bool:
        return len(self._flights) < self.max_runs

    def spawn(self, run_id: str, settings: Settings, *, from_queue: bool) -> asyncio.Task[None]:
        """Start a task for the run (it waits for a slot); the pool forgets it once it ends."""
        task = asyncio.get_running_loop().create_task(self._execute(run_id, settings), name=f"run:{run_id}")
        self._flights[run_id] = _Flight(task, from_queue)
        task.add_done_callback(lambda _t: self._flights.pop(run_id, None))
        return task

    async def drain(self, timeout_s: float) -> None:
        """Wait until every run ended or `timeout_s` passed (runs spawned meanwhile are waited for too)."""
        deadline = time.monotonic() + timeout_s
        while self._flights and time.monotonic() < deadline:
            tasks = [f.task for f in self._flights.values()]
            await asyncio.wait(tasks, timeout=max(0.0, deadline - time.monotonic()))

    def cancel(self, run_id: str) -> bool:
        """Cancel one run's task, no bookkeeping: for a run already settled in the database (overdue)."""
        flight = self._flights.get(run_id)
        if flight is None:
            return False
        log.warning("run %s cancelled: it was settled as overdue", run_id)
        return flight.task.cancel()

    async def cancel_all(self, reason: str) -> int:
        """Cancel every run; started ones are abandoned with `reason`. Returns how many were abandoned."""
        flights = list(self._flights.items())
        for _, flight in flights:
            flight.task.cancel()
        await asyncio.gather(*(f.task for _, f in flights), return_exceptions=True)
        abandoned = 0
        for run_id, flight in flights:
            if flight.started:
                abandoned += bool(await self._safely(run_queue.abandon, run_id=run_id, reason=reason))
            else:
                await self._return_unstarted(run_id, flight, reason)
        return abandoned

    async def _execute(self, run_id: str, settings: Settings) -> None:
        async with self._slots:
            flight = self._flights[run_id]
            if not self.may_start():
                await self._return_unstarted(run_id, flight, "its worker stopped before the run started")
                return
            flight.started = True
            try:
                status = await execute_run(
                    sessions=self.sessions,
                    settings=settings,
                    ports=self.ports,
                    run_id=run_id,
                    worker_id=self.worker_id,
                )
                if status == RunStatus.COMPLETED:
                    self.counters.completed += 1
                else:
                    self.counters.failed += 1
            except RunNotClaimable as exc:  # finished or abandoned elsewhere: this worker did nothing
                log.info("run %s skipped: %s", run_id, exc)
                self.counters.skipped += 1
            except Exception as exc:  # a database fault outside the run's own error handling
                reason = f"worker error: {one_line(exc)}"
                log.error("run %s: %s", run_id, reason)
                self.counters.last_error = reason
                await self._safely(run_queue.abandon, run_id=run_id, reason=reason)
                self.counters.failed += 1
            if flight.from_queue:
                await self._safely(run_queue.finish, run_id=run_id)

    async def _return_unstarted(self, run_id: str, flight: _Flight, why: str) -> None:
        """A run never begun: a claimed request goes back to the queue, a cycle's run is abandoned."""
        if flight.from_queue:
            await self._safely(run_queue.requeue, run_id=run_id, worker_id=self.worker_id)
        else:
            await self._safely(run_queue.abandon, run_id=run_id, reason=why)

    async def _safely(self, fn: Callable[..., Any], **kwargs: Any) -> Any:
        """Bookkeeping that must not kill the task: a database fault is logged (takeover recovery cleans up)."""
        try:
            return await self.db_call(fn, sessions=self.sessions, **kwargs)
        except Exception as exc:
            log.warning(
                "worker %s: %s failed for run %s: %s", self.worker_id, fn.__name__, kwargs.get("run_id"), one_line(exc)
            )
            return None


def one_line(exc: BaseException) -> str:
    """`Type: first line` of an error (the driver's own error for database faults), never a traceback."""
    orig = getattr(exc, "orig", None) or exc
    lines = str(orig).strip().splitlines()
    return f"{type(orig).__name__}: {lines[0] if lines else ''}"[:ERROR_LINE_MAX_CHARS]
