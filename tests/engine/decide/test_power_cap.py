"""The daily powerful-call cap holds under racing claims (threads with their own connections, and processes)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from arena.bootstrap.database import Database
from arena.storage.repositories.budget import claim_power_call, power_calls_used

ROOT = Path(__file__).resolve().parents[3]


def race(db: Database, *, workers: int, tries: int, cap: int, day: str) -> list[bool]:
    results: list[bool] = []
    lock = threading.Lock()
    barrier = threading.Barrier(workers)

    def worker() -> None:
        barrier.wait()
        for _ in range(tries):
            with db.sessions() as s, s.begin():
                granted = claim_power_call(session=s, day=day, cap=cap)
            with lock:
                results.append(granted)

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_cap_is_exact_under_concurrency(database: Database) -> None:
    results = race(database, workers=8, tries=6, cap=25, day="2026-11-25")
    assert len(results) == 48
    assert results.count(True) == 25
    with database.sessions() as s:
        assert power_calls_used(session=s, day="2026-11-25") == 25
        assert power_calls_used(session=s, day="2026-11-26") == 0


@pytest.mark.postgres
def test_cap_holds_across_processes_on_postgres(pg_db_url: str) -> None:
    code = (
        "import sys\n"
        "from arena.storage.session import make_engine, session_factory\n"
        "from arena.storage.repositories.budget import claim_power_call\n"
        "sessions = session_factory(make_engine(sys.argv[1]))\n"
        "n = 0\n"
        "for _ in range(10):\n"
        "    with sessions() as s, s.begin():\n"
        "        n += claim_power_call(session=s, day='2026-11-25', cap=25)\n"
        "print(n)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, pg_db_url], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    granted = [int(p.communicate(timeout=60)[0].strip()) for p in procs]
    assert sum(granted) == 25
