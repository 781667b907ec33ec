"""What the active worker schedules: the queue poll, the strategy sync and each strategy's cycles, and the
periodic jobs of arena.worker.periodic — all on one AsyncIOScheduler, added on activation, removed on loss."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import SQLAlchemyError

from arena.engine.config.settings import Settings
from arena.engine.ports import Ports
from arena.engine.runs import queue as run_queue
from arena.engine.runs.service import start_run
from arena.kernel.clock import utcnow
from arena.kernel.errors import ArenaError
from arena.kernel.ids import new_id
from arena.kernel.kinds import ExecutionMode, Trigger
from arena.storage.models.operations import REQUESTED_BY_LENGTH
from arena.worker.context import WorkerContext
from arena.worker.periodic import JobContext, PeriodicJob
from arena.worker.runs import RunPool, one_line
from arena.worker.schedules import CycleSpec, ScheduleSpec, cycle_spec, enabled_schedules

log = logging.getLogger("arena.worker")

QUEUE_JOB = "queue"
STRATEGY_SYNC_JOB = "strategies"


@dataclass(kw_only=True)
class WorkerJobs:
    """The active worker's APScheduler jobs: queue poll, strategy sync and cycles, periodic jobs."""

    ctx: WorkerContext
    runs: RunPool
    periodic: list[PeriodicJob]
    ports: Ports
    _schedules: dict[int, ScheduleSpec] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self._counters = self.runs.counters
        self.scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": self.ctx.config.misfire_grace_s},
        )

    # ---- adding and removing -----------------------------------------------------------------------------
    def add_all(self) -> None:
        """On activation: the queue poll, the strategy sync and every periodic job, each due at once."""
        now = utcnow()
        add = self.scheduler.add_job
        add(self._poll_queue, "interval", seconds=self.ctx.config.queue_poll_s, id=QUEUE_JOB, next_run_time=now)
        add(
            self._sync_strategies,
            "interval",
            seconds=self.ctx.config.strategy_poll_s,
            id=STRATEGY_SYNC_JOB,
            next_run_time=now,
        )
        for job in self.periodic:
            add(
                self._run_periodic,
                "interval",
                seconds=job.seconds,
                args=[job],
                id=f"periodic:{job.name}",
                name=job.name,
                next_run_time=now,  # at activation too: reconciliation "at start and periodically"
            )

    def remove_all(self) -> None:
        self.scheduler.remove_all_jobs()
        self._schedules.clear()

    def scheduled_strategies(self) -> dict[str, str | None]:
        """Each strategy job's next fire time, for the heartbeat."""
        return {
            job.name: job.next_run_time.isoformat() if job.next_run_time else None
            for job in self.scheduler.get_jobs()
            if job.id.startswith("strategy:")
        }

    # ---- the queue ---------------------------------------------------------------------------------------
    async def _poll_queue(self) -> None:
        """Claim queued requests while a run slot is free (claims are atomic; see arena.engine.runs.queue)."""
        while self.ctx.state.may_start() and self.runs.has_free_slot:
            try:
                claim = await self.ctx.threads.db_call(
                    run_queue.claim_next, sessions=self.ctx.sessions, worker_id=self.ctx.worker_id
                )
            except SQLAlchemyError as exc:
                log.warning("worker %s: queue poll failed: %s", self.ctx.worker_id, one_line(exc))
                return
            if claim is None:
                return
            log.info("worker %s claimed run %s", self.ctx.worker_id, claim.run_id)
            self.runs.spawn(claim.run_id, self.ctx.settings, from_queue=True)

    # ---- strategies --------------------------------------------------------------------------------------
    async def _sync_strategies(self) -> None:
        """Add, replace or remove strategy jobs so they match the database (picked up within strategy_poll_s)."""
        if not self.ctx.state.may_start():
            return
        try:
            wanted = await self.ctx.threads.db_call(enabled_schedules, sessions=self.ctx.sessions)
        except SQLAlchemyError as exc:
            log.warning("worker %s: cannot read strategies: %s", self.ctx.worker_id, one_line(exc))
            return
        for strategy_id in [sid for sid in self._schedules if sid not in wanted]:
            spec = self._schedules.pop(strategy_id)
            with contextlib.suppress(Exception):
                self.scheduler.remove_job(spec.job_id)
            log.info("strategy %s unscheduled (disabled or deleted)", spec.name)
        for strategy_id, spec in wanted.items():
            if self._schedules.get(strategy_id) != spec:
                self._schedule(strategy_id, spec)

    def _schedule(self, strategy_id: int, spec: ScheduleSpec) -> None:
        try:
            trigger = spec.trigger()
        except ValueError as exc:
            self._counters.last_error = f"strategy {spec.name}: {exc}"
            log.error("strategy %s not scheduled: %s", spec.name, exc)
            self._schedules[strategy_id] = spec  # do not retry (and log) every poll until it is edited
            return
        self.scheduler.add_job(
            self._cycle, trigger, args=[strategy_id], id=spec.job_id, name=spec.name, replace_existing=True
        )
        verb = "rescheduled" if strategy_id in self._schedules else "scheduled"
        self._schedules[strategy_id] = spec
        log.info("strategy %s %s: %s", spec.name, verb, spec.describe())

    async def _cycle(self, strategy_id: int) -> None:
        """One scheduled cycle: one run per symbol (same cycle_id), run concurrently within the caps."""
        if not self.ctx.state.may_start():
            return
        spec = await self.ctx.threads.db_call(cycle_spec, sessions=self.ctx.sessions, strategy_id=strategy_id)
        if spec is None:
            return
        execution = (
            ExecutionMode.ON if spec.execution_enabled and self.ctx.settings.execution_enabled else ExecutionMode.OFF
        )
        settings = self.ctx.settings.model_copy(update={"execution": execution})
        cycle_id = new_id()
        self._counters.cycles += 1
        tasks = []
        for symbol in spec.symbols:
            if not self.ctx.state.may_start():
                break
            run_id = await self._start_cycle_run(spec, settings, symbol, cycle_id)
            if run_id is not None:
                tasks.append(self.runs.spawn(run_id, settings, from_queue=False))
        log.info("strategy %s cycle %s: %d run(s) started", spec.name, cycle_id, len(tasks))
        if tasks:
            await asyncio.wait(tasks)  # not gather: cancelling the cycle job must not cancel its runs

    async def _start_cycle_run(self, spec: CycleSpec, settings: Settings, symbol: str, cycle_id: str) -> str | None:
        try:
            started = await self.ctx.threads.db_call(
                start_run,
                sessions=self.ctx.sessions,
                settings=settings,
                symbols=[symbol],
                agents=spec.agents,
                mode=spec.mode,
                trigger=Trigger.SCHEDULE,
                enqueue=False,
                strategy_id=spec.strategy_id,
                cycle_id=cycle_id,
                requested_by=f"strategy:{spec.name}"[:REQUESTED_BY_LENGTH],
            )
        except ArenaError as exc:
            self._counters.last_error = f"strategy {spec.name}: {exc}"
            log.warning("strategy %s: no run for %s: %s", spec.name, symbol, exc)
            return None
        return started.run_id

    # ---- periodic jobs -----------------------------------------------------------------------------------
    async def _run_periodic(self, job: PeriodicJob) -> None:
        if not self.ctx.state.may_start():
            return
        ctx = JobContext(
            settings=self.ctx.settings,
            sessions=self.ctx.sessions,
            worker_id=self.ctx.worker_id,
            ports=self.ports,
            inflight=frozenset(self.runs.run_ids),
            cancel=self.runs.cancel,
        )
        try:
            if asyncio.iscoroutinefunction(job.fn):
                await job.fn(ctx)
            else:
                await asyncio.to_thread(job.fn, ctx)  # not the worker's own database threads: jobs may be slow
        except asyncio.CancelledError:  # the worker is stopping; the job's thread finishes on its own
            log.info("periodic job %s interrupted by shutdown", job.name)
        except SQLAlchemyError as exc:  # the database is away (an outage): one line per try, not a traceback
            self._counters.last_error = f"{job.name}: {one_line(exc)}"
            log.warning("periodic job %s: database unavailable: %s", job.name, one_line(exc))
        except Exception as exc:
            self._counters.last_error = f"{job.name}: {one_line(exc)}"
            log.exception("periodic job %s failed", job.name)
