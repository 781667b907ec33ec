"""`python -m arena serve` (web + worker) as a real process: a child killed with `kill -9` is logged and restarted,
the web keeps answering meanwhile, the sign-in link never reaches its (piped) output, and SIGTERM still stops it all.

One serve process for the whole module (its start costs seconds); the tests run in file order and the last one
stops it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pytest

from arena.engine.config.settings import PROJECT_ROOT
from tests.faces.web.api.processes import free_port, http

pytestmark = pytest.mark.slow

T = TypeVar("T")
TIMEOUT_S = 60.0


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    base: str
    db_file: Path
    stdout: Path
    stderr: Path


def wait_until(what: str, probe: Callable[[], T | None], served: Served, timeout_s: float = TIMEOUT_S) -> T:
    """Poll `probe` until it returns something; serve must stay up all the while."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert served.proc.poll() is None, f"serve exited ({served.proc.returncode}):\n{served.stderr.read_text()}"
        found = probe()
        if found is not None:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}:\n{served.stderr.read_text()[-4000:]}")


def health(served: Served) -> dict[str, object] | None:
    try:
        status, _, body = http(f"{served.base}/api/admin/arena/health")
    except OSError:
        return None  # the web child is (re)starting
    return json.loads(body) if status == 200 else None


def child_pid(served: Served, marker: str) -> int | None:
    """The pid of serve's child whose command line contains `marker` ('worker' or 'streamlit')."""
    for task in Path(f"/proc/{served.proc.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue  # it ended while we looked
            if marker.encode() in argv:
                return int(pid)
    return None


def active_worker_pids(served: Served) -> set[int]:
    with contextlib.closing(sqlite3.connect(f"file:{served.db_file}?mode=ro", uri=True, timeout=5)) as db:
        rows = db.execute("SELECT pid FROM ai_worker_heartbeats WHERE role = 'active'").fetchall()
    return {int(pid) for (pid,) in rows}


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("serve_supervision")
    port = free_port()
    db_file = tmp / "arena.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "OPENAI_", "OPENROUTER_", "ALPACA_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DATABASE_URL=f"sqlite:///{db_file}",
        ARENA_HOST="127.0.0.1",
        ARENA_PORT=str(port),
        ARENA_ADMIN_TOKEN_FILE=str(tmp / "admin_token"),
        ARENA_WORKER_LEASE_TTL_S="2",
        ARENA_WORKER_HEARTBEAT_S="0.5",
        ARENA_WORKER_GRACE_S="2",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    stdout, stderr = tmp / "serve.out", tmp / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "arena", "serve"],
            cwd=tmp,
            env=env,
            stdout=out,  # a file, not a terminal: the sign-in link must not be printed
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    served = Served(proc, f"http://127.0.0.1:{port}", db_file, stdout, stderr)
    try:
        wait_until(
            "the worker to be up", lambda: True if (health(served) or {}).get("worker") == "up" else None, served
        )
        yield served
    finally:
        if group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_killed_worker_is_logged_and_restarted_while_the_web_stays_up(served: Served) -> None:
    old = child_pid(served, "worker")
    assert old is not None

    os.kill(old, signal.SIGKILL)
    line = f"worker (pid {old}) exited with code -9 (SIGKILL); restarting in 1 s"
    wait_until("the exit line", lambda: True if line in served.stderr.read_text() else None, served, 10)
    assert " WARNING arena.faces.cli.supervisor: " + line in served.stderr.read_text()

    states: set[object] = set()

    def replaced_and_up() -> int | None:
        report = health(served)
        assert report is not None, "the web must keep answering while the worker restarts"
        states.add(report["worker"])
        new = child_pid(served, "worker")
        if new is None or new == old or new not in active_worker_pids(served) or report["worker"] != "up":
            return None
        return new

    new = wait_until("a new active worker", replaced_and_up, served)
    assert new != old
    assert "down" in states, f"health never showed the worker down between kill and takeover: {states}"


def test_a_killed_web_process_is_restarted_and_the_worker_keeps_running(served: Served) -> None:
    worker = child_pid(served, "worker")
    web = child_pid(served, "streamlit")
    assert worker is not None and web is not None

    os.kill(web, signal.SIGKILL)
    line = f"web (pid {web}) exited with code -9 (SIGKILL); restarting in 1 s"
    wait_until("the exit line", lambda: True if line in served.stderr.read_text() else None, served, 10)

    wait_until("the web to answer again", lambda: health(served), served)
    log = served.stderr.read_text()[-4000:]
    assert child_pid(served, "streamlit") not in (None, web), log
    assert child_pid(served, "worker") == worker, f"the worker must not be touched when the web restarts:\n{log}"


def test_piped_output_has_no_signin_link(served: Served) -> None:
    out = served.stdout.read_text()
    assert "/admin/arena/" in out
    assert "auth=" not in out
    assert "python -m arena signin-link" in out
    assert "auth=" not in served.stderr.read_text()


def test_sigterm_stops_everything_with_exit_0(served: Served) -> None:
    wait_until("the web", lambda: health(served), served)
    served.proc.send_signal(signal.SIGTERM)
    assert served.proc.wait(timeout=30) == 0, served.stderr.read_text()[-4000:]
    deadline = time.monotonic() + 5
    while group_alive(served.proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    err = served.stderr.read_text()
    assert not group_alive(served.proc.pid), f"a child of serve outlived it:\n{err[-4000:]}"
    assert "Traceback" not in err
    restarts = [line for line in err.splitlines() if "; restarting in" in line]
    assert all("(SIGKILL)" in line for line in restarts), f"a child was restarted while stopping: {restarts}"
