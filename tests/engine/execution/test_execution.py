"""Guardrails, sizing and idempotent orders against the real alpaca-py talking to the loopback broker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from arena.adapters.alpaca.broker import AlpacaBroker
from arena.adapters.alpaca.client import AlpacaClients, AlpacaConfig
from arena.adapters.alpaca.market_data import AlpacaMarketData
from arena.bootstrap.database import Database
from arena.bootstrap.services import build_broker, build_market_data, build_services
from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.config.settings import Settings
from arena.engine.decide.decision import Sizing
from arena.engine.execution.pipeline import execute_decision, store_outcome
from arena.engine.execution.reconcile import ReconcileReport, reconcile_orders
from arena.engine.execution.sizing import size_order
from arena.engine.market.service import MarketService
from arena.engine.market.snapshot import PortfolioState, Position
from arena.engine.ports import Broker
from arena.kernel.ids import client_order_id
from arena.kernel.kinds import Side
from arena.storage.models import BrokerOrder, Consensus, Fill, OutcomeLink, PositionSnapshot
from arena.storage.repositories import runs
from tests.engine.factories import AS_OF, portfolio, snapshot
from tests.support.alpaca_server import AlpacaServer, settings_for


@pytest.fixture
def broker() -> Iterator[AlpacaServer]:
    with AlpacaServer(hang_seconds=2.0) as server:
        server.set_clock(True)
        server.set_asset("AAPL", tradable=True, fractionable=True, shortable=True)
        server.set_quote("AAPL", 99.99, 100.01)
        server.set_account(100_000, 100_000, 200_000)
        yield server


@pytest.fixture
def db(sqlite_database: Database) -> Database:
    return sqlite_database


def new_decision(db: Database, action: str = "BUY") -> tuple[str, str]:
    """A real run + consensus row, as the engine would have written it."""
    with db.sessions() as s, s.begin():
        run = runs.create_run(session=s, trigger="manual", mode="competition", symbols=["AAPL"], agents=None)
        row = Consensus(
            run_id=run.id,
            trace_id=run.trace_id,
            final_action=action,
            outcome="executable",
            symbol="AAPL",
            sizing={"kind": "pct_equity", "value": 1.0},
            confidence=0.8,
            rule="unanimous",
            trace={},
        )
        runs.add_consensus(session=s, row=row)
        return row.decision_id, run.trace_id


def execute(
    db: Database,
    settings: Settings,
    *,
    config: GuardrailConfig | None = None,
    action: str = "BUY",
    pct: float = 1.0,
    confidence: float = 0.8,
    port: PortfolioState | None = None,
    decision: tuple[str, str] | None = None,
    execution_on: bool = True,
    via: Broker | None = None,
) -> Any:
    decision_id, trace_id = decision or new_decision(db, action)
    result = execute_decision(
        sessions=db.sessions,
        broker=via or build_broker(settings),
        config=config or GuardrailConfig(),
        decision_id=decision_id,
        trace_id=trace_id,
        action=action,
        symbol="AAPL",
        sizing=Sizing(kind="pct_equity", value=pct),
        confidence=confidence,
        snapshot=snapshot(price=100.0),
        portfolio=port or portfolio(100_000),
        execution_on=execution_on,
    )
    return result, decision_id


def reconcile(db: Database, settings: Settings) -> ReconcileReport:
    return reconcile_orders(sessions=db.sessions, broker=build_broker(settings), market=build_market_data(settings))


def orders_for(broker: AlpacaServer, decision_id: str) -> list[dict[str, Any]]:
    return [o for o in broker.orders if o["client_order_id"] == client_order_id(decision_id)]


def test_executable_decision_becomes_one_linked_order(db: Database, broker: AlpacaServer) -> None:
    result, decision_id = execute(db, settings_for(broker))
    assert result.outcome == "executed" and all(c.passed for c in result.checks)
    assert result.order["client_order_id"] == f"arena-{decision_id}"
    sent = orders_for(broker, decision_id)
    assert len(sent) == 1 and sent[0]["qty"] == "10.0" and sent[0]["side"] == "buy"  # 1% of 100k at $100
    with db.sessions() as s:
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        assert link is not None and link.broker_order_id == sent[0]["id"] and link.order_status == "accepted"
        assert link.order_intent_id is not None and not link.final


@pytest.mark.parametrize(
    ("config", "kwargs", "failing"),
    [
        (GuardrailConfig(trading_state="HALTED"), {}, "trading_state"),
        (GuardrailConfig(trading_state="REDUCING"), {}, "trading_state"),
        (GuardrailConfig(), {"confidence": 0.5}, "confidence"),
        (GuardrailConfig(max_order_notional_usd=500), {}, "max_order_notional"),
        (GuardrailConfig(max_position_pct_equity=0.5), {}, "max_position_pct_equity"),
        (GuardrailConfig(allowed_symbols=["MSFT"]), {}, "tradable_symbol"),
        (GuardrailConfig(max_orders_per_day=0), {}, "max_orders_per_day"),
        (GuardrailConfig(daily_llm_spend_cap_usd=0.0), {"spend": True}, "daily_llm_spend"),
        (
            GuardrailConfig(),
            {"port": PortfolioState(as_of=AS_OF, equity=100_000, cash=0, buying_power=50)},
            "buying_power",
        ),
    ],
)
def test_each_failing_check_blocks_and_sends_nothing(
    db: Database, broker: AlpacaServer, config: GuardrailConfig, kwargs: dict[str, Any], failing: str
) -> None:
    if kwargs.pop("spend", False):
        from decimal import Decimal

        from arena.storage.models import CostTelemetry

        with db.sessions() as s, s.begin():
            s.add(
                CostTelemetry(
                    trace_id="t",
                    purpose="agent",
                    provider="openai",
                    model="m",
                    prompt_hash="h",
                    messages=[],
                    cost_usd=Decimal("0.01"),
                    cost_source="provider",
                    latency_ms=1,
                    status="ok",
                )
            )
    result, _decision_id = execute(db, settings_for(broker), config=config, **kwargs)
    assert result.outcome == "blocked"
    failed = [c for c in result.checks if not c.passed]
    assert [c.name for c in failed] == [failing], failed
    assert failed[0].reason
    assert broker.requests_to("POST", "/v2/orders") == []


def test_market_closed_and_untradable_block(db: Database, broker: AlpacaServer) -> None:
    broker.set_clock(False)
    broker.set_asset("AAPL", tradable=False)
    result, _ = execute(db, settings_for(broker))
    assert {c.name for c in result.checks if not c.passed} == {"market_session", "tradable_symbol"}
    assert broker.requests_to("POST", "/v2/orders") == []


def test_reducing_state_allows_selling_a_long(db: Database, broker: AlpacaServer) -> None:
    held = PortfolioState(
        as_of=AS_OF,
        equity=100_000,
        cash=90_000,
        buying_power=180_000,
        positions=[Position(symbol="AAPL", qty=5, market_value=500, avg_entry_price=90)],
    )
    result, decision_id = execute(
        db, settings_for(broker), config=GuardrailConfig(trading_state="REDUCING"), action="SELL", port=held
    )
    assert result.outcome == "executed"
    assert orders_for(broker, decision_id)[0]["qty"] == "5.0"  # capped at the shares held


def test_size_that_rounds_to_zero_is_not_an_order(db: Database, broker: AlpacaServer) -> None:
    broker.set_asset("AAPL", fractionable=False)
    result, _ = execute(db, settings_for(broker), pct=0.05)  # $50 of a $100 share
    assert result.outcome == "not_sized"
    assert broker.requests_to("POST", "/v2/orders") == []


def test_sizing_rules() -> None:
    p = portfolio(100_000)
    whole = size_order(
        action="BUY",
        symbol="AAPL",
        sizing=Sizing(kind="notional_usd", value=1050),
        price=100,
        portfolio=p,
        fractionable=True,
    )
    assert whole.qty == 10 and whole.notional == 1000
    frac = size_order(
        action="BUY",
        symbol="AAPL",
        sizing=Sizing(kind="notional_usd", value=50),
        price=300,
        portfolio=p,
        fractionable=True,
    )
    assert frac.qty == 0.1666
    short = size_order(
        action="SELL",
        symbol="AAPL",
        sizing=Sizing(kind="notional_usd", value=50),
        price=300,
        portfolio=p,
        fractionable=True,
    )
    assert short.qty == 0 and short.opens_short  # no fractional short sales


def test_shadow_mode_checks_everything_and_sends_nothing(db: Database, broker: AlpacaServer) -> None:
    result, _ = execute(db, settings_for(broker), execution_on=False)
    assert result.outcome == "shadow" and result.order["qty"] == 10
    assert broker.requests_to("POST", "/v2/orders") == []


def test_5xx_then_success_makes_one_order(db: Database, broker: AlpacaServer) -> None:
    broker.fail_next(1, status=503, method="POST", path="/v2/orders")
    result, decision_id = execute(db, settings_for(broker))
    assert len(orders_for(broker, decision_id)) == 1
    assert result.order["broker_order_id"] == orders_for(broker, decision_id)[0]["id"]
    # it looked the order up by client_order_id before retrying
    lookups = broker.requests_to("GET", "/v2/orders:by_client_order_id")
    assert lookups and lookups[0].at < broker.requests_to("POST", "/v2/orders")[1].at


def test_timeout_after_the_broker_accepted_is_found_not_resent(db: Database, broker: AlpacaServer) -> None:
    broker.accept_then_hang_next(1)
    result, decision_id = execute(db, settings_for(broker))
    assert len(broker.requests_to("POST", "/v2/orders")) == 1
    assert len(orders_for(broker, decision_id)) == 1
    assert result.order["status"] in {"accepted", "partially_filled"}


def test_hang_on_every_try_leaves_unknown_then_reconcile_repairs(db: Database, broker: AlpacaServer) -> None:
    broker.accept_then_hang_next(2)
    broker.hang_next(2, method="GET", path="/v2/orders:by_client_order_id")
    result, decision_id = execute(db, settings_for(broker))
    cid = client_order_id(decision_id)
    assert len(orders_for(broker, decision_id)) == 1  # the second POST was refused as a duplicate
    assert [r.method for r in broker.requests if "orders" in r.path] == ["POST", "GET", "POST", "GET"]
    assert result.order["status"] == "unknown" and "not confirmed after 2 tries" in result.order["note"]
    with db.sessions() as s:
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == cid))
        assert order is not None and order.status == "unknown" and order.submitted_at is None

    report = reconcile(db, settings_for(broker))  # reconciliation is the first to see the order: partially filled
    assert (report.checked, report.updated, report.fills, report.flagged) == (1, 1, 1, [])
    with db.sessions() as s:
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == cid))
        assert order is not None and order.status == "partially_filled" and order.flagged is None
        assert order.submitted_at is not None and order.broker_order_id == orders_for(broker, decision_id)[0]["id"]
        fills = s.scalars(select(Fill).where(Fill.client_order_id == cid)).all()
        assert sum(f.qty for f in fills) == order.filled_qty == 5
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        assert link is not None and link.order_status == "partially_filled" and not link.final
        assert link.fill_ids == [f.broker_fill_id for f in fills]


def test_same_decision_twice_is_still_one_order(db: Database, broker: AlpacaServer) -> None:
    from arena.engine.execution.pipeline import submit_idempotently

    _, decision_id = execute(db, settings_for(broker))
    again = submit_idempotently(
        sessions=db.sessions,
        broker=build_broker(settings_for(broker)),
        client_order_id=client_order_id(decision_id),
        symbol="AAPL",
        side=Side.BUY,
        qty=10,
    )
    assert len(orders_for(broker, decision_id)) == 1
    assert again["broker_order_id"] == orders_for(broker, decision_id)[0]["id"]


def test_rejected_order_shows_its_final_state(db: Database, broker: AlpacaServer) -> None:
    broker.next_order_flow("reject")
    result, decision_id = execute(db, settings_for(broker))
    assert result.order["status"] == "accepted" and result.outcome == "executed"
    with db.sessions() as s:
        run_id = s.scalar(select(Consensus.run_id).where(Consensus.decision_id == decision_id))
    store_outcome(sessions=db.sessions, run_id=run_id, result=result)  # as the run service does
    reconcile(db, settings_for(broker))
    with db.sessions() as s:
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        assert link is not None and link.final and link.order_status == "rejected"
        # the run's outcome follows the broker: a rejected order was not executed
        assert s.scalar(select(Consensus.outcome).where(Consensus.decision_id == decision_id)) == "refused"


def test_broker_refusal_is_submit_failed(db: Database, broker: AlpacaServer) -> None:
    broker.fail_next(1, status=403, message="insufficient buying power", method="POST", path="/v2/orders")
    result, decision_id = execute(db, settings_for(broker))
    assert result.order["status"] == "submit_failed"
    assert result.outcome == "refused"  # not "executed": the broker never took the order
    assert orders_for(broker, decision_id) == []


def test_reconcile_records_partial_then_full_fills_and_snapshots(db: Database, broker: AlpacaServer) -> None:
    broker.next_order_flow("fill", fill_price=101.0)
    _result, decision_id = execute(db, settings_for(broker))
    cid = client_order_id(decision_id)
    first = reconcile(db, settings_for(broker))  # → partially_filled
    second = reconcile(db, settings_for(broker))  # → filled
    third = reconcile(db, settings_for(broker))  # nothing left open
    assert (first.fills, second.fills, third.checked) == (1, 1, 0)
    with db.sessions() as s:
        fills = s.scalars(select(Fill).where(Fill.client_order_id == cid).order_by(Fill.id)).all()
        assert [float(f.qty) for f in fills] == [5.0, 5.0] and all(float(f.price) == 101.0 for f in fills)
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == cid))
        assert order is not None and order.status == "filled" and float(order.filled_qty) == 10
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        assert link is not None and link.final and link.fill_ids == [f.broker_fill_id for f in fills]
        assert len(link.position_snapshot_ids) == 2
        snap = s.get(PositionSnapshot, link.position_snapshot_ids[-1])
        assert snap is not None and float(snap.equity) == 100_000


def test_order_unknown_to_the_broker_is_flagged_not_assumed_flat(db: Database, broker: AlpacaServer) -> None:
    from arena.storage.repositories import orders

    decision_id, trace_id = new_decision(db)
    with db.sessions() as s, s.begin():
        orders.create_intent(
            session=s,
            decision_id=decision_id,
            trace_id=trace_id,
            client_order_id=client_order_id(decision_id),
            symbol="AAPL",
            side="buy",
            qty=1,
        )
    report = reconcile(db, settings_for(broker))
    assert report.flagged == [client_order_id(decision_id)]
    with db.sessions() as s:
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == client_order_id(decision_id)))
        assert order is not None and order.status == "pending" and "does not know" in (order.flagged or "")


class CountingClients(AlpacaClients):
    """AlpacaClients that remember every TradingClient they construct."""

    def __init__(self, config: AlpacaConfig) -> None:
        super().__init__(config)
        self.built: list[object] = []

    def build_trading(self) -> Any:
        client = super().build_trading()
        self.built.append(client)
        return client


def test_one_order_builds_the_trading_client_once(db: Database, broker: AlpacaServer) -> None:
    """Guardrail reads (asset, clock) and the order itself share one TradingClient."""
    clients = CountingClients(AlpacaConfig.from_settings(settings_for(broker)))
    result, decision_id = execute(db, settings_for(broker), via=AlpacaBroker(clients))
    assert result.outcome == "executed" and len(orders_for(broker, decision_id)) == 1
    assert clients.built == [clients.trading]
    assert [(r.method, r.path) for r in broker.requests] == [
        ("GET", "/v2/assets/AAPL"),
        ("GET", "/v2/clock"),
        ("POST", "/v2/orders"),
    ]


def test_the_composition_root_shares_one_set_of_clients(db: Database, broker: AlpacaServer) -> None:
    ports = build_services(settings_for(broker), db).ports
    assert isinstance(ports.broker, AlpacaBroker) and isinstance(ports.market, MarketService)
    assert isinstance(ports.market.feed, AlpacaMarketData)
    assert ports.market.feed.clients is ports.broker.clients
    ports.broker.get_clock()
    ports.market.portfolio()
    assert ports.market.feed.clients.trading is ports.broker.clients.trading  # one TradingClient for both


def test_order_already_partially_filled_when_submitted_gets_its_fill(db: Database, broker: AlpacaServer) -> None:
    broker.next_order_flow(("partially_filled", "filled"), fill_price=101.0)
    result, decision_id = execute(db, settings_for(broker))
    cid = client_order_id(decision_id)
    assert result.order["status"] == "partially_filled"
    with db.sessions() as s:
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == cid))
        assert order is not None and float(order.filled_qty) == 5 and order.submitted_at is not None
        fills = s.scalars(select(Fill).where(Fill.client_order_id == cid)).all()
        assert [(float(f.qty), float(f.price)) for f in fills] == [(5.0, 101.0)]
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        assert link is not None and link.fill_ids == [fills[0].broker_fill_id]
    report = reconcile(db, settings_for(broker))  # → filled: only the rest is a new fill
    assert report.fills == 1
    with db.sessions() as s:
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == cid))
        fills = s.scalars(select(Fill).where(Fill.client_order_id == cid).order_by(Fill.id)).all()
        assert order is not None and order.status == "filled"
        assert [float(f.qty) for f in fills] == [5.0, 5.0] and sum(f.qty for f in fills) == order.filled_qty


def test_order_found_partially_filled_by_the_lookup_gets_its_fill(db: Database, broker: AlpacaServer) -> None:
    broker.next_order_flow("fill", fill_price=99.5)  # accepted; the lookup's GET moves it to partially_filled
    broker.accept_then_hang_next(1)
    result, decision_id = execute(db, settings_for(broker))
    cid = client_order_id(decision_id)
    assert result.order["status"] == "partially_filled"
    assert len(broker.requests_to("POST", "/v2/orders")) == 1
    with db.sessions() as s:
        fills = s.scalars(select(Fill).where(Fill.client_order_id == cid)).all()
        assert [(float(f.qty), float(f.price)) for f in fills] == [(5.0, 99.5)]
    reconcile(db, settings_for(broker))
    with db.sessions() as s:
        order = s.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == cid))
        fills = s.scalars(select(Fill).where(Fill.client_order_id == cid)).all()
        assert order is not None and order.status == "filled" and float(order.filled_qty) == 10
        assert sum(f.qty for f in fills) == order.filled_qty


def test_unreadable_submit_answer_is_looked_up_not_submit_failed(db: Database, broker: AlpacaServer) -> None:
    """200 with a body alpaca-py cannot parse into an Order: the order exists, so it is found and recorded."""
    broker.next_order_flow("hold")
    broker.unreadable_next(1)
    result, decision_id = execute(db, settings_for(broker))
    sent = orders_for(broker, decision_id)
    assert len(sent) == 1 and len(broker.requests_to("POST", "/v2/orders")) == 1
    assert len(broker.requests_to("GET", "/v2/orders:by_client_order_id")) == 1
    assert result.order == {
        "client_order_id": client_order_id(decision_id),
        "broker_order_id": sent[0]["id"],
        "status": "accepted",
    }
    with db.sessions() as s:
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        assert link is not None and link.order_status == "accepted" and link.broker_order_id == sent[0]["id"]


def test_unreadable_submit_answer_for_an_order_the_broker_lacks_is_submit_failed(
    db: Database, broker: AlpacaServer
) -> None:
    broker.unreadable_next(1, handle=False)
    result, decision_id = execute(db, settings_for(broker))
    assert orders_for(broker, decision_id) == []
    assert len(broker.requests_to("GET", "/v2/orders:by_client_order_id")) == 1  # looked up before deciding
    assert result.order["status"] == "submit_failed" and "unexpected response" in result.order["note"]


def test_unreadable_submit_answer_and_failed_lookup_is_unknown(db: Database, broker: AlpacaServer) -> None:
    broker.unreadable_next(1)
    broker.fail_next(1, status=503, method="GET", path="/v2/orders:by_client_order_id")
    result, decision_id = execute(db, settings_for(broker))
    assert len(orders_for(broker, decision_id)) == 1
    assert result.order["status"] == "unknown"  # never submit_failed while the order may exist
    report = reconcile(db, settings_for(broker))
    assert report.updated == 1
    with db.sessions() as s:
        link = s.scalar(select(OutcomeLink).where(OutcomeLink.decision_id == decision_id))
        assert link is not None and link.order_status == "partially_filled"
