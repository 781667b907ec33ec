"""One run as read models: what `run --json`, the REST API and Run Details show (no engine logic).

The types are in run_views.py; this module reads the rows once and builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.kernel.kinds import Action, CostSource, ExecutionMode, FinalAction, Phase, Purpose, RunMode, Trigger
from arena.kernel.states import AgentStatus, CallStatus, ExecutionOutcome, OrderStatus, RunStatus
from arena.storage.models import AgentDecision, ArenaRun, Consensus, CostTelemetry, OutcomeLink
from arena.storage.read.run_views import (
    AgentRow,
    ConsensusView,
    DecisionDetail,
    LlmCallRow,
    OrderRef,
    OutcomeLinkView,
    RunDetails,
    RunSummary,
    SnapshotHashes,
)
from arena.storage.read.values import as_float, optional


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


def run_summary(*, session: Session, run_id: str) -> RunSummary | None:
    """The DESIGN §2 `run --json` object, or None for an unknown run id."""
    rows = _load(session, run_id)
    return _summary(rows) if rows is not None else None


def _agent_row(d: AgentDecision) -> AgentRow:
    return AgentRow(
        profile=d.profile_name,
        model=d.model,
        role=d.role,
        phase=Phase(d.phase),
        round=d.round,
        action=optional(Action, d.action),
        confidence=d.confidence,
        valid=d.valid,
        status=AgentStatus(d.status),
        cost_usd=as_float(d.cost_usd),
        latency_ms=d.latency_ms,
    )


def _order(links: list[OutcomeLink]) -> OrderRef | None:
    link = links[0] if links else None
    if link is None or link.client_order_id is None:
        return None
    return OrderRef(
        client_order_id=link.client_order_id,
        broker_order_id=link.broker_order_id,
        status=optional(OrderStatus, link.order_status),
    )


def _summary(rows: _Rows) -> RunSummary:
    run, consensus = rows.run, rows.consensus
    return RunSummary(
        run_id=run.id,
        trace_id=run.trace_id,
        status=RunStatus(run.status),
        mode=RunMode(run.mode),
        trigger=Trigger(run.trigger),
        symbols=run.symbols,
        escalated=run.escalated,
        escalation_reasons=run.escalation_reasons,
        final_action=optional(FinalAction, run.final_action),
        decision_id=consensus.decision_id if consensus else None,
        no_trade_reason=consensus.no_trade_reason if consensus else None,
        error=run.error,
        agents=[_agent_row(d) for d in rows.decisions],
        cost_usd=as_float(run.cost_usd),
        llm_calls=run.llm_calls,
        latency_ms=run.latency_ms,
        order=_order(rows.links),
        guardrails=consensus.guardrail_checks if consensus else [],
    )


def run_calls(*, session: Session, run_id: str) -> list[LlmCallRow]:
    """Every LLM call of a run, oldest first, failed calls included."""
    rows = session.scalars(
        select(CostTelemetry).where(CostTelemetry.run_id == run_id).order_by(CostTelemetry.created_at, CostTelemetry.id)
    ).all()
    return [
        LlmCallRow(
            id=r.id,
            purpose=Purpose(r.purpose),
            provider=r.provider,
            model=r.model,
            status=CallStatus(r.status),
            tokens_in=r.tokens_in,
            tokens_out=r.tokens_out,
            cost_usd=as_float(r.cost_usd),
            cost_source=CostSource(r.cost_source),
            latency_ms=r.latency_ms,
            attempts=r.attempts,
            error_class=r.error_class,
            finish_reason=r.finish_reason,
            prompt_hash=r.prompt_hash,
            input_hash=r.input_hash,
            agent_decision_id=r.agent_decision_id,
            created_at=r.created_at,
        )
        for r in rows
    ]


def _decision_detail(d: AgentDecision) -> DecisionDetail:
    return DecisionDetail(
        agent_decision_id=d.id,
        profile=d.profile_name,
        profile_version_id=d.profile_version_id,
        provider=d.provider,
        model=d.model,
        role=d.role,
        phase=Phase(d.phase),
        round=d.round,
        status=AgentStatus(d.status),
        valid=d.valid,
        action=optional(Action, d.action),
        symbols=d.symbols,
        sizing=d.sizing,
        time_horizon=d.time_horizon,
        confidence=d.confidence,
        rationale=d.rationale,
        risk_flags=d.risk_flags,
        required_tools=d.required_tools,
        data_dependencies=d.data_dependencies,
        tool_calls=d.tool_calls,
        validation_errors=d.validation_errors,
        raw_output=d.raw_output,
        prompt_hash=d.prompt_hash,
        cost_usd=as_float(d.cost_usd),
        tokens_in=d.tokens_in,
        tokens_out=d.tokens_out,
        latency_ms=d.latency_ms,
    )


def _consensus(c: Consensus | None) -> ConsensusView | None:
    if c is None:
        return None
    return ConsensusView(
        decision_id=c.decision_id,
        final_action=FinalAction(c.final_action),
        outcome=ExecutionOutcome(c.outcome),
        symbol=c.symbol,
        sizing=c.sizing,
        confidence=c.confidence,
        rule=c.rule,
        no_trade_reason=c.no_trade_reason,
        trace=c.trace,
        guardrail_checks=c.guardrail_checks,
    )


def _link(link: OutcomeLink) -> OutcomeLinkView:
    return OutcomeLinkView(
        decision_id=link.decision_id,
        trace_id=link.trace_id,
        order_intent_id=link.order_intent_id,
        client_order_id=link.client_order_id,
        broker_order_id=link.broker_order_id,
        order_status=optional(OrderStatus, link.order_status),
        final=link.final,
        fill_ids=link.fill_ids,
        position_snapshot_ids=link.position_snapshot_ids,
    )


def run_details(*, session: Session, run_id: str) -> RunDetails | None:
    """Everything about a run: the summary plus reasoning, tool calls, consensus trace, calls and links."""
    rows = _load(session, run_id)
    if rows is None:
        return None
    run, summary = rows.run, _summary(rows)
    inherited = {f.name: getattr(summary, f.name) for f in fields(RunSummary)}
    return RunDetails(
        **inherited,
        cycle_id=run.cycle_id,
        strategy_id=run.strategy_id,
        execution_mode=ExecutionMode(run.execution_mode),
        snapshots=SnapshotHashes(
            market=run.market_snapshot_hash,
            universe=run.universe_snapshot_hash,
            portfolio=run.portfolio_snapshot_hash,
        ),
        tokens_in=run.tokens_in,
        tokens_out=run.tokens_out,
        created_at=run.created_at,
        started_at=run.started_at,
        finished_at=run.finished_at,
        decisions=[_decision_detail(d) for d in rows.decisions],
        consensus=_consensus(rows.consensus),
        llm_calls_detail=run_calls(session=session, run_id=run_id),
        outcome_links=[_link(link) for link in rows.links],
    )
