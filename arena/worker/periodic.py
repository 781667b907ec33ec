"""Periodic jobs the active worker runs besides strategies and the queue — the one place to add one.

    from arena.worker.periodic import register_periodic
    register_periodic("reconcile_orders", reconcile, seconds=30)   # fn(ctx: JobContext) -> None, sync or async

A registered job runs only on the active worker (never on a standby), never overlaps itself (max one instance,
missed runs coalesced), and a failure is logged without stopping the worker. Sync functions run in a thread so
they never block the event loop; async functions run on it. Register before the worker starts: the built-in
list below is read when `python -m arena worker` starts (add yours in `_builtin_jobs`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.settings import Settings
from arena.engine.ports import Ports
from arena.kernel.clock import utcnow
from arena.storage.repositories.worker import prune_heartbeats

HEARTBEAT_RETENTION = timedelta(days=7)
RECONCILE_EVERY_S = 30.0
SCORE_EVERY_S = 900.0
SWEEP_EVERY_S = 30.0  # ARENA_WORKER_SWEEP_S's default; the worker passes its setting


@dataclass(frozen=True)
class JobContext:
    """What a periodic job gets: the process's settings, the database, who is running it, and its ports.

    `inflight` are the ids of the runs this worker has in flight when the job starts; `cancel(run_id)` stops one
    of them without any bookkeeping (for a run the job has already settled in the database).
    """

    settings: Settings
    sessions: sessionmaker[Session]
    worker_id: str
    ports: Ports
    inflight: frozenset[str] = field(default_factory=frozenset)
    cancel: Callable[[str], bool] | None = None


JobFn = Callable[[JobContext], Awaitable[None] | None]


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    fn: JobFn
    seconds: float


_REGISTRY: dict[str, PeriodicJob] = {}


def register_periodic(name: str, fn: JobFn, seconds: float) -> None:
    """Add (or replace, by name) a periodic job for the active worker."""
    if not name or seconds <= 0:
        raise ValueError("a periodic job needs a name and a positive interval")
    _REGISTRY[name] = PeriodicJob(name, fn, float(seconds))


def periodic_jobs(settings: Settings | None = None) -> list[PeriodicJob]:
    """The built-in jobs plus every registered one (a registered name wins over a built-in one)."""
    jobs = {job.name: job for job in _builtin_jobs(settings)}
    jobs.update(_REGISTRY)
    return sorted(jobs.values(), key=lambda j: j.name)


def _builtin_jobs(settings: Settings | None = None) -> list[PeriodicJob]:
    sweep_every = settings.worker_sweep_s if settings is not None else SWEEP_EVERY_S
    return [
        PeriodicJob("prune_heartbeats", _prune_heartbeats, 3600.0),
        PeriodicJob("reconcile_orders", _reconcile_orders, RECONCILE_EVERY_S),
        PeriodicJob("score_and_rank", _score_and_rank, SCORE_EVERY_S),
        PeriodicJob("sweep_overdue", _sweep_overdue, sweep_every),
    ]


async def _sweep_overdue(ctx: JobContext) -> None:
    """Runs (and, later, replay/backtest jobs) past their deadline end as abandoned (arena.engine.runs.sweep).

    An overdue run that is in flight here is also cancelled, so it frees its slot.
    """
    from arena.engine.runs.sweep import sweep_overdue

    swept = await asyncio.to_thread(sweep_overdue, sessions=ctx.sessions, settings=ctx.settings, inflight=ctx.inflight)
    for done in swept.values():
        for job_id in done.abandoned:
            if job_id in ctx.inflight and ctx.cancel is not None:
                ctx.cancel(job_id)


def _reconcile_orders(ctx: JobContext) -> None:
    """Open orders → the broker's truth, fills and an account snapshot (at activation, then every 30 s)."""
    if not ctx.settings.broker_configured:
        return
    from arena.engine.execution.reconcile import reconcile_orders

    reconcile_orders(sessions=ctx.sessions, broker=ctx.ports.broker, market=ctx.ports.market)


def _score_and_rank(ctx: JobContext) -> None:
    """Score decisions whose horizon has passed, then recompute the leaderboard snapshots."""
    from arena.engine.outcomes.leaderboard import materialize

    if ctx.settings.broker_configured:
        from arena.engine.outcomes.scoring import score_due

        market = ctx.ports.market
        score_due(
            sessions=ctx.sessions,
            bars=lambda symbols, start: market.daily_bars(symbols, start=start),
            now=utcnow(),
        )
    materialize(sessions=ctx.sessions, min_sample=ctx.settings.leaderboard_min_sample)


def _prune_heartbeats(ctx: JobContext) -> None:
    with ctx.sessions() as session, session.begin():
        prune_heartbeats(session=session, older_than=HEARTBEAT_RETENTION)
