"""One run as a plain dict: what `run --json`, the REST API and Run Details show (no engine logic)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.storage.models import AgentDecision, ArenaRun, Consensus, CostTelemetry, OutcomeLink


def _money(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


@dataclass(frozen=True)
class _Rows:
    run: ArenaRun
    consensus: Consensus | None
    decisions: list[AgentDecision]
    links: list[OutcomeLink]


def _load(session: Session, run_id: str) -> _Rows | None:
    """The rows both views are built from, read once."""
    run = session.get(ArenaRun, run_id)
    if run is None:
        return None
    consensus = session.scalar(select(Consensus).where(Consensus.run_id == run_id))
    decisions = session.scalars(
        select(AgentDecision).where(AgentDecision.run_id == run_id).order_by(AgentDecision.created_at, AgentDecision.id)
    ).all()
    links: list[OutcomeLink] = []
    if consensus is not None:
        links = list(session.scalars(select(OutcomeLink).where(OutcomeLink.decision_id == consensus.decision_id)))
    return _Rows(run, consensus, list(decisions), links)


def run_summary(*, session: Session, run_id: str) -> dict[str, Any] | None:
    """The DESIGN §2 `run --json` object, or None for an unknown run id."""
    rows = _load(session, run_id)
    return _summary(rows) if rows is not None else None


def _summary(rows: _Rows) -> dict[str, Any]:
    run, consensus, decisions = rows.run, rows.consensus, rows.decisions
    link = rows.links[0] if rows.links else None
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


def run_details(*, session: Session, run_id: str) -> dict[str, Any] | None:
    """Everything about a run: the summary plus reasoning, tool calls, consensus trace, calls and links."""
    rows = _load(session, run_id)
    if rows is None:
        return None
    run, consensus, decisions, links = rows.run, rows.consensus, rows.decisions, rows.links
    summary = _summary(rows)
    summary.update(
        {
            "cycle_id": run.cycle_id,
            "strategy_id": run.strategy_id,
            "execution_mode": run.execution_mode,
            "snapshots": {
                "market": run.market_snapshot_hash,
                "universe": run.universe_snapshot_hash,
                "portfolio": run.portfolio_snapshot_hash,
            },
            "tokens_in": run.tokens_in,
            "tokens_out": run.tokens_out,
            "created_at": run.created_at.isoformat(),
            "started_at": run.started_at.isoformat() if run.started_at else None,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
            "decisions": [
                {
                    "agent_decision_id": d.id,
                    "profile": d.profile_name,
                    "profile_version_id": d.profile_version_id,
                    "provider": d.provider,
                    "model": d.model,
                    "role": d.role,
                    "phase": d.phase,
                    "round": d.round,
                    "status": d.status,
                    "valid": d.valid,
                    "action": d.action,
                    "symbols": d.symbols,
                    "sizing": d.sizing,
                    "time_horizon": d.time_horizon,
                    "confidence": d.confidence,
                    "rationale": d.rationale,
                    "risk_flags": d.risk_flags,
                    "required_tools": d.required_tools,
                    "data_dependencies": d.data_dependencies,
                    "tool_calls": d.tool_calls,
                    "validation_errors": d.validation_errors,
                    "raw_output": d.raw_output,
                    "prompt_hash": d.prompt_hash,
                    "cost_usd": _money(d.cost_usd),
                    "tokens_in": d.tokens_in,
                    "tokens_out": d.tokens_out,
                    "latency_ms": d.latency_ms,
                }
                for d in decisions
            ],
            "consensus": None
            if consensus is None
            else {
                "decision_id": consensus.decision_id,
                "final_action": consensus.final_action,
                "outcome": consensus.outcome,
                "symbol": consensus.symbol,
                "sizing": consensus.sizing,
                "confidence": consensus.confidence,
                "rule": consensus.rule,
                "no_trade_reason": consensus.no_trade_reason,
                "trace": consensus.trace,
                "guardrail_checks": consensus.guardrail_checks,
            },
            "llm_calls_detail": run_calls(session=session, run_id=run_id),
            "outcome_links": [
                {
                    "decision_id": link.decision_id,
                    "trace_id": link.trace_id,
                    "order_intent_id": link.order_intent_id,
                    "client_order_id": link.client_order_id,
                    "broker_order_id": link.broker_order_id,
                    "order_status": link.order_status,
                    "final": link.final,
                    "fill_ids": link.fill_ids,
                    "position_snapshot_ids": link.position_snapshot_ids,
                }
                for link in links
            ],
        }
    )
    return summary
