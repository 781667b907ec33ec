"""The broker adapter through the real alpaca-py, over HTTP, against the loopback Alpaca."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from arena.bootstrap.services import build_broker
from arena.engine.config.settings import Settings
from arena.engine.ports import Broker
from arena.kernel.errors import DuplicateClientOrderId, GiveUpAndRecord, InvalidRequestError, RetryLater
from tests.support.alpaca_server import AlpacaServer, settings_for


@pytest.fixture
def server() -> Iterator[AlpacaServer]:
    with AlpacaServer() as srv:
        srv.set_bars("AAPL", [190.0 + i for i in range(30)])
        srv.set_quote("AAPL", 199.9, 200.1)
        yield srv


@pytest.fixture
def settings(server: AlpacaServer) -> Settings:
    return settings_for(server)


@pytest.fixture
def broker(settings: Settings) -> Broker:
    return build_broker(settings)


def test_submit_then_fill_over_successive_gets(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    order = broker.submit_order(client_order_id="run1-AAPL", symbol="aapl", side="buy", qty=2)
    assert (order.client_order_id, order.symbol, order.side, order.qty, order.notional) == (
        "run1-AAPL",
        "AAPL",
        "buy",
        2.0,
        None,
    )
    assert (order.status, order.filled_qty, order.filled_avg_price) == ("accepted", 0.0, None)
    assert order.raw["id"] == order.broker_order_id and order.submitted_at is not None

    body = server.requests_to("POST", "/v2/orders")[0].body
    assert body == {
        "symbol": "AAPL",
        "qty": 2.0,
        "side": "buy",
        "type": "market",
        "time_in_force": "day",
        "client_order_id": "run1-AAPL",
    }

    partial = broker.get_order_by_client_id("run1-AAPL")
    assert partial is not None and (partial.status, partial.filled_qty) == ("partially_filled", 1.0)
    filled = broker.get_order_by_client_id("run1-AAPL")
    assert filled is not None and filled.status == "filled"
    assert (filled.filled_qty, filled.filled_avg_price) == (2.0, 200.0)
    assert filled.filled_at is not None and filled.broker_order_id == order.broker_order_id


def test_notional_order(settings: Settings, broker: Broker) -> None:
    order = broker.submit_order(client_order_id="n1", symbol="AAPL", side="sell", notional=500.0)
    assert (order.qty, order.notional, order.side) == (None, 500.0, "sell")


def test_duplicate_client_order_id(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    first = broker.submit_order(client_order_id="dup-1", symbol="AAPL", side="buy", qty=1)
    with pytest.raises(DuplicateClientOrderId) as info:
        broker.submit_order(client_order_id="dup-1", symbol="AAPL", side="buy", qty=1)
    assert isinstance(info.value, GiveUpAndRecord) and info.value.status == 422
    existing = broker.get_order_by_client_id("dup-1")
    assert existing is not None and existing.broker_order_id == first.broker_order_id
    assert len(server.orders) == 1


def test_other_422_is_not_a_duplicate(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.set_asset("AAPL", tradable=False)
    with pytest.raises(GiveUpAndRecord, match="not tradable") as info:
        broker.submit_order(client_order_id="x", symbol="AAPL", side="buy", qty=1)
    assert not isinstance(info.value, DuplicateClientOrderId)


def test_get_unknown_order_is_none(settings: Settings, broker: Broker) -> None:
    assert broker.get_order_by_client_id("never-submitted") is None


@pytest.mark.parametrize(("flow", "final"), [("reject", "rejected"), ("cancel", "canceled"), ("expire", "expired")])
def test_terminal_flows(server: AlpacaServer, settings: Settings, broker: Broker, flow: str, final: str) -> None:
    server.next_order_flow(flow)
    broker.submit_order(client_order_id=f"f-{flow}", symbol="AAPL", side="buy", qty=1)
    seen = broker.get_order_by_client_id(f"f-{flow}")
    assert seen is not None and (seen.status, seen.filled_qty) == (final, 0.0)


def test_cancel_open_order_then_cancel_again(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.next_order_flow("hold")
    order = broker.submit_order(client_order_id="c-1", symbol="AAPL", side="buy", qty=1)
    broker.cancel_order(order.broker_order_id)
    assert server.order("c-1") is not None and server.order("c-1")["status"] == "canceled"  # type: ignore[index]
    with pytest.raises(GiveUpAndRecord, match="422"):
        broker.cancel_order(order.broker_order_id)


def test_accepted_but_response_timed_out(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.accept_then_hang_next()
    started = time.monotonic()
    with pytest.raises(RetryLater):
        broker.submit_order(client_order_id="lost-reply", symbol="AAPL", side="buy", qty=1)
    assert time.monotonic() - started < settings.http_timeout_s + 1.0
    found = broker.get_order_by_client_id("lost-reply")  # the broker has it all the same
    assert found is not None and found.client_order_id == "lost-reply"
    with pytest.raises(DuplicateClientOrderId):  # and resubmitting cannot trade twice
        broker.submit_order(client_order_id="lost-reply", symbol="AAPL", side="buy", qty=1)


def test_5xx_on_submit_then_retry_succeeds(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.fail_next(2, status=502, method="POST", path="/v2/orders")
    for _ in range(2):
        with pytest.raises(RetryLater, match="502"):
            broker.submit_order(client_order_id="r-1", symbol="AAPL", side="buy", qty=1)
    assert server.orders == []
    assert broker.submit_order(client_order_id="r-1", symbol="AAPL", side="buy", qty=1).status


def test_hang_on_get_is_retry_later(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.hang_next(path="/v2/orders:by_client_order_id")
    started = time.monotonic()
    with pytest.raises(RetryLater, match="timed out"):
        broker.get_order_by_client_id("anything")
    assert time.monotonic() - started < settings.http_timeout_s + 1.0


def test_clock_and_asset(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    assert broker.get_clock().is_open is True
    server.set_clock(is_open=False)
    clock = broker.get_clock()
    assert clock.is_open is False
    assert clock.next_open.utcoffset() == timedelta(0) and clock.next_open < clock.next_close
    server.set_asset("BRK.B", tradable=True, fractionable=False, shortable=False)
    asset = broker.get_asset("BRK.B")
    assert (asset.symbol, asset.tradable, asset.fractionable, asset.shortable) == ("BRK.B", True, False, False)
    with pytest.raises(InvalidRequestError, match="ZZZZ"):
        broker.get_asset("ZZZZ")


def test_fills_derived_from_orders(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.next_order_flow("fill_now", fill_price=201.5)
    server.next_order_flow("hold")
    broker.submit_order(client_order_id="fill-a", symbol="AAPL", side="buy", qty=3)
    broker.submit_order(client_order_id="open-b", symbol="AAPL", side="buy", qty=1)
    fills = broker.list_fill_activities(after=None)
    assert [(f.client_order_id, f.filled_qty, f.filled_avg_price, f.status) for f in fills] == [
        ("fill-a", 3.0, 201.5, "filled")
    ]
    server.advance_order("open-b", "partially_filled")
    fills = broker.list_fill_activities(after=None)
    assert [(f.client_order_id, f.filled_qty, f.status) for f in fills] == [
        ("fill-a", 3.0, "filled"),
        ("open-b", 0.5, "partially_filled"),
    ]
    assert broker.list_fill_activities(after=datetime.now(UTC) + timedelta(hours=1)) == []
    assert server.requests_to("GET", "/v2/orders")[0].query["status"] == "all"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"qty": 1, "notional": 10.0},
        {},
        {"qty": -1},
        {"qty": 1, "side": "hold"},
        {"qty": 1, "time_in_force": "forever"},
        {"qty": 1, "client_order_id": ""},
    ],
)
def test_invalid_orders_never_reach_the_broker(
    server: AlpacaServer, settings: Settings, broker: Broker, kwargs: dict[str, object]
) -> None:
    args: dict[str, object] = {"client_order_id": "bad", "symbol": "AAPL", "side": "buy", **kwargs}
    with pytest.raises(InvalidRequestError):
        broker.submit_order(**args)  # type: ignore[arg-type]
    assert server.requests == []
