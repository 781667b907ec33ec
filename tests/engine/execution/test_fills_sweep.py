"""Fills for every filled order, whatever made it final, and a consensus outcome that follows the broker.

Through the real alpaca-py against the loopback broker, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import delete, select

from arena.bootstrap.database import Database
from arena.bootstrap.services import build_broker
from arena.engine.execution.pipeline import store_outcome, submit_idempotently
from arena.kernel.ids import client_order_id
from arena.kernel.kinds import Side
from arena.storage.models import BrokerOrder, Consensus, Fill, OutcomeLink
from arena.storage.repositories import orders
from tests.engine.execution.ambiguous_broker import AmbiguousAlpacaServer
from tests.engine.execution.test_execution import execute, new_decision, reconcile
from tests.support.alpaca_server import settings_for


@pytest.fixture
def broker() -> Iterator[AmbiguousAlpacaServer]:
    with AmbiguousAlpacaServer(hang_seconds=2.0) as server:
        server.set_clock(True)
        server.set_asset("AAPL", tradable=True, fractionable=True, shortable=True)
        server.set_quote("AAPL", 99.99, 100.01)
        server.set_account(100_000, 100_000, 200_000)
        yield server


def booked(db: Database, decision_id: str) -> tuple[list[tuple[float, float]], str | None, list[str], float]:
    """(fills as (qty, price), consensus outcome, the link's fill ids, the order's filled qty)."""
    cid = client_order_id(decision_id)
    with db.sessions() as s:
        fills = s.scalars(select(Fill).where(Fill.client_order_id == cid).order_by(Fill.id)).all()
        outcome = s.scalar(select(Consensus.outcome).where(Consensus.decision_id == decision_id))
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == cid))
        assert link is not None and order is not None
        assert link.fill_ids == [f.broker_fill_id for f in fills]
        return [(float(f.qty), float(f.price)) for f in fills], outcome, link.fill_ids, float(order.filled_qty)


def run_order(db: Database, broker: AmbiguousAlpacaServer) -> str:
    """What a run does: guardrails, the order, then its outcome on the consensus row."""
    result, decision_id = execute(db, settings_for(broker))
    with db.sessions() as s:
        run_id = s.scalar(select(Consensus.run_id).where(Consensus.decision_id == decision_id))
    store_outcome(sessions=db.sessions, run_id=run_id, result=result)
    return decision_id


@pytest.mark.parametrize("fault", ["timeout after accept", "500 after accept"])
def test_an_order_filled_after_an_ambiguous_submit_gets_its_fills(
    database: Database, broker: AmbiguousAlpacaServer, fault: str
) -> None:
    broker.next_order_flow(("accepted", "accepted", "filled"), fill_price=100.5)
    if fault == "timeout after accept":
        broker.accept_then_hang_next(1)
    else:
        broker.accept_then_fail_next(1, status=500)
    decision_id = run_order(database, broker)
    assert len(broker.requests_to("POST", "/v2/orders")) == 1  # found by the lookup, never sent twice
    reconcile(database, settings_for(broker))  # the broker has filled it meanwhile
    fills, outcome, _, filled = booked(database, decision_id)
    assert fills == [(10.0, 100.5)] and filled == 10 and outcome == "executed"


def test_a_final_order_reported_without_its_price_gets_its_fills_later(
    database: Database, broker: AmbiguousAlpacaServer
) -> None:
    """The lookup finds it `filled` but without an average price: final at once, so only the sweep books it."""
    broker.next_order_flow("fill_now", fill_price=101.25)
    broker.accept_then_hang_next(1)
    broker.hide_fill_price_next(1)
    decision_id = run_order(database, broker)
    fills, outcome, _, filled = booked(database, decision_id)
    assert (fills, filled, outcome) == ([], 10, "executed")  # final, no fill yet

    first = reconcile(database, settings_for(broker))
    assert (first.checked, first.fills) == (1, 1)
    fills, outcome, _, filled = booked(database, decision_id)
    assert fills == [(10.0, 101.25)] and outcome == "executed"
    again = reconcile(database, settings_for(broker))
    assert (again.checked, again.fills) == (0, 0)  # nothing missing any more: not asked again


def test_filled_orders_without_fill_rows_are_repaired_once(database: Database, broker: AmbiguousAlpacaServer) -> None:
    """Orders an earlier version left `filled` with no fills (its lookup path booked none) get them, once."""
    broker.next_order_flow("fill_now", fill_price=99.75)
    broker.accept_then_fail_next(1, status=500)
    decision_id = run_order(database, broker)
    cid = client_order_id(decision_id)
    with database.sessions() as s, s.begin():  # as Arena before the fix left it
        s.execute(delete(Fill).where(Fill.client_order_id == cid))
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        assert link is not None
        link.fill_ids = []

    reconcile(database, settings_for(broker))
    reconcile(database, settings_for(broker))
    fills, outcome, fill_ids, filled = booked(database, decision_id)
    assert fills == [(10.0, 99.75)] and sum(Decimal(str(q)) for q, _ in fills) == filled
    assert len(set(fill_ids)) == 1 and outcome == "executed"


@pytest.mark.parametrize(("flow", "outcome"), [("fill", "executed"), ("reject", "refused")])
def test_the_outcome_follows_the_broker_when_the_run_never_wrote_it(
    database: Database, broker: AmbiguousAlpacaServer, flow: str, outcome: str
) -> None:
    """A run cut short after its order went out (worker killed, run abandoned) leaves `executable` behind."""
    broker.next_order_flow(("accepted", "accepted", "filled") if flow == "fill" else flow)
    decision_id, trace_id = new_decision(database)
    cid = client_order_id(decision_id)
    with database.sessions() as s, s.begin():
        orders.create_intent(
            session=s, decision_id=decision_id, trace_id=trace_id, client_order_id=cid, symbol="AAPL", side="buy", qty=3
        )
    submit_idempotently(
        sessions=database.sessions,
        broker=build_broker(settings_for(broker)),
        client_order_id=cid,
        symbol="AAPL",
        side=Side.BUY,
        qty=3,
    )
    reconcile(database, settings_for(broker))
    reconcile(database, settings_for(broker))
    with database.sessions() as s:
        assert s.scalar(select(Consensus.outcome).where(Consensus.decision_id == decision_id)) == outcome
