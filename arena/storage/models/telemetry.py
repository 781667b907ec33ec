"""One row per LLM call — failed calls too — so cost and latency are never guessed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arena.kernel.clock import utcnow
from arena.kernel.kinds import CostSource, Purpose
from arena.kernel.states import CallStatus
from arena.storage.models.base import Base, check_in
from arena.storage.types import UTCDateTime


class CostTelemetry(Base):
    __tablename__ = "ai_cost_telemetry"
    __table_args__ = (
        CheckConstraint(check_in("purpose", Purpose), name="purpose"),
        CheckConstraint(check_in("status", CallStatus), name="status"),
        CheckConstraint(check_in("cost_source", CostSource), name="cost_source"),
        Index("ix_telemetry_run", "run_id"),
        Index("ix_telemetry_created", "created_at"),
        Index("ix_telemetry_trace", "trace_id"),
        Index("ix_telemetry_call_key", "call_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    trace_id: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[str | None] = mapped_column(ForeignKey("ai_arena_runs.id", ondelete="CASCADE"), nullable=True)
    cycle_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    agent_decision_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    profile_version_id: Mapped[int | None] = mapped_column(ForeignKey("ai_agent_profile_versions.id"), nullable=True)
    purpose: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(128))
    prompt_hash: Mapped[str] = mapped_column(String(64))
    input_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    messages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    response_text: Mapped[str | None] = mapped_column(Text, nullable=True)
    tokens_in: Mapped[int | None] = mapped_column(Integer, nullable=True)
    tokens_out: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cost_usd: Mapped[Decimal | None] = mapped_column(Numeric(14, 8), nullable=True)
    cost_source: Mapped[str] = mapped_column(String(16), default=CostSource.UNKNOWN)
    latency_ms: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16))
    error_class: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_message: Mapped[str | None] = mapped_column(Text, nullable=True)
    finish_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    output_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)  # how structured output was asked
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # e.g. a mode stepped down after a rejection
    call_key: Mapped[str | None] = mapped_column(String(32), nullable=True)  # one logical call's attempts share it
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PowerCallBudget(Base):
    """Powerful-model calls used per UTC day; incremented with a guarded UPDATE so racing runs cannot overshoot."""

    __tablename__ = "ai_power_call_budget"
    __table_args__ = (CheckConstraint("used >= 0", name="used"),)

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    used: Mapped[int] = mapped_column(Integer, default=0)


class SpendLedger(Base):
    """LLM calls and dollars claimed per UTC day and scope (`global`, `profile:<id>`).

    A call is claimed (count + estimated cost) with one guarded UPDATE before it is made, then settled to its real
    (or conservatively estimated) cost; racing runs can therefore never overrun a limit.
    """

    __tablename__ = "ai_spend_ledger"
    __table_args__ = (CheckConstraint("calls >= 0", name="calls"),)

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    calls: Mapped[int] = mapped_column(Integer, default=0)
    spent_usd: Mapped[Decimal] = mapped_column(Numeric(14, 8), default=Decimal(0))
