"""The Worker on an event loop in this process: periodic jobs run only while it holds the lease, a failing job
does not stop it, and a requested stop releases the lease and reports `stopped`."""

from __future__ import annotations

import asyncio
from typing import Any

from arena.bootstrap.database import Database
from arena.bootstrap.services import build_broker
from arena.engine.ports import Ports
from arena.engine.runs import lease as worker_lease
from arena.worker.periodic import JobContext, PeriodicJob
from arena.worker.worker import Worker, WorkerConfig
from tests.engine.harness import FixedMarket, make_settings
from tests.worker.support import detail, heartbeats

FAST = WorkerConfig(lease_ttl_s=1.0, heartbeat_s=0.2, queue_poll_s=0.2, strategy_poll_s=0.5, grace_s=1.0)


class NoGateway:
    """No run is queued in these tests, so no LLM call may happen."""

    def preload(self) -> None:
        return None

    async def call(self, call: Any) -> Any:
        raise AssertionError("no LLM call expected")


def run_for(db: Database, seconds: float, jobs: list[PeriodicJob], worker_id: str) -> int:
    settings = make_settings()
    worker = Worker(
        settings=settings,
        sessions=db.sessions,
        # no job here reaches the broker (nothing listens at its URL)
        ports=Ports(gateway=NoGateway(), market=FixedMarket(), broker=build_broker(settings)),
        config=FAST,
        worker_id=worker_id,
        periodic=jobs,
    )

    async def main() -> int:
        asyncio.get_running_loop().call_later(seconds, worker.request_stop, "test stop")
        return await worker.run()

    return asyncio.run(main())


def test_periodic_jobs_run_only_on_the_active_worker_and_survive_failures(sqlite_database: Database) -> None:
    db = sqlite_database
    seen: list[str] = []

    async def probe(ctx: JobContext) -> None:
        seen.append(ctx.worker_id)

    def broken(_ctx: JobContext) -> None:
        raise RuntimeError("reconcile exploded")

    jobs = [PeriodicJob("probe", probe, 0.2), PeriodicJob("broken", broken, 0.2)]

    # someone else holds the lease: this worker stays standby and runs nothing
    assert worker_lease.try_acquire(sessions=db.sessions, worker_id="worker:other:1:000000", ttl_s=60)
    assert run_for(db, 1.0, jobs, "worker:test:1:aaaaaa") == 0
    assert seen == []
    assert worker_lease.holder(sessions=db.sessions)[0] == "worker:other:1:000000"

    # the lease is free: the next worker takes it, runs the jobs, and gives the lease back when it stops
    assert worker_lease.release(sessions=db.sessions, worker_id="worker:other:1:000000")
    assert run_for(db, 1.5, jobs, "worker:test:2:bbbbbb") == 0
    assert len(seen) >= 3 and set(seen) == {"worker:test:2:bbbbbb"}
    assert worker_lease.holder(sessions=db.sessions)[0] is None
    beats = heartbeats(db)
    assert beats["worker:test:1:aaaaaa"].role == "stopped"
    last = beats["worker:test:2:bbbbbb"]
    assert last.role == "stopped"
    assert detail(last)["last_error"] == "broken: RuntimeError: reconcile exploded"
