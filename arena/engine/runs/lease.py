"""Exactly one active worker: the `scheduler` lease row, taken and renewed with a guarded UPDATE, plus heartbeats.

The active worker renews its lease every few seconds; a standby tries to take it on the same beat and succeeds
only once the holder let it expire (died, hung, lost the database) or released it (graceful stop). Who holds the
lease runs the schedules and claims queued runs; everybody else waits.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from arena.kernel.ids import WorkerId
from arena.kernel.states import WorkerRole
from arena.storage.models.operations import HOSTNAME_LENGTH, WORKER_ID_LENGTH
from arena.storage.repositories import worker as repo

LEASE_NAME = "scheduler"
WORKER_PREFIX = "worker:"  # every worker id starts with it; runs of `python -m arena run` carry "cli"
HOST_IN_WORKER_ID = 30  # leaves room for the prefix, a pid and the random suffix within WORKER_ID_LENGTH


def new_worker_id() -> WorkerId:
    """`worker:<host>:<pid>:<random>` (≤ WORKER_ID_LENGTH chars): unique per process, readable in the dashboard."""
    host = socket.gethostname().split(".")[0][:HOST_IN_WORKER_ID] or "host"
    worker_id = f"{WORKER_PREFIX}{host}:{os.getpid()}:{secrets.token_hex(3)}"
    assert len(worker_id) <= WORKER_ID_LENGTH
    return WorkerId(worker_id)


def try_acquire(
    *, sessions: sessionmaker[Session], worker_id: str, ttl_s: float, name: str = LEASE_NAME
) -> datetime | None:
    """Take or renew the lease for `ttl_s` seconds; its expiry, or None while someone else holds it."""
    with sessions() as session, session.begin():
        return repo.acquire_lease(session=session, name=name, holder=worker_id, ttl_s=ttl_s)


def release(*, sessions: sessionmaker[Session], worker_id: str, name: str = LEASE_NAME) -> bool:
    """Hand the lease back now (only if we still hold it)."""
    with sessions() as session, session.begin():
        return repo.release_lease(session=session, name=name, holder=worker_id)


def holds(*, sessions: sessionmaker[Session], worker_id: str, name: str = LEASE_NAME) -> bool:
    with sessions() as session:
        return repo.holds_lease(session=session, name=name, holder=worker_id)


def holder(*, sessions: sessionmaker[Session], name: str = LEASE_NAME) -> tuple[str | None, datetime | None]:
    """(holder, expires_at) as stored; a holder whose expiry has passed is no longer active."""
    with sessions() as session:
        row = repo.get_lease(session=session, name=name)
        return (row.holder, row.expires_at) if row is not None else (None, None)


def beat(*, sessions: sessionmaker[Session], worker_id: str, role: WorkerRole, detail: dict[str, Any]) -> None:
    """Write this worker's heartbeat row; `detail` (JSON) is what the dashboard shows beside the role."""
    with sessions() as session, session.begin():
        repo.record_heartbeat(
            session=session,
            worker_id=worker_id,
            hostname=socket.gethostname()[:HOSTNAME_LENGTH],
            pid=os.getpid(),
            role=role,
            detail=json.dumps(detail, sort_keys=True, default=str),
        )
