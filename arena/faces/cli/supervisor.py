"""`serve`'s children (web, worker) kept alive: a child that exits on its own is logged and restarted with backoff.

Why: the web process must never go down because the worker crashed (or the other way round). A child that dies
is restarted after 1 s, 2 s, 4 s… (capped at ARENA_SERVE_RESTART_MAX_BACKOFF_S); a child that had run for
STABLE_AFTER_S before it died starts again from 1 s. SIGTERM/SIGINT stop everything (no restarts while stopping).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("arena.faces.cli.supervisor")

FIRST_BACKOFF_S = 1.0
# A child that ran this long before it died counts as having been healthy: its next restart waits 1 s again.
STABLE_AFTER_S = 60.0
POLL_S = 0.2
STOP_TIMEOUT_S = 20.0


def backoff_s(consecutive_failures: int, *, cap_s: float) -> float:
    """1 s after the first quick failure, doubling with each further one, never above `cap_s`."""
    if consecutive_failures < 1:
        raise ValueError("backoff is for a child that failed at least once")
    return min(FIRST_BACKOFF_S * 2.0 ** min(consecutive_failures - 1, 32), cap_s)


def describe_exit(returncode: int) -> str:
    """`code 1`, or `code -9 (SIGKILL)` for a child killed by a signal (Popen reports -N)."""
    if returncode < 0:
        try:
            return f"code {returncode} ({signal.Signals(-returncode).name})"
        except ValueError:
            return f"code {returncode} (signal {-returncode})"
    return f"code {returncode}"


def format_delay(seconds: float) -> str:
    return f"{seconds:g} s"


@dataclass
class Child:
    """One supervised command: its current process, when it started and how often it failed quickly in a row."""

    name: str
    cmd: Sequence[str]
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None

    def note_exit(self, *, now: float, cap_s: float) -> float:
        """Count the exit and schedule the restart; returns the delay."""
        if now - self.started_at >= STABLE_AFTER_S:
            self.failures = 0
        self.failures += 1
        delay = backoff_s(self.failures, cap_s=cap_s)
        self.restart_at = now + delay
        return delay


@dataclass
class Supervisor:
    """Starts the children, restarts the ones that exit, and stops them all on request."""

    children: list[Child]
    cwd: Path
    env: Mapping[str, str]
    max_backoff_s: float
    stopping: bool = False

    def request_stop(self, _signum: int | None = None, _frame: object = None) -> None:
        """Signal handler: no restart from now on, and every running child gets SIGTERM."""
        self.stopping = True
        for child in self.children:
            if child.proc is not None and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)

    def run(self) -> int:
        """Supervise until stopped; 0 once every child is gone."""
        try:
            for child in self.children:
                if not self.stopping:
                    self._spawn(child)
            while not self.stopping:
                self._tick(time.monotonic())
                time.sleep(POLL_S)
            return 0
        finally:
            self.request_stop()
            self._reap()

    def _tick(self, now: float) -> None:
        for child in self.children:
            proc = child.proc
            if proc is not None and proc.poll() is not None:
                delay = child.note_exit(now=now, cap_s=self.max_backoff_s)
                log.warning(
                    "%s (pid %d) exited with %s; restarting in %s",
                    child.name,
                    proc.pid,
                    describe_exit(proc.returncode),
                    format_delay(delay),
                )
                child.proc = None
            elif proc is None and child.restart_at is not None and now >= child.restart_at and not self.stopping:
                self._spawn(child)

    def _spawn(self, child: Child) -> None:
        child.proc = subprocess.Popen(list(child.cmd), cwd=self.cwd, env=dict(self.env))
        child.started_at = time.monotonic()
        child.restart_at = None
        log.info("%s started (pid %d)", child.name, child.proc.pid)

    def _reap(self) -> None:
        """Wait for every child, STOP_TIMEOUT_S in all; one that ignores SIGTERM is killed so none outlives us."""
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in self.children:
            proc = child.proc
            if proc is None:
                continue
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
            except subprocess.TimeoutExpired:
                log.warning("%s (pid %d) ignored SIGTERM for %g s; killing it", child.name, proc.pid, STOP_TIMEOUT_S)
                proc.kill()
                proc.wait()
