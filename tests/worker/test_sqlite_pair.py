"""Two real workers on one SQLite file, one scenario after another (in file order, one pair for the module):
exactly-once, strategies picked up while running, kill -9 of the active one, SIGTERM with a grace period."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from arena.bootstrap.database import Database
from arena.engine.config.settings import PROJECT_ROOT
from arena.engine.config.strategies import StrategySpec
from arena.storage.models import ArenaRun
from arena.storage.repositories.strategies import upsert_strategy
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer
from tests.worker.conftest import start_pair
from tests.worker.support import (
    Pair,
    Script,
    WorkerProcess,
    all_final,
    check_exactly_once,
    detail,
    enqueue,
    heartbeats,
    roles,
    runs,
    wait_for,
)

pytestmark = pytest.mark.slow
GRACE_S = 3


@pytest.fixture(scope="module")
def pair(
    templates: TemplateDatabases,
    tmp_path_factory: pytest.TempPathFactory,
    llm: LLMServer,
    alpaca: AlpacaServer,
    script: Script,
) -> Iterator[Pair]:
    yield from start_pair(
        "sqlite",
        templates,
        tmp_path_factory,
        llm,
        alpaca,
        script,
        ARENA_WORKER_MAX_RUNS="2",
        ARENA_WORKER_GRACE_S=str(GRACE_S),
    )


def test_one_active_worker_runs_every_request_exactly_once(pair: Pair) -> None:
    check_exactly_once(pair)


def _save_strategy(db: Database, **values: Any) -> int:
    spec = StrategySpec(name="tech_pair", **values)
    with db.sessions() as s, s.begin():
        return upsert_strategy(session=s, name=spec.name, values=spec.model_dump(exclude={"name"}), actor="test").id


def _scheduled(db: Database, worker: WorkerProcess) -> dict[str, Any]:
    value = detail(heartbeats(db)[roles(db)[worker.pid][0]])["scheduled"]
    assert isinstance(value, dict)
    return value


def test_a_strategy_saved_while_running_is_scheduled_edited_and_removed(pair: Pair) -> None:
    db, worker = pair.db, pair.active()
    pair.script.delay_s = 0.5
    assert _scheduled(db, worker) == {}  # a fresh database schedules nothing

    strategy_id = _save_strategy(
        db, symbols=["AAPL", "MSFT"], schedule_kind="interval", interval_seconds=10, enabled=True
    )
    assert wait_for("the new strategy to be scheduled", lambda: _scheduled(db, worker).get("tech_pair"), 4)

    def cycle() -> list[ArenaRun] | None:
        found = [r for r in runs(db).values() if r.strategy_id == strategy_id]
        return found if len(found) == 2 and all(r.status == "completed" for r in found) else None

    done = wait_for("one cycle over both symbols", cycle, 20)
    assert {r.trigger for r in done} == {"schedule"} and {r.execution_mode for r in done} == {"off"}
    assert len({r.cycle_id for r in done}) == 1 and done[0].cycle_id
    assert sorted(s for r in done for s in r.symbols) == ["AAPL", "MSFT"]  # one run per symbol
    first, second = sorted(done, key=lambda r: r.started_at or datetime.min.replace(tzinfo=UTC))
    assert first.finished_at and second.started_at and second.started_at < first.finished_at  # side by side

    _save_strategy(db, symbols=["AAPL", "MSFT"], schedule_kind="cron", cron="0 0 1 1 *", enabled=True)
    next_new_year = datetime(datetime.now(UTC).year + 1, 1, 1, tzinfo=UTC).isoformat()
    assert wait_for("the new schedule", lambda: _scheduled(db, worker).get("tech_pair") == next_new_year, 4)
    _save_strategy(db, symbols=["AAPL"], schedule_kind="cron", cron="0 0 1 1 *", enabled=False)
    wait_for("the strategy to be unscheduled", lambda: _scheduled(db, worker) == {} or None, 4)
    log = worker.log()
    assert "strategy tech_pair scheduled: every 10 s" in log
    assert "strategy tech_pair rescheduled: cron '0 0 1 1 *'" in log
    assert "strategy tech_pair unscheduled" in log


def test_kill9_of_the_active_worker_mid_run_is_survived_by_the_standby(pair: Pair) -> None:
    db = pair.db
    victim = pair.active()
    survivor = next(w for w in pair.alive() if w is not victim)
    victim_id = roles(db)[victim.pid][0]
    pair.slow_down(30)
    stale = [enqueue(db), enqueue(db, "MSFT")]  # both run slots taken…
    wait_for("both to run", lambda: all(r.status == "running" for r in runs(db, stale).values()), 10)
    waiting = [enqueue(db, "NVDA"), enqueue(db)]  # …so these wait in the queue
    time.sleep(1.5)
    assert {r.status for r in runs(db, waiting).values()} == {"queued"}

    pair.slow_down(0)
    killed_at = time.monotonic()
    victim.kill9()
    wait_for("the standby to take over", lambda: roles(db)[survivor.pid][1] == "active", 10)
    assert time.monotonic() - killed_at < 3 + 2  # the 3 s lease, one 0.5 s beat, and slack

    for run in runs(db, stale).values():
        assert (run.status, run.error) == ("abandoned", f"worker {victim_id} lost its lease")
        assert run.finished_at is not None
    survivor_id = roles(db)[survivor.pid][0]
    done = wait_for("the queued requests to run on the new worker", lambda: all_final(db, waiting), 30)
    assert {(r.status, r.worker_id) for r in done.values()} == {("completed", survivor_id)}
    # a later request, queued from the shell: `run --enqueue --json` prints the id at once
    cli = subprocess.run(
        [sys.executable, "-m", "arena", "run", "--symbols", "MSFT", "--enqueue", "--json"],
        cwd=PROJECT_ROOT,
        env=pair.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    queued = json.loads(cli.stdout)
    assert queued["status"] == "queued"
    later = queued["run_id"]
    done_later = wait_for("the request queued from the shell", lambda: all_final(db, [later]), 10)[later]
    assert (done_later.status, done_later.trigger, done_later.worker_id) == ("completed", "cli", survivor_id)


def test_sigterm_lets_runs_finish_within_the_grace_period_and_abandons_the_rest(pair: Pair) -> None:
    db = pair.db
    worker = pair.active()
    pair.slow_down(1.5, "AAPL")
    pair.slow_down(30, "MSFT")
    quick, stuck = enqueue(db, "AAPL"), enqueue(db, "MSFT")
    wait_for("both runs to start", lambda: all(r.status == "running" for r in runs(db, [quick, stuck]).values()), 10)

    stopped_at = time.monotonic()
    assert worker.stop(timeout=20) == 0
    assert time.monotonic() - stopped_at < GRACE_S + 3
    assert runs(db, [quick])[quick].status == "completed"
    cut = runs(db, [stuck])[stuck]
    assert cut.status == "abandoned"
    assert cut.error == (
        f"worker {roles(db)[worker.pid][0]} stopped: the run did not finish within the {GRACE_S} s grace period"
    )
    log = worker.log()
    assert "Traceback" not in log, log
    assert "stopped cleanly (SIGTERM): 2 in-flight run(s) at stop, 1 abandoned" in log
    assert roles(db)[worker.pid][1] == "stopped"
