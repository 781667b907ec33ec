"""`python -m arena serve --no-worker` as a real process: it migrates, serves the dashboard, and stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from arena.engine.config.settings import PROJECT_ROOT
from arena.storage import migrate
from arena.storage.session import make_engine

pytestmark = pytest.mark.slow

STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""


def children_of(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue  # the process ended while we looked
        if fields.get("PPid", "").strip() == str(pid):
            found.append(int(status.parent.name))
    return found


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_starts_serves_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    db_file = tmp_path / "state" / "arena.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_") and k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{db_file}",
        ARENA_HOST="127.0.0.1",
        ARENA_PORT=str(port),
        ARENA_ADMIN_TOKEN_FILE=str(tmp_path / "admin_token"),
        PYTHONPATH=str(PROJECT_ROOT),
    )
    base = f"http://127.0.0.1:{port}/admin/arena"
    stdout, stderr = tmp_path / "serve.out", tmp_path / "serve.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        # Its own session, so the whole tree can be checked (and, if the test fails, cleaned up) as one group.
        proc = subprocess.Popen(
            [sys.executable, "-m", "arena", "serve", "--no-worker"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        health = (0, "")
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"serve exited early: {stderr.read_text()}"
            try:
                health = http_get(f"{base}/_stcore/health")
            except OSError:
                health = (0, "")
            if health == (200, "ok"):
                break
            time.sleep(0.3)
        assert health == (200, "ok"), stderr.read_text()

        status, body = http_get(f"{base}/")
        assert status == 200
        assert "<html" in body.lower()
        assert http_get(f"{base}/leaderboard")[0] == 200

        assert db_file.is_file()
        engine = make_engine(f"sqlite:///{db_file}")
        try:
            assert migrate.current_revision(engine) == migrate.head_revision()
        finally:
            engine.dispose()

        web = children_of(proc.pid)
        assert len(web) == 1, "--no-worker must start the web process only"

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert "Traceback" not in stderr.read_text()
        deadline = time.monotonic() + 5
        while group_alive(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not group_alive(proc.pid), "a child of serve outlived it"
        assert "/admin/arena/" in stdout.read_text()
    finally:
        if group_alive(proc.pid):
            os.killpg(proc.pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
