"""Real `python -m arena worker` processes for tests, pointed at the loopback LLM and Alpaca servers.

Timings are short (lease 3 s, renewed every 0.5 s) so a takeover fits in a test; each process still pays
litellm's import (several seconds), so tests start as few as they can and start them together.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.engine.config.settings import PROJECT_ROOT
from arena.engine.runs.service import start_run
from arena.storage.models import ArenaRun, CostTelemetry, RunRequest, WorkerHeartbeat
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, make_settings
from tests.support.alpaca_server import AlpacaServer
from tests.support.llm_server import LOOPBACK_API_BASES, LLMServer, Reply

T = TypeVar("T")
STARTUP_S = 60.0  # two workers importing litellm at once on a slow 2-core machine
CALM = [100.0 + 0.1 * i for i in range(40)]
SYMBOLS = ("AAPL", "MSFT", "NVDA")
FINAL = ("completed", "failed", "abandoned")


def worker_env(db_url: str, llm: LLMServer, alpaca: AlpacaServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "ALPACA_", "OPENAI_", "OPENROUTER_"))}
    env.update(
        PYTHONPATH=str(PROJECT_ROOT),
        DATABASE_URL=db_url,
        OPENAI_API_KEY="sk-test-openai-key-123",
        OPENROUTER_API_KEY="sk-or-test-key-456",
        OPENAI_API_BASE=llm.base_url,
        OPENROUTER_API_BASE=llm.base_url,
        ALPACA_API_KEY="test-key-id",
        ALPACA_SECRET_KEY="test-secret",
        ALPACA_DATA_URL=alpaca.url,
        ALPACA_TRADING_URL=alpaca.url,
        ARENA_EXECUTION="off",
        ARENA_ALLOWED_API_BASES=LOOPBACK_API_BASES,
        ARENA_HTTP_TIMEOUT_S="5",
        ARENA_WORKER_LEASE_TTL_S="3",
        ARENA_WORKER_HEARTBEAT_S="0.5",
        ARENA_WORKER_STRATEGY_POLL_S="1",
        LITELLM_LOCAL_MODEL_COST_MAP="True",
    )
    env.update(extra)
    return env


@dataclass
class WorkerProcess:
    """One worker subprocess; its output goes to files so a test can read the log after it ended."""

    name: str
    proc: subprocess.Popen[bytes]
    out_path: Path
    err_path: Path

    @classmethod
    def start(cls, name: str, env: dict[str, str], folder: Path) -> WorkerProcess:
        folder.mkdir(parents=True, exist_ok=True)
        out_path, err_path = folder / f"{name}.out", folder / f"{name}.err"
        with out_path.open("wb") as out, err_path.open("wb") as err:
            proc = subprocess.Popen(
                [sys.executable, "-m", "arena", "worker"],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        return cls(name, proc, out_path, err_path)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.out_path.read_text() + self.err_path.read_text()

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)

    def ensure_dead(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@dataclass
class Script:
    """LLM replies for the three test models, read per request so a test can hold runs at the LLM.

    `slow` maps a symbol (found in the prompt) to a delay, "*" to every symbol; unmatched calls take `delay_s`.
    """

    delay_s: float = 0.2
    slow: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reply(self, body: dict[str, Any]) -> Reply:
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []) if isinstance(m, dict))
        with self.lock:
            delay = self.slow.get("*", self.delay_s)
            for symbol, seconds in self.slow.items():
                if symbol != "*" and re.search(rf"\b{symbol}\b", prompt):
                    delay = seconds
        return Reply(content=decision_json("HOLD", 0.8, symbol=""), delay_s=delay)

    def install(self, llm: LLMServer) -> None:
        for model in (CHEAP_A, CHEAP_B, POWER):
            llm.on_call(model, self.reply)


def set_market(alpaca: AlpacaServer) -> None:
    today = datetime.now(UTC).date()
    for symbol in SYMBOLS:
        alpaca.set_bars(symbol, CALM, end=today)
        alpaca.set_quote(symbol, CALM[-1] - 0.05, CALM[-1] + 0.05)


def enqueue(db: Database, symbol: str = "AAPL") -> str:
    """What the API and `run --enqueue` do: a queued run with its queue row."""
    started = start_run(
        sessions=db.sessions,
        settings=make_settings(),
        symbols=[symbol],
        agents=None,
        mode="competition",
        trigger="api",
        enqueue=True,
        requested_by="test",
    )
    return started.run_id


def wait_for(what: str, fn: Callable[[], T | None], timeout: float, poll: float = 0.1) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(poll)


def runs(db: Database, run_ids: list[str] | None = None) -> dict[str, ArenaRun]:
    with db.sessions() as s:
        query = select(ArenaRun)
        if run_ids is not None:
            query = query.where(ArenaRun.id.in_(run_ids))
        return {r.id: r for r in s.scalars(query)}


def all_final(db: Database, run_ids: list[str]) -> dict[str, ArenaRun] | None:
    found = runs(db, run_ids)
    return found if len(found) == len(run_ids) and all(r.status in FINAL for r in found.values()) else None


def heartbeats(db: Database) -> dict[str, WorkerHeartbeat]:
    with db.sessions() as s:
        return {h.worker_id: h for h in s.scalars(select(WorkerHeartbeat))}


def roles(db: Database) -> dict[int, tuple[str, str]]:
    """pid → (worker_id, role)."""
    return {h.pid: (h.worker_id, h.role) for h in heartbeats(db).values()}


def detail(beat: WorkerHeartbeat) -> dict[str, Any]:
    value = json.loads(beat.detail or "{}")
    assert isinstance(value, dict)
    return value


def active_worker(db: Database, workers: list[WorkerProcess]) -> WorkerProcess | None:
    pids = {w.pid: w for w in workers}
    for pid, (_wid, role) in roles(db).items():
        if role == "active" and pid in pids:
            return pids[pid]
    return None


def worker_id_of(db: Database, worker: WorkerProcess) -> str:
    return roles(db)[worker.pid][0]


@dataclass
class Pair:
    """Two worker processes on one database, and what they talk to."""

    db: Database
    env: dict[str, str]
    workers: list[WorkerProcess]
    llm: LLMServer
    script: Script

    def alive(self) -> list[WorkerProcess]:
        return [w for w in self.workers if w.proc.poll() is None]

    def active(self, timeout: float = STARTUP_S) -> WorkerProcess:
        return wait_for("an active worker", lambda: active_worker(self.db, self.alive()), timeout)

    def slow_down(self, seconds: float, symbol: str = "*") -> None:
        """Hold LLM calls about `symbol` (default: all) for `seconds`; 0 answers at once again."""
        with self.script.lock:
            if seconds:
                self.script.slow[symbol] = seconds
            else:
                self.script.slow.pop(symbol, None)


def check_exactly_once(pair: Pair) -> None:
    """Requests queued before and while two workers run: one worker is active and runs each exactly once."""
    db = pair.db
    calls_before = len(pair.llm.requests)
    early = [enqueue(db, symbol) for symbol in ("AAPL", "MSFT", "NVDA", "AAPL")]
    wait_for("the early requests to finish", lambda: all_final(db, early), STARTUP_S)
    active = pair.active()
    standby = next(w for w in pair.alive() if w is not active)
    wait_for("the other worker to wait as standby", lambda: roles(db).get(standby.pid, ("", ""))[1] == "standby", 60)

    late = []
    for symbol in ("MSFT", "NVDA", "AAPL", "MSFT"):
        late.append(enqueue(db, symbol))
        time.sleep(0.5)
    for run in wait_for("the later requests to finish", lambda: all_final(db, late), 30).values():
        assert run.started_at is not None
        assert (run.started_at - run.created_at).total_seconds() < 2.0, "not picked up within 2 s"

    everything = early + late
    active_id = roles(db)[active.pid][0]
    done = runs(db, everything)
    assert {(r.status, r.worker_id) for r in done.values()} == {("completed", active_id)}
    with db.sessions() as s:
        calls = dict(
            s.execute(
                select(CostTelemetry.run_id, func.count(CostTelemetry.id))
                .where(CostTelemetry.run_id.in_(everything))
                .group_by(CostTelemetry.run_id)
            ).all()
        )
        requests = list(s.scalars(select(RunRequest).where(RunRequest.run_id.in_(everything))))
    assert calls == dict.fromkeys(everything, 2)  # each run's two cheap agents called once: each run ran once
    assert len(pair.llm.requests) - calls_before == 2 * len(everything)
    assert {(r.state, r.claimed_by) for r in requests} == {("done", active_id)}
