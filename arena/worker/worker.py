"""`python -m arena worker`: one APScheduler (AsyncIOScheduler) on one asyncio loop in the main thread.

Life of a worker process:

1. starting — heartbeat row written, litellm and alpaca-py imported once (seconds), so a takeover is quick;
2. standby — every `heartbeat_s` it tries the `scheduler` lease (arena.worker_lease) and writes its heartbeat;
3. active — on taking the lease it first cleans up after the previous holder (arena.run_queue.recover_after_
   takeover), then adds its jobs: the queue poll (every `queue_poll_s`), the strategy sync (every
   `strategy_poll_s`), one job per enabled strategy, and the periodic jobs of jobs.periodic. Losing the lease
   (a renewal refused, or not renewed in time) removes every job and abandons what was in flight;
4. stopping — SIGTERM/SIGINT: no new claims or cycles, in-flight runs get `grace_s` to finish, the rest are
   abandoned with the reason, the lease is released so a standby takes over at once, exit 0.

Everything async runs on the one loop: APScheduler runs coroutine jobs as tasks on it, runs are tasks, and
blocking database work of the worker itself goes to small thread pools — the lease has its own thread so a busy
database never delays a renewal. Bounds: at most `max_runs` runs at once (jobs.runs.RunPool, shared by queued runs and
cycles), and the LLM gateway's CallLimits cap concurrent calls globally and per provider.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.settings import Settings
from arena.engine.decide.agents import Gateway
from arena.engine.runs import lease as worker_lease
from arena.engine.runs import queue as run_queue
from arena.engine.runs.service import MarketSource, start_run
from arena.kernel.errors import ArenaError, ConfigurationError
from arena.kernel.ids import new_id
from arena.worker.periodic import JobContext, PeriodicJob, periodic_jobs
from arena.worker.runs import RunPool, one_line
from arena.worker.schedules import ScheduleSpec, cycle_spec, enabled_schedules

log = logging.getLogger("arena.worker")
T = TypeVar("T")

QUEUE_JOB = "queue"
STRATEGY_SYNC_JOB = "strategies"


@dataclass(frozen=True)
class WorkerConfig:
    """Timings and bounds; defaults are production values, tests pass short ones (ARENA_WORKER_* settings)."""

    lease_ttl_s: float = 15.0
    heartbeat_s: float = 5.0
    queue_poll_s: float = 1.0
    strategy_poll_s: float = 5.0
    grace_s: float = 15.0
    max_runs: int = 4
    misfire_grace_s: int = 60

    def __post_init__(self) -> None:
        if self.heartbeat_s * 2 > self.lease_ttl_s:
            raise ConfigurationError(
                "ARENA_WORKER_HEARTBEAT_S must be at most half of ARENA_WORKER_LEASE_TTL_S "
                f"(got {self.heartbeat_s:g} and {self.lease_ttl_s:g}): the lease would lapse between renewals"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            lease_ttl_s=settings.worker_lease_ttl_s,
            heartbeat_s=settings.worker_heartbeat_s,
            queue_poll_s=settings.worker_queue_poll_s,
            strategy_poll_s=settings.worker_strategy_poll_s,
            grace_s=settings.worker_grace_s,
            max_runs=settings.worker_max_runs,
        )


class Worker:
    """One worker process's scheduler. `await Worker(...).run()` returns the exit code after a stop."""

    def __init__(
        self,
        *,
        settings: Settings,
        sessions: sessionmaker[Session],
        gateway: Gateway,
        market: MarketSource,
        config: WorkerConfig,
        worker_id: str | None = None,
        periodic: list[PeriodicJob] | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.gateway = gateway
        self.market = market
        self.config = config
        self.worker_id = worker_id or worker_lease.new_worker_id()
        self.periodic = periodic if periodic is not None else periodic_jobs()
        self.role = "standby"
        self._lease_until = 0.0  # monotonic time by which our lease has surely expired
        self._lease_expires_at: datetime | None = None
        self._stopping = False
        self._was_active = False
        self._stop_reason = "stop requested"
        self._schedules: dict[int, ScheduleSpec] = {}
        self._lease_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="worker-lease")
        self._db_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="worker-db")
        self.runs = RunPool(
            sessions=sessions,
            gateway=gateway,
            market=market,
            worker_id=self.worker_id,
            max_runs=config.max_runs,
            db_call=self._db_call,
            may_start=self._may_start,
        )
        self._counters = self.runs.counters
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": config.misfire_grace_s},
        )
        self._stop_event: asyncio.Event | None = None
        self._ticker: asyncio.Task[None] | None = None

    # ---- the process -------------------------------------------------------------------------------------
    async def run(self, *, stop_already: str | None = None) -> int:
        loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):  # not the main thread (tests)
                loop.add_signal_handler(sig, self.request_stop, sig.name)
        self._scheduler.start()
        log.info("worker %s up; standby until it holds the lease", self.worker_id)
        if stop_already:
            self.request_stop(stop_already)
        self._ticker = loop.create_task(self._tick_forever(), name="lease")
        try:
            await self._stop_event.wait()
            return await self._shutdown()  # the ticker keeps renewing the lease through the grace period
        finally:
            await self._stop_ticking()
            self._lease_pool.shutdown(wait=False, cancel_futures=True)
            self._db_pool.shutdown(wait=False, cancel_futures=True)

    def request_stop(self, why: str = "stop requested") -> None:
        """Signal handler: begin a graceful stop (idempotent)."""
        if self._stop_event is None or self._stop_event.is_set():
            return
        self._stop_reason = why
        log.info("worker %s: %s, stopping (grace %g s)", self.worker_id, why, self.config.grace_s)
        self._stopping = True
        self._stop_event.set()

    # ---- lease and heartbeat -----------------------------------------------------------------------------
    async def _tick_forever(self) -> None:
        while True:
            try:
                await self._tick()
            except Exception as exc:  # never let the lease loop die: the worker would hang with a stale lease
                log.error("worker %s: lease/heartbeat tick failed: %s", self.worker_id, one_line(exc))
            await asyncio.sleep(self.config.heartbeat_s)

    async def _stop_ticking(self) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None

    async def _tick(self) -> None:
        """Take or renew the lease, switch role if that changed, and write the heartbeat.

        While stopping, a worker that was active only renews (its in-flight runs are still its own); a standby
        that is stopping never takes the lease.
        """
        if self._stopping and not self._was_active:
            await self._beat()
            return
        attempt = time.monotonic()
        try:
            expires = await self._lease_call(
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
            self._lease_until = attempt + self.config.lease_ttl_s
            self._lease_expires_at = expires
            if self.role == "standby" and not self._stopping:
                await self._activate()
        elif self.role == "active" and not (failed and self._lease_valid()):
            why = "its lease could not be renewed in time" if failed else "another worker holds the lease"
            await self._deactivate(why)
        await self._beat()

    def _lease_valid(self) -> bool:
        return time.monotonic() < self._lease_until

    def _may_start(self) -> bool:
        return self.role == "active" and not self._stopping and self._lease_valid()

    async def _beat(self, role: str | None = None) -> None:
        detail = {
            "lease_expires_at": self._lease_expires_at.isoformat() if self._lease_expires_at else None,
            "inflight": self.runs.run_ids,
            "scheduled": {
                job.name: job.next_run_time.isoformat() if job.next_run_time else None
                for job in self._scheduler.get_jobs()
                if job.id.startswith("strategy:")
            },
            "completed": self._counters.completed,
            "failed": self._counters.failed,
            "cycles": self._counters.cycles,
            "last_error": self._counters.last_error,
        }
        try:
            await self._lease_call(
                worker_lease.beat,
                sessions=self.sessions,
                worker_id=self.worker_id,
                role=role or self.role,
                detail=detail,
            )
        except SQLAlchemyError as exc:
            log.warning("worker %s: heartbeat not written: %s", self.worker_id, one_line(exc))

    async def _activate(self) -> None:
        """Clean up after the previous holder, then start the jobs; on a database fault stay standby (retried)."""
        try:
            await self._db_call(run_queue.recover_after_takeover, sessions=self.sessions, worker_id=self.worker_id)
        except SQLAlchemyError as exc:
            log.warning("worker %s: takeover recovery failed, staying standby: %s", self.worker_id, one_line(exc))
            return
        if self._stopping:  # a stop arrived during recovery: the lease is released on the way out
            return
        log.info("worker %s is now active (holds the lease)", self.worker_id)
        self.role = "active"
        self._was_active = True
        now = datetime.now(UTC)
        self._scheduler.add_job(
            self._poll_queue, "interval", seconds=self.config.queue_poll_s, id=QUEUE_JOB, next_run_time=now
        )
        self._scheduler.add_job(
            self._sync_strategies,
            "interval",
            seconds=self.config.strategy_poll_s,
            id=STRATEGY_SYNC_JOB,
            next_run_time=now,
        )
        for job in self.periodic:
            self._scheduler.add_job(
                self._run_periodic,
                "interval",
                seconds=job.seconds,
                args=[job],
                id=f"periodic:{job.name}",
                name=job.name,
                next_run_time=now,  # at activation too: reconciliation "at start and periodically"
            )

    async def _deactivate(self, why: str) -> None:
        log.warning("worker %s is standby again: %s", self.worker_id, why)
        self.role = "standby"
        self._lease_expires_at = None
        self._scheduler.remove_all_jobs()
        self._schedules.clear()
        await self.runs.cancel_all(f"worker {self.worker_id} lost its lease")

    # ---- the queue ---------------------------------------------------------------------------------------
    async def _poll_queue(self) -> None:
        """Claim queued requests while a run slot is free (claims are atomic; see arena.run_queue)."""
        while self._may_start() and self.runs.has_free_slot:
            try:
                claim = await self._db_call(run_queue.claim_next, sessions=self.sessions, worker_id=self.worker_id)
            except SQLAlchemyError as exc:
                log.warning("worker %s: queue poll failed: %s", self.worker_id, one_line(exc))
                return
            if claim is None:
                return
            log.info("worker %s claimed run %s", self.worker_id, claim.run_id)
            self.runs.spawn(claim.run_id, self.settings, from_queue=True)

    # ---- strategies --------------------------------------------------------------------------------------
    async def _sync_strategies(self) -> None:
        """Add, replace or remove strategy jobs so they match the database (picked up within strategy_poll_s)."""
        if not self._may_start():
            return
        try:
            wanted = await self._db_call(enabled_schedules, sessions=self.sessions)
        except SQLAlchemyError as exc:
            log.warning("worker %s: cannot read strategies: %s", self.worker_id, one_line(exc))
            return
        for strategy_id in [sid for sid in self._schedules if sid not in wanted]:
            spec = self._schedules.pop(strategy_id)
            with contextlib.suppress(Exception):
                self._scheduler.remove_job(spec.job_id)
            log.info("strategy %s unscheduled (disabled or deleted)", spec.name)
        for strategy_id, spec in wanted.items():
            if self._schedules.get(strategy_id) == spec:
                continue
            try:
                trigger = spec.trigger()
            except ValueError as exc:
                self._counters.last_error = f"strategy {spec.name}: {exc}"
                log.error("strategy %s not scheduled: %s", spec.name, exc)
                self._schedules[strategy_id] = spec  # do not retry (and log) every poll until it is edited
                continue
            self._scheduler.add_job(
                self._cycle, trigger, args=[strategy_id], id=spec.job_id, name=spec.name, replace_existing=True
            )
            verb = "rescheduled" if strategy_id in self._schedules else "scheduled"
            self._schedules[strategy_id] = spec
            log.info("strategy %s %s: %s", spec.name, verb, spec.describe())

    async def _cycle(self, strategy_id: int) -> None:
        """One scheduled cycle: one run per symbol (same cycle_id), run concurrently within the caps."""
        if not self._may_start():
            return
        spec = await self._db_call(cycle_spec, sessions=self.sessions, strategy_id=strategy_id)
        if spec is None:
            return
        execution = "on" if spec.execution_enabled and self.settings.execution_enabled else "off"
        settings = self.settings.model_copy(update={"execution": execution})
        cycle_id = new_id()
        self._counters.cycles += 1
        tasks = []
        for symbol in spec.symbols:
            if not self._may_start():
                break
            try:
                started = await self._db_call(
                    start_run,
                    sessions=self.sessions,
                    settings=settings,
                    symbols=[symbol],
                    agents=spec.agents,
                    mode=spec.mode,
                    trigger="schedule",
                    enqueue=False,
                    strategy_id=spec.strategy_id,
                    cycle_id=cycle_id,
                    requested_by=f"strategy:{spec.name}"[:64],
                )
            except ArenaError as exc:
                self._counters.last_error = f"strategy {spec.name}: {exc}"
                log.warning("strategy %s: no run for %s: %s", spec.name, symbol, exc)
                continue
            tasks.append(self.runs.spawn(started.run_id, settings, from_queue=False))
        log.info("strategy %s cycle %s: %d run(s) started", spec.name, cycle_id, len(tasks))
        if tasks:
            await asyncio.wait(tasks)  # not gather: cancelling the cycle job must not cancel its runs

    # ---- periodic jobs -----------------------------------------------------------------------------------
    async def _run_periodic(self, job: PeriodicJob) -> None:
        if not self._may_start():
            return
        ctx = JobContext(settings=self.settings, sessions=self.sessions, worker_id=self.worker_id)
        try:
            if asyncio.iscoroutinefunction(job.fn):
                await job.fn(ctx)
            else:
                await asyncio.to_thread(job.fn, ctx)  # not the worker's own database threads: jobs may be slow
        except asyncio.CancelledError:  # the worker is stopping; the job's thread finishes on its own
            log.info("periodic job %s interrupted by shutdown", job.name)
        except Exception as exc:
            self._counters.last_error = f"{job.name}: {one_line(exc)}"
            log.exception("periodic job %s failed", job.name)

    # ---- stopping ----------------------------------------------------------------------------------------
    async def _shutdown(self) -> int:
        self._was_active = self.role == "active"
        self.role = "stopping"
        self._scheduler.pause()  # no new cycles or claims; running jobs (cycles waiting on runs) carry on
        await self._beat()
        in_flight = len(self.runs)
        await self.runs.drain(self.config.grace_s)
        abandoned = 0
        if len(self.runs):
            abandoned = await self.runs.cancel_all(
                f"worker {self.worker_id} stopped: the run did not finish within the {self.config.grace_s:g} s grace period"
            )
        self._scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # let the scheduler's shutdown (scheduled on the loop) run
        await self._stop_ticking()  # first, so no late renewal can take the lease back after the release
        with contextlib.suppress(SQLAlchemyError):  # guarded by holder: a no-op unless we hold it
            await self._lease_call(worker_lease.release, sessions=self.sessions, worker_id=self.worker_id)
        self._lease_expires_at = None
        await self._beat("stopped")
        log.info(
            "worker %s stopped cleanly (%s): %d in-flight run(s) at stop, %d abandoned",
            self.worker_id,
            self._stop_reason,
            in_flight,
            abandoned,
        )
        return 0

    # ---- helpers -----------------------------------------------------------------------------------------
    async def _lease_call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._lease_pool, functools.partial(fn, *args, **kwargs)
        )

    async def _db_call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._db_pool, functools.partial(fn, *args, **kwargs))


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
    from arena.adapters.alpaca.client import data_client
    from arena.adapters.llm.gateway import LLMGateway
    from arena.adapters.llm.limits import CallLimits
    from arena.adapters.llm.prices import PriceTable
    from arena.bootstrap.database import open_database
    from arena.engine.llm.telemetry import DatabaseTelemetrySink
    from arena.engine.runs.service import AlpacaMarketSource

    db = open_database(settings)
    worker_id = worker_lease.new_worker_id()
    worker_lease.beat(sessions=db.sessions, worker_id=worker_id, role="starting", detail={})
    log.info("worker %s starting (loading the LLM and broker clients)", worker_id)
    LLMGateway.preload()
    with contextlib.suppress(ArenaError):  # imports alpaca-py now; missing keys are reported per run instead
        data_client(settings)
    gc.freeze()  # litellm's ~190 MB of long-lived objects: out of every GC pass, and a stop exits in ms, not s
    gateway = LLMGateway(
        settings,
        prices=PriceTable.load(settings.price_table_path),
        sink=DatabaseTelemetrySink(db.sessions),
        limits=CallLimits(
            max_concurrent=settings.llm_max_concurrency, max_per_provider=settings.llm_max_concurrency_per_provider
        ),
    )
    return Worker(
        settings=settings,
        sessions=db.sessions,
        gateway=gateway,
        market=AlpacaMarketSource(settings),
        config=config,
        worker_id=worker_id,
    )
