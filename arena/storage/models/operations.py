"""What the worker runs from: the run queue, strategies, guardrail settings (audited), lease and heartbeat."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arena.kernel.clock import utcnow
from arena.kernel.kinds import RunMode, ScheduleKind
from arena.kernel.states import RequestState
from arena.storage.models.base import Base, check_in
from arena.storage.types import UTCDateTime

REQUESTED_BY_LENGTH = 64  # ai_run_requests.requested_by
WORKER_ID_LENGTH = 64  # ai_worker_heartbeats.worker_id, ai_run_requests.claimed_by, ai_worker_lease.holder
HOSTNAME_LENGTH = 128  # ai_worker_heartbeats.hostname


class RunRequest(Base):
    """A queued run: created by the UI/API/CLI with its run row, claimed atomically by the active worker."""

    __tablename__ = "ai_run_requests"
    __table_args__ = (
        CheckConstraint(check_in("state", RequestState), name="state"),
        Index("ix_run_requests_state_created", "state", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("ai_arena_runs.id", ondelete="CASCADE"), unique=True)
    state: Mapped[str] = mapped_column(String(16), default=RequestState.QUEUED)
    requested_by: Mapped[str] = mapped_column(String(REQUESTED_BY_LENGTH), default="operator")
    claimed_by: Mapped[str | None] = mapped_column(String(WORKER_ID_LENGTH), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Strategy(Base):
    """A scheduled arena cycle over a universe; edited in the dashboard, picked up by the worker."""

    __tablename__ = "ai_strategies"
    __table_args__ = (
        CheckConstraint(check_in("mode", RunMode), name="mode"),
        CheckConstraint(check_in("schedule_kind", ScheduleKind), name="schedule_kind"),
        CheckConstraint("interval_seconds IS NULL OR interval_seconds >= 10", name="interval"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    market: Mapped[str] = mapped_column(String(32), default="us_equities")
    symbols: Mapped[list[str]] = mapped_column(JSON)
    agents: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    mode: Mapped[str] = mapped_column(String(16), default=RunMode.COMPETITION)
    schedule_kind: Mapped[str] = mapped_column(String(16))
    cron: Mapped[str | None] = mapped_column(String(64), nullable=True)
    interval_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    execution_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class GuardrailSetting(Base):
    """One named guardrail/threshold value; absent keys fall back to the brief's defaults in code."""

    __tablename__ = "ai_guardrail_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SettingsAudit(Base):
    """Who changed what, when, before → after (guardrails, strategies, profiles)."""

    __tablename__ = "ai_settings_audit"
    __table_args__ = (Index("ix_settings_audit_at", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_key: Mapped[str] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class WorkerLease(Base):
    """The single active-scheduler lease; a standby takes it when `expires_at` passes."""

    __tablename__ = "ai_worker_lease"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(WORKER_ID_LENGTH), nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class WorkerHeartbeat(Base):
    """Each worker process's last sign of life, shown on the dashboard."""

    __tablename__ = "ai_worker_heartbeats"

    worker_id: Mapped[str] = mapped_column(String(WORKER_ID_LENGTH), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(HOSTNAME_LENGTH))
    pid: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
