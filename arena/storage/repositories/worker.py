"""The scheduler lease and the worker heartbeats: guarded UPDATEs that are atomic on SQLite and PostgreSQL.

Time comes from one clock for every worker: PostgreSQL's `clock_timestamp()` on PostgreSQL (workers may run on
several hosts), the local clock on SQLite (a SQLite file is shared by processes of one host only).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import case, delete, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from arena.kernel.clock import utcnow
from arena.kernel.states import WorkerRole
from arena.storage.models import WorkerHeartbeat, WorkerLease


def db_now(*, session: Session) -> datetime:
    """The current UTC time by the database's clock (aware)."""
    if session.get_bind().dialect.name == "postgresql":
        value = session.execute(text("SELECT clock_timestamp()")).scalar_one()
        assert isinstance(value, datetime)
        return value.astimezone(UTC)
    return utcnow()


def _ensure_lease_row(session: Session, name: str) -> None:
    """Insert the lease row once; a concurrent insert of the same name is ignored, not an error."""
    values = {"name": name, "holder": None, "expires_at": None, "acquired_at": None}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(postgresql.insert(WorkerLease).values(**values).on_conflict_do_nothing())
    else:
        session.execute(sqlite.insert(WorkerLease).values(**values).on_conflict_do_nothing())


def acquire_lease(*, session: Session, name: str, holder: str, ttl_s: float) -> datetime | None:
    """Take or renew the lease; returns its new expiry, or None when another holder's lease is still valid.

    One guarded UPDATE (`WHERE holder = me OR holder IS NULL OR expires_at < now`): the database serialises two
    contenders on the row, and the second one re-checks the condition against the first one's write.
    `acquired_at` moves only when the holder changes.
    """
    _ensure_lease_row(session, name)
    now = db_now(session=session)
    expires = now + timedelta(seconds=ttl_s)
    taken = session.execute(
        update(WorkerLease)
        .where(
            WorkerLease.name == name,
            or_(WorkerLease.holder == holder, WorkerLease.holder.is_(None), WorkerLease.expires_at < now),
        )
        .values(
            holder=holder,
            expires_at=expires,
            acquired_at=case((WorkerLease.holder == holder, WorkerLease.acquired_at), else_=now),
        )
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    return expires


def release_lease(*, session: Session, name: str, holder: str) -> bool:
    """Give the lease up at once (graceful stop) so a standby need not wait for it to expire."""
    result = session.execute(
        update(WorkerLease)
        .where(WorkerLease.name == name, WorkerLease.holder == holder)
        .values(holder=None, expires_at=None)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def get_lease(*, session: Session, name: str) -> WorkerLease | None:
    return session.get(WorkerLease, name)


def holds_lease(*, session: Session, name: str, holder: str) -> bool:
    """True when `holder` has the lease and it has not expired by the database clock."""
    now = db_now(session=session)
    found = session.scalar(
        select(WorkerLease.name).where(
            WorkerLease.name == name, WorkerLease.holder == holder, WorkerLease.expires_at > now
        )
    )
    return found is not None


def record_heartbeat(
    *, session: Session, worker_id: str, hostname: str, pid: int, role: str, detail: str | None
) -> None:
    """Create or refresh this worker's row (one row per worker process, keyed by its id)."""
    now = db_now(session=session)
    row = session.get(WorkerHeartbeat, worker_id)
    if row is None:
        session.add(
            WorkerHeartbeat(
                worker_id=worker_id,
                hostname=hostname,
                pid=pid,
                role=role,
                detail=detail,
                started_at=now,
                heartbeat_at=now,
            )
        )
    else:
        row.role, row.detail = role, detail
        if role != WorkerRole.STOPPED:  # a clean stop is reported without looking alive
            row.heartbeat_at = now
    session.flush()


def list_heartbeats(*, session: Session) -> list[WorkerHeartbeat]:
    """Newest sign of life first."""
    return list(session.scalars(select(WorkerHeartbeat).order_by(WorkerHeartbeat.heartbeat_at.desc())))


def prune_heartbeats(*, session: Session, older_than: timedelta) -> int:
    """Forget workers silent for longer than `older_than` (each process start adds a row)."""
    cutoff = db_now(session=session) - older_than
    result = session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.heartbeat_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
