"""One run as read models: what `run --json`, the REST API and Run Details show (no engine logic).

The types are in run_views.py; this module reads the rows once and builds them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.kernel.kinds import DecidedBy
from arena.kernel.states import OrderStatus
from arena.storage.models import AgentDecision, ArenaRun, Consensus, CostTelemetry, OutcomeLink, ToolCall
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
    ToolCallView,
)
from arena.storage.read.values import optional, project
from arena.storage.repositories.tools import tool_calls_for_run


@dataclass(frozen=True)
class _Rows:
    run: ArenaRun
    consensus: Consensus | None
    decisions: list[AgentDecision]
    links: list[OutcomeLink]
    tools: dict[str, list[ToolCall]]  # per agent decision id, in call order
    messages: dict[str, list[dict[str, Any]]]  # per agent decision id: the messages of its first call


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
        links = list(
            session.scalars(
                select(OutcomeLink)
                .where(OutcomeLink.decision_id == consensus.decision_id)
                .order_by(OutcomeLink.created_at, OutcomeLink.id)
            )
        )
    tools: dict[str, list[ToolCall]] = {}
    for call in tool_calls_for_run(session=session, run_id=run_id):
        tools.setdefault(call.agent_decision_id, []).append(call)
    messages: dict[str, list[dict[str, Any]]] = {}
    first_calls = session.execute(
        select(CostTelemetry.agent_decision_id, CostTelemetry.messages)
        .where(CostTelemetry.run_id == run_id, CostTelemetry.agent_decision_id.is_not(None))
        .order_by(CostTelemetry.id)
    )
    for decision_id, sent in first_calls:
        if decision_id is not None and decision_id not in messages:
            messages[decision_id] = list(sent or [])
    return _Rows(run, consensus, list(decisions), links, tools, messages)


def run_summary(*, session: Session, run_id: str) -> RunSummary | None:
    """The DESIGN §2 `run --json` object, or None for an unknown run id."""
    rows = _load(session, run_id)
    return _summary(rows) if rows is not None else None


def _agent_row(d: AgentDecision, tools: dict[str, list[ToolCall]]) -> AgentRow:
    return project(AgentRow, d, agent_decision_id=d.id, profile=d.profile_name, tool_calls=len(tools.get(d.id, [])))


def _order(links: list[OutcomeLink]) -> OrderRef | None:
    """The order the decision led to: the first (oldest) outcome link with a client order id."""
    link = next((link for link in links if link.client_order_id is not None), None)
    if link is None:
        return None
    return OrderRef(
        client_order_id=link.client_order_id,
        broker_order_id=link.broker_order_id,
        status=optional(OrderStatus, link.order_status),
    )


def _trace(consensus: Consensus | None) -> dict[str, Any]:
    return consensus.trace if consensus is not None and isinstance(consensus.trace, dict) else {}


def _decided_by(consensus: Consensus | None) -> DecidedBy | None:
    """The column, or (runs recorded before it existed) the trace's `decided_by` when it names a known rule."""
    if consensus is None:
        return None
    value = consensus.decided_by or _trace(consensus).get("decided_by")
    return DecidedBy(value) if value in set(DecidedBy) else None


def _summary(rows: _Rows) -> RunSummary:
    run, consensus = rows.run, rows.consensus
    trace = _trace(consensus)
    return project(
        RunSummary,
        run,
        run_id=run.id,
        decision_id=consensus.decision_id if consensus else None,
        no_trade_reason=consensus.no_trade_reason if consensus else None,
        decided_by=_decided_by(consensus),
        veto=trace.get("veto"),
        quorum=trace.get("quorum"),
        judge=trace.get("judge"),
        agents=[_agent_row(d, rows.tools) for d in rows.decisions],
        order=_order(rows.links),
        guardrails=consensus.guardrail_checks if consensus else [],
    )


def run_calls(*, session: Session, run_id: str) -> list[LlmCallRow]:
    """Every LLM call of a run, oldest first, failed calls included."""
    rows = session.scalars(
        select(CostTelemetry).where(CostTelemetry.run_id == run_id).order_by(CostTelemetry.created_at, CostTelemetry.id)
    ).all()
    return [project(LlmCallRow, r) for r in rows]


def _decision_detail(d: AgentDecision, rows: _Rows) -> DecisionDetail:
    calls = [project(ToolCallView, t) for t in rows.tools.get(d.id, [])]
    return project(
        DecisionDetail,
        d,
        agent_decision_id=d.id,
        profile=d.profile_name,
        tool_calls=calls,
        messages=rows.messages.get(d.id, []),
    )


def _consensus(c: Consensus | None) -> ConsensusView | None:
    if c is None:
        return None
    return project(ConsensusView, c, decided_by=_decided_by(c))


def _link(link: OutcomeLink) -> OutcomeLinkView:
    return project(OutcomeLinkView, link)


def run_details(*, session: Session, run_id: str) -> RunDetails | None:
    """Everything about a run: the summary plus reasoning, tool calls, consensus trace, calls and links."""
    rows = _load(session, run_id)
    if rows is None:
        return None
    summary = _summary(rows)
    run = rows.run
    return project(
        RunDetails,
        run,
        **{f.name: getattr(summary, f.name) for f in fields(RunSummary)},
        snapshots=SnapshotHashes(
            market=run.market_snapshot_hash,
            universe=run.universe_snapshot_hash,
            portfolio=run.portfolio_snapshot_hash,
        ),
        decisions=[_decision_detail(d, rows) for d in rows.decisions],
        debate=list(_trace(rows.consensus).get("debate", [])),
        consensus=_consensus(rows.consensus),
        llm_calls_detail=run_calls(session=session, run_id=run_id),
        outcome_links=[_link(link) for link in rows.links],
    )
