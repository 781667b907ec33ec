"""Cancelling a run, with a real `python -m arena worker` process: a run held at the loopback LLM is stopped while
its agents decide and ends `abandoned` with who cancelled it — its request closed, nothing left in flight — and
the worker carries on; a queued run is abandoned at once; a finished run cannot be cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.engine.runs.cancel import CancelOutcome, request_cancel
from arena.storage.models import ArenaRun, Consensus, RunRequest
from arena.storage.read.run_live import ANSWERED, CALLING, NOT_ASKED, STOPPED, WAITING, run_live
from arena.storage.session import make_engine, session_factory
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_B, add_profiles
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer, Reply
from tests.worker.support import STARTUP_S, Script, WorkerProcess, detail, enqueue, heartbeats, wait_for, worker_env

pytestmark = pytest.mark.slow

HELD_S = 60.0  # the LLM holds every call this long: only a cancel ends the run sooner


@pytest.fixture(scope="module")
def worker(
    templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory, llm: LLMServer, alpaca: AlpacaServer
) -> Iterator[tuple[Database, WorkerProcess]]:
    folder: Path = tmp_path_factory.mktemp("worker-cancel")
    with templates.fresh("sqlite", folder) as url:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        add_profiles(db, llm, timeout_s=HELD_S * 2)
        process = WorkerProcess.start("a", worker_env(url, llm, alpaca), folder / "logs")
        try:
            yield db, process
        finally:
            process.ensure_dead()
            engine.dispose()


def _run(db: Database, run_id: str) -> ArenaRun:
    with db.sessions() as s:
        run = s.get(ArenaRun, run_id)
        assert run is not None
        return run


def _request_state(db: Database, run_id: str) -> str | None:
    with db.sessions() as s:
        return s.scalar(select(RunRequest.state).where(RunRequest.run_id == run_id))


def test_a_run_held_at_the_llm_is_cancelled_and_the_worker_carries_on(
    worker: tuple[Database, WorkerProcess], script: Script, llm: LLMServer
) -> None:
    db, process = worker
    with script.lock:
        script.slow["*"] = HELD_S
    llm.on_call(CHEAP_B, lambda _body: Reply(content=decision_json("HOLD", 0.8, symbol="")))  # answers at once
    run_id = enqueue(db)

    def states() -> dict[str, str] | None:
        with db.sessions() as s:
            live = run_live(session=s, run_id=run_id)
        found = {a.name: a.state for a in live.agents} if live is not None else {}
        return found if found.get("cheap_risk_manager") == ANSWERED else None

    live_states = wait_for("one agent to answer while the other is held", states, STARTUP_S)
    assert live_states["cheap_tech_analyst"] == CALLING, live_states  # asked, no answer yet
    assert live_states["power_macro_judge"] == WAITING, live_states  # escalation only: asked only if needed

    assert request_cancel(sessions=db.sessions, run_id=run_id, actor="tester") == CancelOutcome.REQUESTED
    assert request_cancel(sessions=db.sessions, run_id=run_id, actor="again") == CancelOutcome.TOO_LATE

    ended = wait_for("the run to end", lambda: _run(db, run_id).status != "running" or None, 20)
    run = _run(db, run_id)
    assert ended and run.status == "abandoned", (run.status, run.error)
    assert run.error == "cancelled by tester" and run.cancel_requested_by == "tester"
    assert run.started_at is not None and run.finished_at is not None and run.latency_ms is not None
    assert (run.finished_at - run.started_at).total_seconds() < HELD_S  # stopped, not waited out
    assert _request_state(db, run_id) == "done"
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Consensus).where(Consensus.run_id == run_id)) == 0
        ended_live = run_live(session=s, run_id=run_id)
    assert ended_live is not None and not ended_live.recorded
    after = {a.name: a.state for a in ended_live.agents}
    assert after == {"cheap_tech_analyst": STOPPED, "cheap_risk_manager": ANSWERED, "power_macro_judge": NOT_ASKED}

    def idle() -> bool:
        beats = [b for b in heartbeats(db).values() if b.pid == process.pid]
        return bool(beats) and beats[0].role == "active" and detail(beats[0]).get("inflight") == []

    wait_for("the worker to have nothing in flight", idle, 10)

    with script.lock:  # the worker is still fine: the next run completes
        script.slow.clear()
    script.install(llm)
    next_run = enqueue(db, "MSFT")
    wait_for("the next run to complete", lambda: _run(db, next_run).status == "completed" or None, 30)
    assert _request_state(db, next_run) == "done"
    assert "cancelled by tester" in process.log()


def test_a_queued_run_is_abandoned_at_once_and_a_finished_one_cannot_be_cancelled(
    worker: tuple[Database, WorkerProcess],
) -> None:
    db, process = worker
    process.stop()  # no worker: the run stays queued
    run_id = enqueue(db, "NVDA")
    assert request_cancel(sessions=db.sessions, run_id=run_id, actor="tester") == CancelOutcome.CANCELLED
    run = _run(db, run_id)
    assert (run.status, run.error, run.started_at) == ("abandoned", "cancelled by tester before it started", None)
    assert _request_state(db, run_id) == "done"
    assert request_cancel(sessions=db.sessions, run_id=run_id, actor="tester") == CancelOutcome.TOO_LATE
    assert request_cancel(sessions=db.sessions, run_id="0" * 32, actor="tester") == CancelOutcome.UNKNOWN
