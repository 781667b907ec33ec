"""Start and carry out arena runs: the glue between the coordinator, market data and storage."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.guardrails import GuardrailConfig, load_config
from arena.engine.config.settings import Settings
from arena.engine.decide.agents import AgentOutcome, CallIds
from arena.engine.decide.budgets import DatabaseSpendGuard, power_claimer
from arena.engine.decide.coordinator import ArenaCoordinator, CoordinatorResult
from arena.engine.decide.spend import Pricing
from arena.engine.llm.prices import PriceTable
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState, canonical_json, sha256_hex
from arena.engine.ports import Broker, Ports
from arena.engine.runs.cancel import RunCancelled, unless_cancelled
from arena.engine.runs.request import plan_run
from arena.engine.tools.toolbox import ToolBox, ToolCallRecord
from arena.kernel.clock import utcnow
from arena.kernel.errors import RunNotClaimable
from arena.kernel.kinds import ExecutionMode, FinalAction, SnapshotKind
from arena.kernel.states import ExecutionOutcome, RunStatus
from arena.storage.models import AgentDecision, ArenaRun, Consensus, ToolCall
from arena.storage.models.runs import RUN_ERROR_MAX_CHARS
from arena.storage.repositories import runs
from arena.storage.repositories import tools as tools_repo

log = logging.getLogger("arena.run")

EXECUTION_FAULT_MAX_CHARS = 300  # what the "execution" check keeps of an unexpected fault's message
# A final action's outcome before guardrails and sizing have their say (execution may then rewrite it).
_OUTCOME_BY_ACTION: dict[FinalAction, ExecutionOutcome] = {
    FinalAction.BUY: ExecutionOutcome.EXECUTABLE,
    FinalAction.SELL: ExecutionOutcome.EXECUTABLE,
    FinalAction.HOLD: ExecutionOutcome.HOLD,
    FinalAction.NO_TRADE: ExecutionOutcome.NO_TRADE,
}


@dataclass(frozen=True)
class StartedRun:
    run_id: str
    trace_id: str
    status: str


def start_run(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    symbols: list[str],
    agents: list[str] | None,
    mode: str,
    trigger: str,
    enqueue: bool,
    debaters: list[str] | None = None,
    strategy_id: int | None = None,
    cycle_id: str | None = None,
    requested_by: str = "operator",
    verify_with: Broker | None = None,
) -> StartedRun:
    """Validate (raising before anything is written) and record a queued run.

    With `verify_with` (a broker), every symbol is looked up there first, so an unknown ticker is a clear
    request error instead of a failed run. Nothing is written while the broker is asked (no lock held).
    """
    with sessions() as session:
        plan = plan_run(
            session=session, settings=settings, symbols=symbols, agents=agents, mode=mode, debaters=debaters
        )
    if verify_with is not None:
        for symbol in plan.symbols:
            verify_with.get_asset(symbol)
    # the run records names only; the profile versions are resolved again when it executes
    with sessions() as session, session.begin():
        run = runs.create_run(
            session=session,
            trigger=trigger,
            mode=plan.mode,
            symbols=plan.symbols,
            agents=plan.agent_names,
            debaters=plan.debater_names,
            strategy_id=strategy_id,
            cycle_id=cycle_id,
            execution_mode=settings.execution,
            enqueue=enqueue,
            requested_by=requested_by,
        )
        return StartedRun(run.id, run.trace_id, run.status)


@dataclass(frozen=True)
class _ClaimedRun:
    """A run just moved queued → running, with what executing it needs."""

    run_id: str
    trace_id: str
    cycle_id: str | None
    symbols: list[str]
    mode: str
    agents: list[str] | None
    debaters: list[str] | None
    config: GuardrailConfig


@dataclass(frozen=True)
class _Decided:
    snapshot: MarketSnapshot
    portfolio: PortfolioState
    result: CoordinatorResult


async def execute_run(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    ports: Ports,
    run_id: str,
    worker_id: str = "cli",
) -> str:
    """Carry a queued run to completed/failed (abandoned when cancelled while deciding); returns the final status.
    A fault is recorded, not raised."""
    ports.gateway.preload()  # litellm's import blocks for seconds: pay it before the run's and agents' clocks start
    started = time.monotonic()
    claimed = _claim(sessions, run_id, worker_id)
    try:
        decided = await unless_cancelled(
            sessions, run_id, _decide(sessions=sessions, settings=settings, ports=ports, run=claimed)
        )
    except RunCancelled as exc:  # an operator stopped it while the agents were deciding (engine/runs/cancel.py)
        log.info("run %s %s", run_id, exc.reason)
        _finish(sessions, run_id, RunStatus.ABANDONED, started, {"error": exc.reason[:RUN_ERROR_MAX_CHARS]})
        return RunStatus.ABANDONED
    except Exception as exc:  # the run is recorded as failed with the reason; nothing is left "running"
        reason = f"{exc.__class__.__name__}: {exc}"[:RUN_ERROR_MAX_CHARS]
        log.warning("run %s failed: %s", run_id, reason)
        _finish_failed(sessions, run_id, reason, started)
        return RunStatus.FAILED
    result = decided.result
    decision_id = _record_result(sessions, run_id, claimed.trace_id, result)
    if result.final.action in (FinalAction.BUY, FinalAction.SELL):
        await asyncio.to_thread(
            _execute,
            sessions=sessions,
            settings=settings,
            broker=ports.broker,
            run=claimed,
            decision_id=decision_id,
            decided=decided,
        )
    _complete(sessions, run_id, result, started)
    log.info("run %s completed: %s (escalated=%s)", run_id, result.final.action, result.escalated)
    return RunStatus.COMPLETED


def _claim(sessions: sessionmaker[Session], run_id: str, worker_id: str) -> _ClaimedRun:
    """queued → running, or RunNotClaimable when another worker claimed or finished it first."""
    with sessions() as session, session.begin():
        if not runs.move_run(
            session=session,
            run_id=run_id,
            from_status=RunStatus.QUEUED,
            to_status=RunStatus.RUNNING,
            values={"started_at": utcnow(), "worker_id": worker_id},
        ):
            raise RunNotClaimable(f"run {run_id} is not queued (already claimed or finished)")
        run = session.get(ArenaRun, run_id)
        assert run is not None
        return _ClaimedRun(
            run_id=run_id,
            trace_id=run.trace_id,
            cycle_id=run.cycle_id,
            symbols=run.symbols,
            mode=run.mode,
            agents=run.requested_agents,
            debaters=run.requested_debaters,
            config=load_config(session=session),
        )


async def _decide(*, sessions: sessionmaker[Session], settings: Settings, ports: Ports, run: _ClaimedRun) -> _Decided:
    """Plan again (profiles may have changed), read the market, store the inputs, and let the agents decide."""
    config = run.config
    with sessions() as session:
        plan = plan_run(
            session=session,
            settings=settings,
            symbols=run.symbols,
            agents=run.agents,
            mode=run.mode,
            debaters=run.debaters,
        )
    snapshot = await asyncio.to_thread(ports.market.snapshot, plan.symbols, vol_threshold_pct=config.vol_threshold_pct)
    portfolio = await asyncio.to_thread(ports.market.portfolio)
    input_hash = _store_inputs(sessions, run.run_id, snapshot, portfolio, plan.symbols)
    pricing = Pricing(PriceTable.cached(settings.price_table_path), Decimal(str(settings.llm_fallback_price_per_mtok)))
    coordinator = ArenaCoordinator(
        gateway=ports.gateway,
        config=config,
        spend=DatabaseSpendGuard(sessions, config, pricing),
        claim_power_call=power_claimer(sessions, config),
        tools=ToolBox(market=ports.market, snapshot=snapshot, universe=plan.symbols),
    )
    result = await coordinator.run(
        ids=CallIds(run.trace_id, run.run_id, run.cycle_id, input_hash),
        cheap=plan.cheap,
        power=plan.power,
        judges=plan.judges,
        snapshot=snapshot,
        portfolio=portfolio,
        universe=plan.symbols,
        mode=plan.mode,
    )
    return _Decided(snapshot=snapshot, portfolio=portfolio, result=result)


def _store_inputs(
    sessions: sessionmaker[Session],
    run_id: str,
    snapshot: MarketSnapshot,
    portfolio: PortfolioState,
    universe: list[str],
) -> str:
    market_json = canonical_json(snapshot)
    portfolio_json = canonical_json(portfolio)
    universe_json = canonical_json(sorted(universe))
    hashes: dict[str, str] = {
        kind: sha256_hex(text)
        for kind, text in (
            (SnapshotKind.MARKET, market_json),
            (SnapshotKind.PORTFOLIO, portfolio_json),
            (SnapshotKind.UNIVERSE, universe_json),
        )
    }
    with sessions() as session, session.begin():
        runs.store_snapshot(
            session=session, digest=hashes[SnapshotKind.MARKET], kind=SnapshotKind.MARKET, payload=market_json
        )
        runs.store_snapshot(
            session=session,
            digest=hashes[SnapshotKind.PORTFOLIO],
            kind=SnapshotKind.PORTFOLIO,
            payload=portfolio_json,
        )
        runs.store_snapshot(
            session=session,
            digest=hashes[SnapshotKind.UNIVERSE],
            kind=SnapshotKind.UNIVERSE,
            payload=universe_json,
        )
        run = session.get(ArenaRun, run_id)
        assert run is not None
        run.market_snapshot_hash = hashes[SnapshotKind.MARKET]
        run.portfolio_snapshot_hash = hashes[SnapshotKind.PORTFOLIO]
        run.universe_snapshot_hash = hashes[SnapshotKind.UNIVERSE]
    return sha256_hex(canonical_json(hashes))


def _decision_row(run_id: str, o: AgentOutcome) -> AgentDecision:
    d = o.decision
    cost = sum((c.cost_usd for c in o.calls if c.cost_usd is not None), Decimal(0))
    priced = any(c.cost_usd is not None for c in o.calls)
    return AgentDecision(
        id=o.decision_id,
        run_id=run_id,
        profile_version_id=o.agent.version_id,
        profile_name=o.agent.name,
        provider=o.agent.provider,
        model=o.agent.model,
        role=o.agent.role,
        phase=o.phase,
        round=o.round,
        status=o.status,
        valid=o.valid,
        action=d.action if d else None,
        symbols=d.symbols if d else [],
        sizing=d.sizing.model_dump() if d else None,
        time_horizon=d.time_horizon if d else None,
        rationale=d.rationale if d else None,
        risk_flags=d.risk_flags if d else [],
        confidence=d.confidence if d else None,
        required_tools=d.required_tools if d else [],
        data_dependencies=d.data_dependencies if d else [],
        tools_note=o.tools_note,
        prompt_template_id=o.agent.template.template_id,
        prompt_version=o.agent.template.version,
        validation_errors=o.validation_errors + ([o.error] if o.error and not o.valid else []),
        raw_output=o.raw_output,
        prompt_hash=o.prompt_hash,
        cost_usd=cost if priced else None,
        tokens_in=sum(c.tokens_in or 0 for c in o.calls),
        tokens_out=sum(c.tokens_out or 0 for c in o.calls),
        latency_ms=o.latency_ms,
    )


def _record_result(sessions: sessionmaker[Session], run_id: str, trace_id: str, result: CoordinatorResult) -> str:
    """Every agent decision and the consensus, in one transaction; returns the stable decision_id."""
    final = result.final
    outcome = _OUTCOME_BY_ACTION.get(final.action, ExecutionOutcome.NO_TRADE)
    consensus = Consensus(
        run_id=run_id,
        trace_id=trace_id,
        final_action=final.action,
        outcome=outcome,
        symbol=final.symbol,
        sizing=final.sizing.model_dump() if final.sizing else None,
        confidence=final.confidence,
        rule=final.rule,
        no_trade_reason=final.no_trade_reason,
        decided_by=final.decided_by,
        trace=result.trace,
        escalated=result.escalated,
        escalation_reasons=result.escalation_reasons,
    )
    with sessions() as session, session.begin():
        runs.add_decisions(session=session, rows=[_decision_row(run_id, o) for o in result.outcomes])
        tool_rows = [
            (_tool_row(run_id, o, seq, t), t.llm_call_key)
            for o in result.outcomes
            for seq, t in enumerate(o.tool_calls, 1)
        ]
        tools_repo.add_tool_calls(session=session, rows=tool_rows)
        runs.add_consensus(session=session, row=consensus)
        return consensus.decision_id


def _tool_row(run_id: str, outcome: AgentOutcome, seq: int, record: ToolCallRecord) -> ToolCall:
    return ToolCall(
        run_id=run_id,
        agent_decision_id=outcome.decision_id,
        provider_call_id=record.call_id[:64],
        round=record.round,
        seq=seq,
        name=record.name[:64],
        arguments=record.arguments,
        raw_arguments=record.raw_arguments,
        status=record.status,
        error=record.error,
        result_bytes=record.result_bytes,
        result_hash=record.result_hash,
        result_preview=record.preview,
        latency_ms=record.latency_ms,
    )


def _execute(
    *,
    sessions: sessionmaker[Session],
    settings: Settings,
    broker: Broker,
    run: _ClaimedRun,
    decision_id: str,
    decided: _Decided,
) -> None:
    """Guardrails and (when allowed) the order; an unexpected fault is recorded as a failed check, not lost."""
    from arena.engine.execution.guardrails import Check
    from arena.engine.execution.pipeline import ExecutionResult, execute_decision, store_outcome

    final = decided.result.final
    assert final.symbol is not None and final.sizing is not None
    with sessions() as session:
        row = session.get(ArenaRun, run.run_id)
        execution_on = row is not None and row.execution_mode == ExecutionMode.ON and settings.execution_enabled
    try:
        outcome = execute_decision(
            sessions=sessions,
            broker=broker,
            config=run.config,
            decision_id=decision_id,
            trace_id=run.trace_id,
            action=final.action,
            symbol=final.symbol,
            sizing=final.sizing,
            confidence=final.confidence,
            snapshot=decided.snapshot,
            portfolio=decided.portfolio,
            execution_on=execution_on,
        )
    except Exception as exc:
        log.exception("execution of decision %s failed", decision_id)
        failed = Check("execution", False, f"{exc.__class__.__name__}: {exc}"[:EXECUTION_FAULT_MAX_CHARS])
        outcome = ExecutionResult(ExecutionOutcome.BLOCKED, [failed])
    store_outcome(sessions=sessions, run_id=run.run_id, result=outcome)


def _complete(sessions: sessionmaker[Session], run_id: str, result: CoordinatorResult, started: float) -> None:
    _finish(
        sessions,
        run_id,
        RunStatus.COMPLETED,
        started,
        {
            "final_action": result.final.action,
            "escalated": result.escalated,
            "escalation_reasons": result.escalation_reasons,
        },
    )


def _finish_failed(sessions: sessionmaker[Session], run_id: str, reason: str, started: float) -> None:
    _finish(sessions, run_id, RunStatus.FAILED, started, {"error": reason})


def _finish(
    sessions: sessionmaker[Session], run_id: str, status: RunStatus, started: float, values: dict[str, Any]
) -> None:
    """running → completed/failed/abandoned with the run's totals taken from its LLM-call rows."""
    with sessions() as session, session.begin():
        cost, tin, tout, calls = runs.call_totals(session=session, run_id=run_id)
        runs.move_run(
            session=session,
            run_id=run_id,
            from_status=RunStatus.RUNNING,
            to_status=status,
            values={
                **values,
                "cost_usd": cost,
                "tokens_in": tin,
                "tokens_out": tout,
                "llm_calls": calls,
                "latency_ms": int((time.monotonic() - started) * 1000),
                "finished_at": utcnow(),
            },
        )
