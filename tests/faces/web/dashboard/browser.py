"""Debian chromium driven by the playwright package (never `playwright install`), and the real serve process."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from arena.bootstrap.database import Database
from arena.engine.config.settings import PROJECT_ROOT
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.support.llm_server import LOOPBACK_API_BASES

STARTUP_TIMEOUT_S = 60
WORKER_START_S = 90  # a worker imports litellm and alpaca-py before its first heartbeat
ARTIFACTS = PROJECT_ROOT / "test-artifacts" / "dashboard"  # git-ignored
ADMIN_TOKEN = "dashboard-test-admin-token"  # the served process's ARENA_ADMIN_TOKEN


def require_chromium() -> str:
    """The chromium path, or a clear failure (a missing browser is a broken test machine, not a skip)."""
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        raise AssertionError(
            f"Debian chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "(never `playwright install`)"
        )
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def serve(
    database_url: str, workdir: Path, env_extra: dict[str, str] | None = None, *, worker: bool = False
) -> Iterator[str]:
    """`python -m arena serve --no-worker` (or with its worker) as a real process; yields the dashboard base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ARENA_", "ALPACA_", "OPENAI_", "OPENROUTER_"))}
    env.update(
        DATABASE_URL=database_url,
        ARENA_HOST="127.0.0.1",
        ARENA_PORT=str(port),
        PYTHONPATH=str(PROJECT_ROOT),
        ARENA_ADMIN_TOKEN=ADMIN_TOKEN,
        **(env_extra or {}),
    )
    base = f"http://127.0.0.1:{port}/admin/arena"
    log = (workdir / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "arena", "serve", *([] if worker else ["--no-worker"])],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"serve exited with {proc.returncode}: {(workdir / 'serve.log').read_text()}")
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"serve did not answer within {STARTUP_TIMEOUT_S} s")
            time.sleep(0.3)
        yield base
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        log.close()


@contextmanager
def browser_page(width: int = 1400, height: int = 1000) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    executable = require_chromium()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            yield context.new_page()
        finally:
            browser.close()


def settle(page: Any, *, timeout_ms: int = 30_000) -> None:
    """Wait until Streamlit has finished the current run (its status widget goes away)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    page.wait_for_timeout(300)
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=timeout_ms)
    page.wait_for_timeout(300)


class Site:
    def __init__(self, base: str, page: Any, db: Database, runs: list[dict[str, Any]]) -> None:
        self.base, self.page, self.db, self.runs = base, page, db, runs

    def open(self, path: str) -> Any:
        self.page.goto(signed(self.base, path))
        settle(self.page)
        return self.page

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def signed(base: str, path: str) -> str:
    """A page URL carrying a fresh AdminHub-style sign-in token (`?auth=`, see arena.access), as every full page
    load starts a new dashboard session."""
    from arena.engine.access import mint_token

    joiner = "&" if "?" in path else "?"
    return f"{base}/{path}{joiner}auth={mint_token(ADMIN_TOKEN)}"


def live_env(llm_base_url: str, broker_url: str) -> dict[str, str]:
    """Environment for `serve` with its worker: keys set, market data and orders to the loopback Alpaca server."""
    return {
        "OPENAI_API_KEY": "sk-test-openai-key-123",
        "OPENROUTER_API_KEY": "sk-or-test-key-456",
        "ALPACA_API_KEY": "test-key-id",
        "ALPACA_SECRET_KEY": "test-secret",
        "ALPACA_DATA_URL": broker_url,
        "ALPACA_TRADING_URL": broker_url,
        "ARENA_EXECUTION": "on",
        "ARENA_ALLOWED_API_BASES": LOOPBACK_API_BASES,
        "ARENA_HTTP_TIMEOUT_S": "5",
        "ARENA_WORKER_HEARTBEAT_S": "0.5",
        "ARENA_WORKER_LEASE_TTL_S": "3",
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    }
