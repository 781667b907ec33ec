"""Runs, per-agent decisions, consensus and the snapshots they were made from."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from arena.kernel.clock import utcnow
from arena.kernel.ids import new_id
from arena.kernel.kinds import Action, DecidedBy, ExecutionMode, FinalAction, Phase, RunMode, SnapshotKind, Trigger
from arena.kernel.states import AgentStatus, ExecutionOutcome, RunStatus
from arena.storage.models.base import Base, check_in
from arena.storage.types import UTCDateTime

RUN_ERROR_MAX_CHARS = 500  # what a failed or abandoned run keeps of its reason (`ai_arena_runs.error`)


class Snapshot(Base):
    """Canonical JSON of a market, universe or portfolio snapshot, stored once per sha256."""

    __tablename__ = "ai_snapshots"
    __table_args__ = (CheckConstraint(check_in("kind", SnapshotKind), name="kind"),)

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ArenaRun(Base):
    """One evaluation event: a manual/api request or a scheduled cycle of a strategy."""

    __tablename__ = "ai_arena_runs"
    __table_args__ = (
        CheckConstraint(check_in("status", RunStatus), name="status"),
        CheckConstraint(check_in("trigger", Trigger), name="trigger"),
        CheckConstraint(check_in("mode", RunMode), name="mode"),
        CheckConstraint(f"final_action IS NULL OR {check_in('final_action', FinalAction)}", name="final_action"),
        Index("ix_runs_created_id", "created_at", "id"),
        Index("ix_runs_status", "status"),
        Index("ix_runs_strategy_created", "strategy_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    trace_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_id)
    cycle_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED)
    trigger: Mapped[str] = mapped_column(String(16))
    strategy_id: Mapped[int | None] = mapped_column(ForeignKey("ai_strategies.id"), nullable=True)
    mode: Mapped[str] = mapped_column(String(16), default=RunMode.COMPETITION)
    symbols: Mapped[list[str]] = mapped_column(JSON)
    requested_agents: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    requested_debaters: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # debate mode only
    market_snapshot_hash: Mapped[str | None] = mapped_column(ForeignKey("ai_snapshots.hash"), nullable=True)
    universe_snapshot_hash: Mapped[str | None] = mapped_column(ForeignKey("ai_snapshots.hash"), nullable=True)
    portfolio_snapshot_hash: Mapped[str | None] = mapped_column(ForeignKey("ai_snapshots.hash"), nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    final_action: Mapped[str | None] = mapped_column(String(16), nullable=True)
    execution_mode: Mapped[str] = mapped_column(String(8), default=ExecutionMode.ON)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 6), nullable=True)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    llm_calls: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    worker_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # an operator asked to stop the running run; its executor ends it `abandoned` with who asked (engine/runs/cancel.py)
    cancel_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cancel_requested_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class AgentDecision(Base):
    """What one agent answered in one phase of a run (valid, repaired, abstained, timed out…)."""

    __tablename__ = "ai_arena_agent_decisions"
    __table_args__ = (
        CheckConstraint(f"action IS NULL OR {check_in('action', Action)}", name="action"),
        CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="confidence"),
        CheckConstraint(check_in("phase", Phase), name="phase"),
        CheckConstraint(check_in("status", AgentStatus), name="status"),
        Index("ix_decisions_run", "run_id"),
        Index("ix_decisions_profile_created", "profile_version_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("ai_arena_runs.id", ondelete="CASCADE"))
    profile_version_id: Mapped[int] = mapped_column(ForeignKey("ai_agent_profile_versions.id"))
    profile_name: Mapped[str] = mapped_column(String(64))
    provider: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    phase: Mapped[str] = mapped_column(String(16))
    round: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))
    valid: Mapped[bool] = mapped_column(Boolean)
    action: Mapped[str | None] = mapped_column(String(8), nullable=True)
    symbols: Mapped[list[str]] = mapped_column(JSON, default=list)
    sizing: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    time_horizon: Mapped[str | None] = mapped_column(String(32), nullable=True)
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    risk_flags: Mapped[list[str]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    required_tools: Mapped[list[str]] = mapped_column(JSON, default=list)
    data_dependencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    prompt_template_id: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the template it was asked with
    prompt_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tools_note: Mapped[str | None] = mapped_column(Text, nullable=True)  # why no tools although the policy allows
    validation_errors: Mapped[list[str]] = mapped_column(JSON, default=list)
    raw_output: Mapped[str | None] = mapped_column(Text, nullable=True)
    prompt_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 6), nullable=True)
    tokens_in: Mapped[int] = mapped_column(Integer, default=0)
    tokens_out: Mapped[int] = mapped_column(Integer, default=0)
    latency_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Consensus(Base):
    """The run's final decision with its stable decision_id and the full computation trace."""

    __tablename__ = "ai_arena_consensus"
    __table_args__ = (
        CheckConstraint(check_in("final_action", FinalAction), name="final_action"),
        CheckConstraint("confidence IS NULL OR (confidence >= 0 AND confidence <= 1)", name="confidence"),
        CheckConstraint(check_in("outcome", ExecutionOutcome), name="outcome"),
        CheckConstraint(f"decided_by IS NULL OR {check_in('decided_by', DecidedBy)}", name="decided_by"),
        Index("ix_consensus_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("ai_arena_runs.id", ondelete="CASCADE"), unique=True)
    decision_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_id)
    trace_id: Mapped[str] = mapped_column(String(32))
    final_action: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    symbol: Mapped[str | None] = mapped_column(String(16), nullable=True)
    sizing: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    rule: Mapped[str] = mapped_column(String(64))
    no_trade_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(24), nullable=True)  # None on runs before 0003
    trace: Mapped[dict[str, Any]] = mapped_column(JSON)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    escalation_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    guardrail_checks: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
