"""Read-only queries the dashboard and API use; pages never write SQL themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.storage.models import AgentProfile, ArenaRun, Strategy, WorkerHeartbeat


@dataclass(frozen=True)
class SetupFacts:
    """What the setup checklist needs to know about the database's contents."""

    profiles: int
    enabled_profiles: int
    strategies: int
    runs: int
    last_heartbeat_at: datetime | None


def setup_facts(*, session: Session) -> SetupFacts:
    profiles = session.scalar(select(func.count()).select_from(AgentProfile)) or 0
    enabled = session.scalar(select(func.count()).select_from(AgentProfile).where(AgentProfile.enabled)) or 0
    strategies = session.scalar(select(func.count()).select_from(Strategy)) or 0
    runs = session.scalar(select(func.count()).select_from(ArenaRun)) or 0
    heartbeat = session.scalar(select(func.max(WorkerHeartbeat.heartbeat_at)))
    return SetupFacts(
        profiles=profiles,
        enabled_profiles=enabled,
        strategies=strategies,
        runs=runs,
        last_heartbeat_at=heartbeat,
    )
