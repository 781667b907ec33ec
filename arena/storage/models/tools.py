"""One row per tool call an agent asked for — refused and failed ones too — tied to its run, decision and LLM call."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arena.kernel.clock import utcnow
from arena.kernel.states import ToolCallStatus
from arena.storage.models.base import Base, check_in
from arena.storage.types import UTCDateTime

TOOL_PREVIEW_MAX_CHARS = 2_000  # the capped copy of a result kept in `result_preview`


class ToolCall(Base):
    __tablename__ = "ai_tool_calls"
    __table_args__ = (
        CheckConstraint(check_in("status", ToolCallStatus), name="status"),
        Index("ix_tool_calls_run", "run_id"),
        Index("ix_tool_calls_decision", "agent_decision_id", "seq"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("ai_arena_runs.id", ondelete="CASCADE"))
    agent_decision_id: Mapped[str] = mapped_column(ForeignKey("ai_arena_agent_decisions.id", ondelete="CASCADE"))
    # the ai_cost_telemetry row of the LLM call whose reply asked for this tool (None if that row is missing)
    llm_call_id: Mapped[int | None] = mapped_column(ForeignKey("ai_cost_telemetry.id"), nullable=True)
    provider_call_id: Mapped[str] = mapped_column(String(64))  # the provider's `call_…` id
    round: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)  # order within the decision
    name: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    raw_arguments: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_bytes: Mapped[int] = mapped_column(Integer)
    result_hash: Mapped[str] = mapped_column(String(64))
    result_preview: Mapped[str] = mapped_column(Text)
    latency_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
