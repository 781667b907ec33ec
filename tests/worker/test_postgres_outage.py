"""A real worker process on PostgreSQL: a database outage longer than the lease, the overdue sweeper, and a
clean stop all leave nothing `running` or `claimed`.

The outage is real: connections to the test database are refused (`ALLOW_CONNECTIONS false`) and every open
one is terminated, so the worker's pooled connections die too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from arena.bootstrap.database import Database
from arena.kernel.clock import utcnow
from arena.storage.models import ArenaRun, RunRequest
from arena.storage.repositories import runs as run_repo
from arena.storage.session import make_engine, session_factory
from tests.engine.harness import add_profiles
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import PG_ADMIN_URL, TemplateDatabases
from tests.support.llm_server import LLMServer
from tests.worker.support import STARTUP_S, Script, WorkerProcess, enqueue, roles, runs, wait_for, worker_env

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

LEASE_TTL_S = 3.0  # tests/worker/support.py's worker_env
HANG_S = 120.0  # an LLM reply that never comes within a test


@dataclass
class Solo:
    db: Database
    name: str  # the PostgreSQL database
    worker: WorkerProcess
    script: Script

    def worker_id(self) -> str:
        return roles(self.db)[self.worker.pid][0]

    def role(self) -> str:
        return roles(self.db).get(self.worker.pid, ("", ""))[1]

    def hang_llm(self, hang: bool) -> None:
        with self.script.lock:
            if hang:
                self.script.slow["*"] = HANG_S
            else:
                self.script.slow.pop("*", None)


@pytest.fixture(scope="module")
def solo(
    templates: TemplateDatabases,
    tmp_path_factory: pytest.TempPathFactory,
    llm: LLMServer,
    alpaca: AlpacaServer,
    script: Script,
) -> Iterator[Solo]:
    folder = tmp_path_factory.mktemp("worker-outage")
    with templates.fresh("postgres", folder) as url:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        add_profiles(db, llm, timeout_s=HANG_S * 2)  # the agents wait; only the worker's handling ends the runs
        env = worker_env(url, llm, alpaca, ARENA_WORKER_SWEEP_S="1", ARENA_WORKER_GRACE_S="1")
        worker = WorkerProcess.start("solo", env, folder / "logs")
        name = make_url(url).database
        assert name is not None
        try:
            yield Solo(db, name, worker, script)
        finally:
            allow_connections(name, True)
            worker.ensure_dead()
            engine.dispose()


def allow_connections(name: str, allow: bool) -> None:
    """As superuser: open or close the database; closing also ends every connection to it (the worker's too)."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {"true" if allow else "false"}'))
            if not allow:
                conn.execute(
                    text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
                    {"name": name},
                )
    finally:
        admin.dispose()


def unsettled(db: Database) -> list[str]:
    """Every run still `running` and every request still `claimed` (whoever's)."""
    with db.sessions() as s:
        running = s.scalars(select(ArenaRun.id).where(ArenaRun.status == "running")).all()
        claimed = s.scalars(select(RunRequest.run_id).where(RunRequest.state == "claimed")).all()
    return [f"run {r} running" for r in running] + [f"request {r} claimed" for r in claimed]


def settled(db: Database, run_ids: list[str]) -> dict[str, ArenaRun] | None:
    found = runs(db, run_ids)
    return found if not unsettled(db) and all(r.status != "running" for r in found.values()) else None


def running_run(db: Database, owner: str, *, started_ago_s: float) -> str:
    """A run row `running` under `owner` since `started_ago_s` seconds ago, as a lost worker leaves it."""
    run_id = enqueue(db)
    with db.sessions() as s, s.begin():
        request = s.scalar(select(RunRequest).where(RunRequest.run_id == run_id))
        assert request is not None
        request.state, request.claimed_by, request.claimed_at = "claimed", owner, utcnow()
        assert run_repo.move_run(
            session=s,
            run_id=run_id,
            from_status="queued",
            to_status="running",
            values={"worker_id": owner, "started_at": utcnow() - timedelta(seconds=started_ago_s)},
        )
    return run_id


def test_an_outage_longer_than_the_lease_leaves_no_run_running(solo: Solo) -> None:
    db = solo.db
    wait_for("the worker to be active", lambda: solo.role() == "active", STARTUP_S)
    worker_id = solo.worker_id()
    solo.hang_llm(True)
    hanging = [enqueue(db, "AAPL"), enqueue(db, "MSFT")]
    wait_for(
        "both runs to have stored their inputs (next: the LLM, which hangs)",
        lambda: all(r.status == "running" and r.universe_snapshot_hash for r in runs(db, hanging).values()),
        10,
    )
    time.sleep(0.5)  # the inputs' transaction commits, then the agents' calls go out and hang

    allow_connections(solo.name, False)
    try:
        time.sleep(LEASE_TTL_S + 3)  # past the lease: the worker drops to standby and cannot write anything
    finally:
        allow_connections(solo.name, True)

    done = wait_for("every run and request to be settled", lambda: settled(db, hanging), 20)
    for run in done.values():
        assert run.status == "abandoned" and run.finished_at is not None
        assert run.error is not None and f"worker {worker_id} lost its lease" in run.error, run.error
    wait_for("the worker to be active again", lambda: solo.role() == "active", 10)
    solo.hang_llm(False)
    log = solo.worker.log()
    assert "is standby again: its lease could not be renewed in time" in log
    assert "periodic job sweep_overdue: database unavailable" in log  # one line per try, no traceback
    assert "ERROR arena.worker" not in log, log


def test_the_sweeper_abandons_a_dead_workers_overdue_run(solo: Solo) -> None:
    db = solo.db
    wait_for("the worker to be active", lambda: solo.role() == "active", 10)
    overdue = running_run(db, "worker:gone:4242:deadbe", started_ago_s=86_400)  # long after any takeover
    run = wait_for("the sweeper to end it", lambda: runs(db, [overdue])[overdue].status == "abandoned" or None, 10)
    assert run
    error = runs(db, [overdue])[overdue].error or ""
    assert error.startswith("overdue: running for 864") and ", deadline " in error, error
    assert not unsettled(db)


def test_a_clean_stop_with_hanging_runs_leaves_nothing_running_or_claimed(solo: Solo) -> None:
    db = solo.db
    wait_for("the worker to be active", lambda: solo.role() == "active", 10)
    worker_id = solo.worker_id()
    ghost = running_run(db, worker_id, started_ago_s=5)  # its own, left by a lease it lost earlier, not in flight
    solo.hang_llm(True)
    hanging = [enqueue(db, "NVDA")]
    wait_for("the run to hang at the LLM", lambda: runs(db, hanging)[hanging[0]].status == "running" or None, 10)

    assert solo.worker.stop(timeout=20) == 0
    assert unsettled(db) == []
    final = runs(db, [*hanging, ghost])
    assert "grace period" in (final[hanging[0]].error or "")
    assert final[ghost].status == "abandoned" and "no longer in flight" in (final[ghost].error or "")
    assert "stopped cleanly (SIGTERM)" in solo.worker.log()
