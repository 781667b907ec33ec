"""One run as a plain dict: what `run --json`, the REST API and Run Details show (no engine logic)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AgentDecision, ArenaRun, Consensus, CostTelemetry, OutcomeLink


def _money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def run_summary(*, session: Session, run_id: str) -> dict[str, Any] | None:
    """The DESIGN §2 `run --json` object, or None for an unknown run id."""
    run = session.get(ArenaRun, run_id)
    if run is None:
        return None
    consensus = session.scalar(select(Consensus).where(Consensus.run_id == run_id))
    decisions = session.scalars(
        select(AgentDecision).where(AgentDecision.run_id == run_id).order_by(AgentDecision.created_at, AgentDecision.id)
    ).all()
    link = None
    if consensus is not None:
        link = session.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == consensus.decision_id))
    return {
        "run_id": run.id,
        "trace_id": run.trace_id,
        "status": run.status,
        "mode": run.mode,
        "trigger": run.trigger,
        "symbols": run.symbols,
        "escalated": run.escalated,
        "escalation_reasons": run.escalation_reasons,
        "final_action": run.final_action,
        "decision_id": consensus.decision_id if consensus else None,
        "no_trade_reason": consensus.no_trade_reason if consensus else None,
        "error": run.error,
        "agents": [
            {
                "profile": d.profile_name,
                "model": d.model,
                "role": d.role,
                "phase": d.phase,
                "round": d.round,
                "action": d.action,
                "confidence": d.confidence,
                "valid": d.valid,
                "status": d.status,
                "cost_usd": _money(d.cost_usd),
                "latency_ms": d.latency_ms,
            }
            for d in decisions
        ],
        "cost_usd": _money(run.cost_usd),
        "llm_calls": run.llm_calls,
        "latency_ms": run.latency_ms,
        "order": (
            {
                "client_order_id": link.client_order_id,
                "broker_order_id": link.broker_order_id,
                "status": link.order_status,
            }
            if link is not None and link.client_order_id is not None
            else None
        ),
        "guardrails": consensus.guardrail_checks if consensus else [],
    }


def run_calls(*, session: Session, run_id: str) -> list[dict[str, Any]]:
    """Every LLM call of a run, oldest first, failed calls included."""
    rows = session.scalars(
        select(CostTelemetry).where(CostTelemetry.run_id == run_id).order_by(CostTelemetry.created_at, CostTelemetry.id)
    ).all()
    return [
        {
            "id": r.id,
            "purpose": r.purpose,
            "provider": r.provider,
            "model": r.model,
            "status": r.status,
            "tokens_in": r.tokens_in,
            "tokens_out": r.tokens_out,
            "cost_usd": _money(r.cost_usd),
            "cost_source": r.cost_source,
            "latency_ms": r.latency_ms,
            "attempts": r.attempts,
            "error_class": r.error_class,
            "finish_reason": r.finish_reason,
            "prompt_hash": r.prompt_hash,
            "input_hash": r.input_hash,
            "agent_decision_id": r.agent_decision_id,
            "created_at": r.created_at.isoformat(),
        }
        for r in rows
    ]
