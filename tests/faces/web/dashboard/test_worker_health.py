"""The worker banner: up on a fresh beat, down when stale, down at once after a clean stop."""

from __future__ import annotations

from datetime import timedelta

from arena.bootstrap.database import Database
from arena.faces.web.widgets.worker import worker_health
from arena.storage.repositories.worker import db_now, record_heartbeat


def beat(db: Database, role: str) -> None:
    with db.sessions() as s, s.begin():
        record_heartbeat(session=s, worker_id="w1", hostname="host", pid=1, role=role, detail=None)


def test_fresh_stale_and_stopped(sqlite_database: Database) -> None:
    db = sqlite_database
    with db.sessions() as s:
        assert not worker_health(session=s).up  # never reported
    beat(db, "active")
    with db.sessions() as s:
        now = db_now(session=s)
        assert worker_health(session=s, now=now).up
        assert not worker_health(session=s, now=now + timedelta(seconds=61)).up
    beat(db, "stopped")
    with db.sessions() as s:
        health = worker_health(session=s, now=db_now(session=s))
        assert not health.up and "stopped cleanly" in health.summary
