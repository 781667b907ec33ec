"""`python -m arena worker`: one APScheduler (AsyncIOScheduler) on one asyncio loop in the main thread.

Life of a worker process:

1. starting — heartbeat row written, litellm and alpaca-py imported once (seconds), so a takeover is quick;
2. standby — every `heartbeat_s` it tries the `scheduler` lease and writes its heartbeat (worker/lease.py);
3. active — on taking the lease it first cleans up after the previous holder (run_queue.recover_after_takeover),
   then adds its jobs (worker/jobs.py): the queue poll (every `queue_poll_s`), the strategy sync (every
   `strategy_poll_s`), one job per enabled strategy, and the periodic jobs of worker/periodic.py. Losing the lease
   (a renewal refused, or not renewed in time) removes every job and abandons what was in flight;
4. stopping — SIGTERM/SIGINT: no new claims or cycles, in-flight runs get `grace_s` to finish, the rest are
   abandoned with the reason, the lease is released so a standby takes over at once, exit 0.

Everything async runs on the one loop: APScheduler runs coroutine jobs as tasks on it, runs are tasks, and
blocking database work of the worker itself goes to small thread pools (worker/threads.py). Bounds: at most
`max_runs` runs at once (worker/runs.py RunPool, shared by queued runs and cycles), and the LLM gateway's
CallLimits cap concurrent calls globally and per provider (built by arena.bootstrap.services).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.settings import Settings
from arena.engine.ports import Ports
from arena.engine.runs import lease as worker_lease
from arena.engine.runs import queue as run_queue
from arena.kernel.states import WorkerRole
from arena.worker.config import WorkerConfig
from arena.worker.context import WorkerContext
from arena.worker.jobs import WorkerJobs
from arena.worker.lease import LeaseKeeper
from arena.worker.periodic import PeriodicJob, periodic_jobs
from arena.worker.runs import RunPool, one_line

__all__ = ["Worker", "WorkerConfig", "run_worker"]

log = logging.getLogger("arena.worker")


class Worker:
    """One worker process's scheduler. `await Worker(...).run()` returns the exit code after a stop."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        ports: Ports,
        config: WorkerConfig,
        worker_id: str | None = None,
        periodic: list[PeriodicJob] | None = None,
    ) -> None:
        self.ctx = WorkerContext(
            settings=settings,
            sessions=sessions,
            worker_id=worker_id or worker_lease.new_worker_id(),
            config=config,
        )
        self._stop_reason = "stop requested"
        self._stop_event: asyncio.Event | None = None
        self.runs = RunPool(
            sessions=sessions,
            ports=ports,
            worker_id=self.ctx.worker_id,
            max_runs=config.max_runs,
            db_call=self.ctx.threads.db_call,
            may_start=self.ctx.state.may_start,
        )
        periodic = periodic if periodic is not None else periodic_jobs(settings)
        self.jobs = WorkerJobs(ctx=self.ctx, runs=self.runs, periodic=periodic, ports=ports)
        self.lease = LeaseKeeper(ctx=self.ctx, detail=self._detail, on_gain=self._activate, on_loss=self._deactivate)

    @property
    def role(self) -> str:
        return self.ctx.state.role

    async def run(self, *, stop_already: str | None = None) -> int:
        loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread (tests)
                loop.add_signal_handler(sig, self.request_stop, sig.name)
        self.jobs.scheduler.start()
        log.info("worker %s up; standby until it holds the lease", self.ctx.worker_id)
        if stop_already:
            self.request_stop(stop_already)
        self.lease.start()
        try:
            await self._stop_event.wait()
            return await self._shutdown()  # the lease loop keeps renewing through the grace period
        finally:
            await self.lease.stop()
            self.ctx.threads.shutdown()

    def request_stop(self, why: str = "stop requested") -> None:
        """Signal handler: begin a graceful stop (idempotent)."""
        if self._stop_event is None or self._stop_event.is_set():
            return
        self._stop_reason = why
        log.info("worker %s: %s, stopping (grace %g s)", self.ctx.worker_id, why, self.ctx.config.grace_s)
        self.ctx.state.stopping = True
        self._stop_event.set()

    async def _settle_leftovers(self) -> None:
        """At a stop, nothing of ours stays running or claimed: runs left by an earlier lost lease included."""
        try:
            await self.ctx.threads.db_call(
                run_queue.settle_own,
                sessions=self.ctx.sessions,
                worker_id=self.ctx.worker_id,
                reason=f"worker {self.ctx.worker_id} stopped: the run was no longer in flight (its lease had lapsed)",
                keep=self.runs.run_ids,
            )
        except SQLAlchemyError as exc:  # the next active worker's takeover recovery settles them
            log.warning("worker %s: could not settle its own runs at stop: %s", self.ctx.worker_id, one_line(exc))

    def _detail(self) -> dict[str, Any]:
        """What the heartbeat reports besides the lease."""
        counters = self.runs.counters
        return {
            "inflight": self.runs.run_ids,
            "scheduled": self.jobs.scheduled_strategies(),
            "completed": counters.completed,
            "failed": counters.failed,
            "cycles": counters.cycles,
            "last_error": counters.last_error,
        }

    async def _activate(self) -> None:
        """Clean up after the previous holder, then start the jobs; on a database fault stay standby (retried)."""
        try:
            await self.ctx.threads.db_call(
                run_queue.recover_after_takeover,
                sessions=self.ctx.sessions,
                worker_id=self.ctx.worker_id,
                keep=self.runs.run_ids,  # after a lost lease its own stale runs are settled too, never live ones
            )
        except SQLAlchemyError as exc:
            log.warning("worker %s: takeover recovery failed, staying standby: %s", self.ctx.worker_id, one_line(exc))
            return
        if self.ctx.state.stopping:  # a stop arrived during recovery: the lease is released on the way out
            return
        log.info("worker %s is now active (holds the lease)", self.ctx.worker_id)
        self.ctx.state.role = WorkerRole.ACTIVE
        self.ctx.state.was_active = True
        self.jobs.add_all()

    async def _deactivate(self, why: str) -> None:
        log.warning("worker %s is standby again: %s", self.ctx.worker_id, why)
        self.ctx.state.role = WorkerRole.STANDBY
        self.ctx.state.lease_expires_at = None
        self.jobs.remove_all()
        await self.runs.cancel_all(f"worker {self.ctx.worker_id} lost its lease")

    async def _shutdown(self) -> int:
        self.ctx.state.was_active = self.ctx.state.role == WorkerRole.ACTIVE
        self.ctx.state.role = WorkerRole.STOPPING
        self.jobs.scheduler.pause()  # no new cycles or claims; running jobs (cycles waiting on runs) carry on
        await self.lease.beat()
        in_flight = len(self.runs)
        await self.runs.drain(self.ctx.config.grace_s)
        abandoned = 0
        if len(self.runs):
            abandoned = await self.runs.cancel_all(
                f"worker {self.ctx.worker_id} stopped: the run did not finish within the {self.ctx.config.grace_s:g} s grace period"
            )
        await self._settle_leftovers()
        self.jobs.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # let the scheduler's shutdown (scheduled on the loop) run
        await self.lease.stop()  # first, so no late renewal can take the lease back after the release
        await self.lease.release()
        await self.lease.beat(WorkerRole.STOPPED)
        log.info(
            "worker %s stopped cleanly (%s): %d in-flight run(s) at stop, %d abandoned",
            self.ctx.worker_id,
            self._stop_reason,
            in_flight,
            abandoned,
        )
        return 0


def run_worker(settings: Settings) -> int:
    """The `worker` command: validate, open the database, preload the slow imports, run until stopped."""
    config = WorkerConfig.from_settings(settings)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # it logs every job run at INFO
    early: list[str] = []

    def _early_stop(signum: int, _frame: object) -> None:  # a signal during the imports below
        early.append(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, _early_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        worker = _build_worker(settings, config)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return asyncio.run(worker.run(stop_already=early[0] if early else None))


def _build_worker(settings: Settings, config: WorkerConfig) -> Worker:
    """Everything through the composition root: the database, then the gateway (with its limits) and Alpaca."""
    from arena.bootstrap.database import open_database
    from arena.bootstrap.services import build_services, preload_vendors

    db = open_database(settings)
    worker_id = worker_lease.new_worker_id()
    worker_lease.beat(sessions=db.sessions, worker_id=worker_id, role=WorkerRole.STARTING, detail={})
    log.info("worker %s starting (loading the LLM and broker clients)", worker_id)
    preload_vendors(settings)
    gc.freeze()  # litellm's ~190 MB of long-lived objects: out of every GC pass, and a stop exits in ms, not s
    services = build_services(settings, db)
    return Worker(
        settings=settings,
        sessions=db.sessions,
        ports=services.ports,
        config=config,
        worker_id=worker_id,
    )
