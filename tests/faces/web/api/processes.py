"""Real processes for API tests: `python -m arena serve --no-worker`, nginx, and a stand-in AdminHub host."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from arena.engine.config.settings import PROJECT_ROOT

STARTUP_TIMEOUT_S = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http(
    url: str, *, method: str = "GET", token: str | None = None, body: Any = None, headers: Mapping[str, str] = {}
) -> tuple[int, dict[str, str], str]:
    """(status, headers, text) without raising on 4xx/5xx."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers=dict(headers))
    if data is not None:
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, _lower(response.headers), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, _lower(exc.headers), exc.read().decode("utf-8", "replace")


def wait_for(url: str, proc: subprocess.Popen[bytes], log: Path, expect: int = 200) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"process exited early ({proc.returncode}):\n{log.read_text()[-3000:]}"
        try:
            if http(url)[0] == expect:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} did not answer {expect} within {STARTUP_TIMEOUT_S}s:\n{log.read_text()[-3000:]}")


@contextmanager
def running(cmd: list[str], *, cwd: Path, env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child in its own process group, stopped (SIGTERM, then SIGKILL) with all its children afterwards."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # anything the child left behind in its group


@contextmanager
def arena_server(tmp_path: Path, **env_values: str) -> Iterator[str]:
    """`python -m arena serve --no-worker` on a free port over a fresh SQLite file; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "OPENAI_", "OPENROUTER_", "ALPACA_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'arena.db'}",
        ARENA_HOST="127.0.0.1",
        ARENA_PORT=str(port),
        PYTHONPATH=str(PROJECT_ROOT),
        ARENA_ADMIN_TOKEN_FILE=str(tmp_path / "admin_token"),
    )
    env.update(env_values)
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with running([sys.executable, "-m", "arena", "serve", "--no-worker"], cwd=tmp_path, env=env, log=log) as proc:
        wait_for(f"{base}/admin/arena/_stcore/health", proc, log)
        yield base
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


def _lower(headers: Any) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}
