"""Nothing stays running or claimed: a worker settles its own stale runs on regaining the lease, and the overdue
sweeper ends what outlived its deadline (real SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

import pytest
from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.engine.runs import queue as run_queue
from arena.engine.runs.deadline import DeadlinePolicy, load_policy, run_deadline_s, sequential_asks
from arena.engine.runs.sweep import sweep_overdue
from arena.kernel.clock import utcnow
from arena.storage.models import ArenaRun, RunRequest
from arena.storage.repositories import runs as run_repo
from arena.worker.periodic import JobContext, periodic_jobs
from tests.engine.harness import add_profiles, make_settings
from tests.support.llm_server import LLMServer
from tests.worker.test_lease_and_queue import ME, OTHER, queued_runs

DEAD = "worker:gone:99:dddddd"


def start(db: Database, run_id: str, owner: str, *, ago_s: float = 0.0, claimed: bool = True) -> None:
    """Move a queued run to running under `owner`, started `ago_s` seconds ago (and its request claimed)."""
    with db.sessions() as session, session.begin():
        assert run_repo.move_run(
            session=session,
            run_id=run_id,
            from_status="queued",
            to_status="running",
            values={"worker_id": owner, "started_at": utcnow() - timedelta(seconds=ago_s)},
        )
    if claimed:
        claim(db, run_id, owner)


def claim(db: Database, run_id: str, owner: str, *, ago_s: float = 0.0) -> None:
    with db.sessions() as session, session.begin():
        request = session.scalar(select(RunRequest).where(RunRequest.run_id == run_id))
        assert request is not None
        request.state, request.claimed_by = "claimed", owner
        request.claimed_at = utcnow() - timedelta(seconds=ago_s)


def state(db: Database) -> tuple[dict[str, tuple[str, str | None]], dict[str, str]]:
    with db.sessions() as session:
        runs = {r.id: (r.status, r.error) for r in session.scalars(select(ArenaRun))}
        requests = {r.run_id: r.state for r in session.scalars(select(RunRequest))}
    return runs, requests


def test_regaining_the_lease_settles_the_workers_own_runs_not_in_flight(database: Database) -> None:
    """After an outage longer than the lease, its runs were cancelled but their abandon was never written."""
    stale, live, unstarted, ended = queued_runs(database, 4)
    start(database, stale, ME)
    start(database, live, ME)
    claim(database, unstarted, ME)  # claimed, but the run never started
    start(database, ended, ME)
    with database.sessions() as session, session.begin():
        run_repo.move_run(session=session, run_id=ended, from_status="running", to_status="completed")

    recovery = run_queue.recover_after_takeover(sessions=database.sessions, worker_id=ME, keep=[live])

    assert (recovery.abandoned, recovery.requeued, recovery.closed) == ([stale], [unstarted], [ended])
    runs, requests = state(database)
    assert runs[stale][0] == "abandoned" and f"worker {ME} lost its lease" in (runs[stale][1] or "")
    assert runs[live] == ("running", None) and requests[live] == "claimed"  # in flight here: left alone
    assert runs[unstarted] == ("queued", None) and requests[unstarted] == "queued"  # it still runs, once
    assert requests[stale] == requests[ended] == "done"


def test_a_stop_settles_what_is_left_of_the_workers_own_runs(database: Database) -> None:
    leftover, others = queued_runs(database, 2)
    start(database, leftover, ME)
    start(database, others, OTHER)
    out = run_queue.settle_own(sessions=database.sessions, worker_id=ME, reason="worker stopped")
    assert out.abandoned == [leftover]
    runs, requests = state(database)
    assert runs[leftover] == ("abandoned", "worker stopped") and requests[leftover] == "done"
    assert runs[others] == ("running", None)  # another worker's live run is not ours to settle


def test_the_deadline_counts_every_sequential_ask_and_the_grace() -> None:
    policy = DeadlinePolicy(call_timeout_s=30, debate_rounds=3, judges=2, grace_s=60)
    assert sequential_asks("competition", policy) == 1 + 2 + 1  # cheap round, each judge in turn, escalation
    assert sequential_asks("debate", policy) == 3 + 2 + 1  # every debate round
    assert run_deadline_s("competition", policy) == 30 * 4 + 60
    assert run_deadline_s("debate", policy) == 30 * 6 + 60


def test_the_policy_reads_the_longest_profile_timeout_and_the_guardrails(database: Database) -> None:
    with LLMServer() as llm:
        add_profiles(database, llm, timeout_s=45)
    with database.sessions() as session:
        policy = load_policy(session=session, settings=make_settings(ARENA_LLM_TIMEOUT_S=10, ARENA_RUN_GRACE_S=7))
    assert policy.call_timeout_s == 45  # the profiles' own timeout, longer than ARENA_LLM_TIMEOUT_S
    assert (policy.debate_rounds, policy.judges, policy.grace_s) == (2, 0, 7)


@pytest.mark.parametrize("mode", ["competition", "debate"])
def test_the_sweeper_ends_overdue_runs_and_stale_claims_only(database: Database, mode: str) -> None:
    settings = make_settings(ARENA_LLM_TIMEOUT_S=10, ARENA_RUN_GRACE_S=5)
    with database.sessions() as session:
        deadline = run_deadline_s(mode, load_policy(session=session, settings=settings))
    overdue, fresh, waiting, stuck_claim, fresh_claim, ended_claim, mine = queued_runs(database, 7)
    with database.sessions() as session, session.begin():
        for run in session.scalars(select(ArenaRun)):
            run.mode = mode
            run.created_at = utcnow() - timedelta(days=2)  # queued for long: still not overdue
    start(database, overdue, DEAD, ago_s=deadline + 30)
    start(database, fresh, OTHER, ago_s=deadline - 10)
    claim(database, stuck_claim, DEAD, ago_s=deadline + 30)
    claim(database, fresh_claim, OTHER, ago_s=1)
    claim(database, mine, ME, ago_s=deadline + 30)
    start(database, ended_claim, DEAD)
    with database.sessions() as session, session.begin():
        run_repo.move_run(session=session, run_id=ended_claim, from_status="running", to_status="failed")

    swept = sweep_overdue(sessions=database.sessions, settings=settings, inflight=[mine])["run"]

    assert (swept.abandoned, swept.requeued, swept.closed) == ([overdue], [stuck_claim], [ended_claim])
    runs, requests = state(database)
    status, error = runs[overdue]
    assert status == "abandoned" and requests[overdue] == "done"
    assert error is not None and error.startswith("overdue: running for ")
    assert error.endswith(f", deadline {deadline:.0f} s")
    assert runs[fresh] == ("running", None) and runs[waiting] == ("queued", None)
    assert requests[stuck_claim] == "queued" and requests[fresh_claim] == "claimed" and requests[mine] == "claimed"
    again = sweep_overdue(sessions=database.sessions, settings=settings, inflight=[mine])["run"]
    assert not again  # nothing left to do; the finished run stays as it ended


def test_the_sweep_job_runs_every_sweep_interval_and_cancels_an_overdue_run_in_flight_here(
    sqlite_database: Database,
) -> None:
    settings = make_settings(ARENA_WORKER_SWEEP_S=7)
    job = {j.name: j for j in periodic_jobs(settings)}["sweep_overdue"]
    assert job.seconds == 7
    overdue, healthy = queued_runs(sqlite_database, 2)
    start(sqlite_database, overdue, ME, ago_s=86_400)
    start(sqlite_database, healthy, ME)
    cancelled: list[str] = []

    def cancel(run_id: str) -> bool:
        cancelled.append(run_id)
        return True

    ctx = JobContext(
        settings=settings,
        sessions=sqlite_database.sessions,
        worker_id=ME,
        ports=cast(Any, None),  # the sweep needs no broker or LLM
        inflight=frozenset({overdue, healthy}),
        cancel=cancel,
    )
    result = job.fn(ctx)
    assert result is not None
    asyncio.run(cast(Any, result))
    assert cancelled == [overdue]  # abandoned in the database, and its task stopped so the slot is free
    runs, _ = state(sqlite_database)
    assert runs[overdue][0] == "abandoned" and runs[healthy] == ("running", None)
