"""Read-only facts for the health endpoint: can the database answer, and when did a worker last beat."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from arena.kernel.states import WorkerRole
from arena.storage.models import WorkerHeartbeat


def database_answers(*, session: Session) -> bool:
    """True when a trivial query round-trips (raises the driver's error otherwise)."""
    return session.scalar(select(literal(1))) == 1


def newest_active_heartbeat_at(*, session: Session) -> datetime | None:
    """The most recent heartbeat written by a worker holding the lease (role `active`), or None."""
    return session.scalar(
        select(func.max(WorkerHeartbeat.heartbeat_at)).where(WorkerHeartbeat.role == WorkerRole.ACTIVE)
    )


def newest_heartbeat_at(*, session: Session) -> datetime | None:
    """The most recent heartbeat of any worker, or None when no worker ever ran."""
    return session.scalar(select(func.max(WorkerHeartbeat.heartbeat_at)))
