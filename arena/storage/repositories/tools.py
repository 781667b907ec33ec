"""Tool calls: written with their run's decisions, each tied to the telemetry row of the LLM call that asked."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.kernel.states import CallStatus
from arena.storage.models import CostTelemetry, ToolCall


def add_tool_calls(*, session: Session, rows: list[tuple[ToolCall, str | None]]) -> None:
    """Insert the rows; `(row, llm_call_key)` pairs link each to the successful attempt of the call that asked."""
    keys = {key for _, key in rows if key}
    by_key: dict[str, int] = {}
    if keys:
        found = session.execute(
            select(CostTelemetry.call_key, CostTelemetry.id).where(
                CostTelemetry.call_key.in_(keys), CostTelemetry.status == CallStatus.OK
            )
        )
        by_key = {key: row_id for key, row_id in found if key is not None}
    for row, key in rows:
        row.llm_call_id = by_key.get(key) if key else None
        session.add(row)
    session.flush()


def tool_calls_for_run(*, session: Session, run_id: str) -> list[ToolCall]:
    """Every tool call of a run, per decision in the order they were made."""
    return list(
        session.scalars(
            select(ToolCall).where(ToolCall.run_id == run_id).order_by(ToolCall.agent_decision_id, ToolCall.seq)
        )
    )
