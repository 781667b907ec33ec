"""Executable decision → guardrails → order intent → idempotent submission → outcome link.

Idempotency: the client_order_id is derived from the decision id, and the intent is committed before anything
is sent. After a timeout, or a failure without an HTTP status (an answer we could not read), we look the order up
by client_order_id before retrying or giving up; a 422 duplicate means the broker already has it, so we fetch it.
One decision can therefore never make two orders.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.execution.guardrails import Check, GuardrailInputs, evaluate
from arena.engine.execution.recording import REFUSED_ORDER_STATUSES, apply_broker_view
from arena.engine.execution.sizing import SizedOrder, size_order
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState
from arena.engine.ports import Broker, BrokerOrderView
from arena.kernel import ids
from arena.kernel.clock import utc_day_start
from arena.kernel.errors import ArenaError, DuplicateClientOrderId, GiveUpAndRecord, RetryLater
from arena.kernel.kinds import Side
from arena.kernel.states import ExecutionOutcome, OrderStatus
from arena.storage.models import Consensus
from arena.storage.repositories import orders, runs

log = logging.getLogger("arena.engine.execution")
SUBMIT_ATTEMPTS = 2
ORDER_NOTE_MAX_CHARS = 500  # what an order's `flagged` note keeps of the broker's refusal


@dataclass
class ExecutionResult:
    outcome: ExecutionOutcome  # executed | refused | blocked | shadow | not_sized
    checks: list[Check] = field(default_factory=list)
    order: dict[str, Any] | None = None


def execute_decision(
    *,
    sessions: sessionmaker[Session],
    broker: Broker,
    config: GuardrailConfig,
    decision_id: str,
    trace_id: str,
    action: str,
    symbol: str,
    sizing: Any,
    confidence: float | None,
    snapshot: MarketSnapshot,
    portfolio: PortfolioState,
    execution_on: bool,
) -> ExecutionResult:
    """Run every guardrail; only when all pass (and execution is on) send exactly one order."""
    sized, checks = _size_and_check(
        sessions=sessions,
        broker=broker,
        config=config,
        action=action,
        symbol=symbol,
        sizing=sizing,
        confidence=confidence,
        snapshot=snapshot,
        portfolio=portfolio,
    )
    failed = [c for c in checks if not c.passed]
    if failed:
        outcome = ExecutionOutcome.NOT_SIZED if [c.name for c in failed] == ["size"] else ExecutionOutcome.BLOCKED
        return ExecutionResult(outcome, checks)
    if not execution_on:
        shadow = {"side": sized.side, "qty": sized.qty, "status": ExecutionOutcome.SHADOW.value}
        return ExecutionResult(ExecutionOutcome.SHADOW, checks, shadow)
    cid = ids.client_order_id(decision_id)
    with sessions() as session, session.begin():
        orders.create_intent(
            session=session,
            decision_id=decision_id,
            trace_id=trace_id,
            client_order_id=cid,
            symbol=symbol,
            side=sized.side,
            qty=sized.qty,
        )
    view = submit_idempotently(
        sessions=sessions, broker=broker, client_order_id=cid, symbol=symbol, side=sized.side, qty=sized.qty
    )
    # what the broker did with it: refused at submit or rejected is not "executed" (an order still open may be
    # rejected later; reconciliation then corrects the outcome)
    refused = view.get("status") in REFUSED_ORDER_STATUSES
    return ExecutionResult(ExecutionOutcome.REFUSED if refused else ExecutionOutcome.EXECUTED, checks, view)


def _size_and_check(
    *,
    sessions: sessionmaker[Session],
    broker: Broker,
    config: GuardrailConfig,
    action: str,
    symbol: str,
    sizing: Any,
    confidence: float | None,
    snapshot: MarketSnapshot,
    portfolio: PortfolioState,
) -> tuple[SizedOrder, list[Check]]:
    """The order the decision asks for, and every guardrail's verdict on it (broker reads may fail: None)."""
    asset = _safe(lambda: broker.get_asset(symbol))
    clock = _safe(broker.get_clock)
    sym = snapshot.symbol(symbol)
    sized = size_order(
        action=action,
        symbol=symbol,
        sizing=sizing,
        price=sym.last_price if sym is not None else 0.0,
        portfolio=portfolio,
        fractionable=bool(asset and asset.fractionable),
    )
    day = utc_day_start()
    with sessions() as session:
        orders_today = orders.count_intents_since(session=session, since=day)
        spend = float(runs.spend_since(session=session, since=day))
    checks = evaluate(
        config,
        GuardrailInputs(
            symbol=symbol,
            confidence=confidence,
            order=sized,
            portfolio=portfolio,
            market_open=clock.is_open if clock else None,
            tradable=asset.tradable if asset else None,
            shortable=asset.shortable if asset else None,
            orders_today=orders_today,
            llm_spend_today_usd=spend,
        ),
    )
    return sized, checks


def submit_idempotently(
    *, sessions: sessionmaker[Session], broker: Broker, client_order_id: str, symbol: str, side: Side, qty: float
) -> dict[str, Any]:
    """Send once; on an ambiguous outcome look the order up first. Returns {client_order_id, broker_order_id, status}.

    Ambiguous: a timeout / 5xx / 429 (RetryLater), and a failure that carries no HTTP status (the broker's answer
    could not be read, so the order may exist). Only an HTTP refusal (a 4xx) is final without a lookup.
    """
    for attempt in range(1, SUBMIT_ATTEMPTS + 1):
        try:
            view = broker.submit_order(client_order_id=client_order_id, symbol=symbol, side=side, qty=qty)
        except DuplicateClientOrderId:
            found = _lookup(broker, client_order_id)
            if found.view is not None:
                return record_view(sessions, found.view)
            return _set_status(
                sessions, client_order_id, OrderStatus.UNKNOWN, "broker reports a duplicate it cannot show"
            )
        except RetryLater as exc:
            log.warning("submit %s ambiguous (%s); looking it up before any retry", client_order_id, exc)
            found = _lookup(broker, client_order_id)
            if found.view is not None:
                return record_view(sessions, found.view)
            if attempt == SUBMIT_ATTEMPTS:
                return _set_status(
                    sessions, client_order_id, OrderStatus.UNKNOWN, f"not confirmed after {attempt} tries: {exc}"
                )
        except GiveUpAndRecord as exc:
            note = str(exc)[:ORDER_NOTE_MAX_CHARS]
            if getattr(exc, "status", None) is not None:  # the broker answered with a refusal
                return _set_status(sessions, client_order_id, OrderStatus.SUBMIT_FAILED, note)
            log.warning("submit %s failed without an HTTP status (%s); looking it up", client_order_id, exc)
            found = _lookup(broker, client_order_id)
            if found.view is not None:
                return record_view(sessions, found.view)
            if found.answered:  # the broker says it has no such order: the failure is final
                return _set_status(sessions, client_order_id, OrderStatus.SUBMIT_FAILED, note)
            return _set_status(
                sessions, client_order_id, OrderStatus.UNKNOWN, f"submit unreadable and lookup failed: {note}"
            )
        else:
            return record_view(sessions, view)
    raise AssertionError("unreachable")  # pragma: no cover


class _Lookup(NamedTuple):
    answered: bool  # the broker answered (with the order, or "no such order")
    view: BrokerOrderView | None


def _lookup(broker: Broker, client_order_id: str) -> _Lookup:
    try:
        return _Lookup(True, broker.get_order_by_client_id(client_order_id))
    except ArenaError as exc:
        log.warning("lookup of %s failed: %s", client_order_id, exc)
        return _Lookup(False, None)


def record_view(sessions: sessionmaker[Session], view: BrokerOrderView) -> dict[str, Any]:
    """Apply the broker's view to our order + link rows (apply_broker_view: transition, fills, totals)."""
    with sessions() as session, session.begin():
        apply_broker_view(session, view)
    return {"client_order_id": view.client_order_id, "broker_order_id": view.broker_order_id, "status": view.status}


def _set_status(
    sessions: sessionmaker[Session], client_order_id: str, status: OrderStatus, note: str
) -> dict[str, Any]:
    with sessions() as session, session.begin():
        row = orders.broker_order(session=session, client_order_id=client_order_id)
        link = orders.link_for_order(session=session, client_order_id=client_order_id)
        assert row is not None and link is not None
        orders.move_order(session=session, row=row, to_status=status, link=link)
        row.flagged = note
        broker_id = row.broker_order_id
    return {"client_order_id": client_order_id, "broker_order_id": broker_id, "status": status, "note": note}


def store_outcome(*, sessions: sessionmaker[Session], run_id: str, result: ExecutionResult) -> None:
    """The run's own outcome and checks. The broker's word wins: if reconciliation already saw the order rejected
    (`refused`) while the run was finishing, the run's `executed` (the submit was accepted) does not undo it."""
    with sessions() as session, session.begin():
        consensus = session.query(Consensus).filter(Consensus.run_id == run_id).with_for_update().one()
        broker_refused = consensus.outcome == ExecutionOutcome.REFUSED and result.outcome == ExecutionOutcome.EXECUTED
        if not broker_refused:
            consensus.outcome = result.outcome
        consensus.guardrail_checks = [c.as_dict() for c in result.checks]


def _safe(fn: Any) -> Any:
    try:
        return fn()
    except ArenaError as exc:
        log.warning("broker read failed before guardrails: %s", exc)
        return None
