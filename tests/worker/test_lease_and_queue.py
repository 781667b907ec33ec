"""Lease, claim and takeover recovery against real SQLite and PostgreSQL, with threads racing on real sessions."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.engine.runs import lease as worker_lease
from arena.engine.runs import queue as run_queue
from arena.kernel.clock import utcnow
from arena.storage.models import ArenaRun, RunRequest, WorkerLease
from arena.storage.repositories import runs as run_repo

T = TypeVar("T")
ME, OTHER = "worker:host:1:aaaaaa", "worker:host:2:bbbbbb"


def race(n: int, fn: Callable[[int], T]) -> list[T]:
    """Run fn(i) in n threads released at the same instant; results in thread order."""
    barrier = threading.Barrier(n)
    results: list[T | None] = [None] * n
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            barrier.wait()
            results[i] = fn(i)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results  # type: ignore[return-value]


def queued_runs(db: Database, count: int, *, enqueue: bool = True, trigger: str = "api") -> list[str]:
    with db.sessions() as s, s.begin():
        return [
            run_repo.create_run(
                session=s, trigger=trigger, mode="competition", symbols=["AAPL"], agents=None, enqueue=enqueue
            ).id
            for _ in range(count)
        ]


def test_one_holder_renewal_expiry_and_release(database: Database) -> None:
    s = database.sessions
    first = worker_lease.try_acquire(sessions=s, worker_id=ME, ttl_s=0.6)
    assert first is not None
    assert worker_lease.try_acquire(sessions=s, worker_id=OTHER, ttl_s=0.6) is None
    renewed = worker_lease.try_acquire(sessions=s, worker_id=ME, ttl_s=0.6)
    assert renewed is not None and renewed > first
    with s() as session:
        acquired_at = session.get(WorkerLease, worker_lease.LEASE_NAME).acquired_at  # type: ignore[union-attr]
    assert worker_lease.holds(sessions=s, worker_id=ME)

    time.sleep(0.8)  # ME stops renewing: the lease lapses and OTHER takes it
    assert not worker_lease.holds(sessions=s, worker_id=ME)
    assert worker_lease.try_acquire(sessions=s, worker_id=OTHER, ttl_s=5) is not None
    assert worker_lease.holder(sessions=s)[0] == OTHER
    with s() as session:
        row = session.get(WorkerLease, worker_lease.LEASE_NAME)
        assert row is not None and row.acquired_at is not None and acquired_at is not None
        assert row.acquired_at > acquired_at
    assert worker_lease.try_acquire(sessions=s, worker_id=ME, ttl_s=5) is None

    assert worker_lease.release(sessions=s, worker_id=ME) is False  # not ours to release
    assert worker_lease.release(sessions=s, worker_id=OTHER) is True
    assert worker_lease.try_acquire(sessions=s, worker_id=ME, ttl_s=5) is not None  # at once, no expiry wait


def test_racing_workers_get_exactly_one_lease(database: Database) -> None:
    ids = [f"worker:h:{i}:000000" for i in range(8)]
    got = race(8, lambda i: worker_lease.try_acquire(sessions=database.sessions, worker_id=ids[i], ttl_s=30))
    winners = [ids[i] for i, expires in enumerate(got) if expires is not None]
    assert len(winners) == 1
    assert worker_lease.holder(sessions=database.sessions)[0] == winners[0]


def test_racing_claims_take_every_request_exactly_once(database: Database) -> None:
    run_ids = queued_runs(database, 24)
    assert worker_lease.try_acquire(sessions=database.sessions, worker_id=ME, ttl_s=60)

    def drain(_i: int) -> list[str]:
        mine = []
        while (claim := run_queue.claim_next(sessions=database.sessions, worker_id=ME)) is not None:
            mine.append(claim.run_id)
        return mine

    claimed = race(6, drain)
    flat = [run_id for part in claimed for run_id in part]
    assert sorted(flat) == sorted(run_ids)  # all of them, none twice
    assert run_queue.queue_depth(sessions=database.sessions) == 0


def test_a_worker_without_the_lease_claims_nothing(database: Database) -> None:
    queued_runs(database, 2)
    assert run_queue.claim_next(sessions=database.sessions, worker_id=ME) is None  # nobody holds it
    assert worker_lease.try_acquire(sessions=database.sessions, worker_id=OTHER, ttl_s=60)
    assert run_queue.claim_next(sessions=database.sessions, worker_id=ME) is None  # someone else does
    assert run_queue.claim_next(sessions=database.sessions, worker_id=OTHER) is not None
    assert run_queue.queue_depth(sessions=database.sessions) == 1


def test_takeover_abandons_stale_runs_and_requeues_unstarted_requests(database: Database) -> None:
    s = database.sessions
    dead_running, dead_claimed, dead_finished, mine, cli, waiting = queued_runs(database, 6)
    (scheduled_orphan,) = queued_runs(database, 1, enqueue=False, trigger="schedule")
    with s() as session, session.begin():
        for run_id, owner in ((dead_running, OTHER), (mine, ME), (cli, "cli")):
            assert run_repo.move_run(
                session=session,
                run_id=run_id,
                from_status="queued",
                to_status="running",
                values={"worker_id": owner, "started_at": utcnow()},
            )
        assert run_repo.move_run(session=session, run_id=dead_finished, from_status="queued", to_status="failed")
        for run_id, owner in ((dead_running, OTHER), (dead_claimed, OTHER), (dead_finished, OTHER), (mine, ME)):
            request = session.scalar(select(RunRequest).where(RunRequest.run_id == run_id))
            assert request is not None
            request.state, request.claimed_by, request.claimed_at = "claimed", owner, utcnow()

    recovery = run_queue.recover_after_takeover(sessions=s, worker_id=ME, keep=[mine])  # `mine` is in flight here

    assert sorted(recovery.abandoned) == sorted([dead_running, scheduled_orphan])
    assert recovery.requeued == [dead_claimed]
    assert recovery.closed == [dead_finished]
    with s() as session:
        status = {r.id: (r.status, r.error) for r in session.scalars(select(ArenaRun))}
        state = {r.run_id: (r.state, r.claimed_by) for r in session.scalars(select(RunRequest))}
    assert status[dead_running] == ("abandoned", f"worker {OTHER} lost its lease")
    assert status[scheduled_orphan][0] == "abandoned"
    assert status[mine] == ("running", None) and status[cli] == ("running", None)  # live work is left alone
    assert status[dead_claimed] == ("queued", None) and status[waiting] == ("queued", None)
    assert state[dead_running] == ("done", OTHER)
    assert state[dead_claimed] == ("queued", None)  # it still runs, on the new worker
    assert state[dead_finished] == ("done", OTHER)
    assert state[mine] == ("claimed", ME)
    # a second takeover by the same worker finds nothing more to do
    again = run_queue.recover_after_takeover(sessions=s, worker_id=ME, keep=[mine])
    assert (again.abandoned, again.requeued, again.closed) == ([], [], [])


def test_abandon_is_guarded(database: Database) -> None:
    done, waiting = queued_runs(database, 2)
    with database.sessions() as session, session.begin():
        assert run_repo.move_run(session=session, run_id=done, from_status="queued", to_status="running")
        assert run_repo.move_run(session=session, run_id=done, from_status="running", to_status="completed")
    assert run_queue.abandon(sessions=database.sessions, run_id=done, reason="x") is False
    assert run_queue.abandon(sessions=database.sessions, run_id=waiting, reason="stopped") is True
    with database.sessions() as session:
        run = session.get(ArenaRun, waiting)
        request = session.scalar(select(RunRequest).where(RunRequest.run_id == waiting))
        assert run is not None and request is not None
        assert (run.status, run.error, request.state) == ("abandoned", "stopped", "done")
