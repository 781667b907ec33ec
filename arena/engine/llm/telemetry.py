"""Persist every LLMCallResult as one ai_cost_telemetry row, in its own short transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.llm.types import LLMCallResult
from arena.storage.models import CostTelemetry
from arena.storage.session import transaction


class DatabaseTelemetrySink:
    """The gateway's sink: a separate transaction per call, so a later rollback of the run keeps the cost."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def __call__(self, result: LLMCallResult) -> None:
        with transaction(self._sessions) as session:
            session.add(to_row(result))


def to_row(result: LLMCallResult) -> CostTelemetry:
    """Map a result onto the table; failed calls keep their error and whatever tokens were known."""
    call = result.call
    return CostTelemetry(
        trace_id=call.trace_id,
        run_id=call.run_id,
        cycle_id=call.cycle_id,
        agent_decision_id=call.agent_decision_id,
        profile_version_id=call.profile_version_id,
        purpose=call.purpose,
        provider=call.provider,
        model=call.model,
        prompt_hash=result.prompt_hash,
        input_hash=call.input_hash,
        messages=[dict(m) for m in (result.sent_messages or call.messages)],
        response_text=result.content,
        tokens_in=result.tokens_in,
        tokens_out=result.tokens_out,
        cost_usd=result.cost_usd,
        cost_source=result.cost_source,
        latency_ms=result.latency_ms,
        attempts=result.attempts,
        status=result.status,
        error_class=result.error_class,
        error_message=result.error_message,
        finish_reason=result.finish_reason,
        output_mode=result.output_mode,
        note=result.extra.get("note"),
        call_key=call.call_key,
    )
