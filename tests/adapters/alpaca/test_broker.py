"""The broker adapter through the real alpaca-py, over HTTP, against the loopback Alpaca."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from arena.adapters.alpaca.client import AlpacaClients
from arena.bootstrap.services import build_broker
from arena.engine.config.settings import Settings
from arena.engine.ports import Broker
from arena.kernel.errors import (
    BrokerRejected,
    DuplicateClientOrderId,
    GiveUpAndRecord,
    InvalidRequestError,
    RetryLater,
)
from arena.kernel.kinds import Side
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
    order = broker.submit_order(client_order_id="run1-AAPL", symbol="aapl", side=Side.BUY, qty=2)
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
    order = broker.submit_order(client_order_id="n1", symbol="AAPL", side=Side.SELL, notional=500.0)
    assert (order.qty, order.notional, order.side) == (None, 500.0, "sell")


def test_duplicate_client_order_id(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    first = broker.submit_order(client_order_id="dup-1", symbol="AAPL", side=Side.BUY, qty=1)
    with pytest.raises(DuplicateClientOrderId) as info:
        broker.submit_order(client_order_id="dup-1", symbol="AAPL", side=Side.BUY, qty=1)
    assert isinstance(info.value, GiveUpAndRecord) and info.value.status == 422
    existing = broker.get_order_by_client_id("dup-1")
    assert existing is not None and existing.broker_order_id == first.broker_order_id
    assert len(server.orders) == 1


def test_other_422_is_not_a_duplicate(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.set_asset("AAPL", tradable=False)
    with pytest.raises(GiveUpAndRecord, match="not tradable") as info:
        broker.submit_order(client_order_id="x", symbol="AAPL", side=Side.BUY, qty=1)
    assert not isinstance(info.value, DuplicateClientOrderId)


def test_get_unknown_order_is_none(settings: Settings, broker: Broker) -> None:
    assert broker.get_order_by_client_id("never-submitted") is None


@pytest.mark.parametrize(("flow", "final"), [("reject", "rejected"), ("cancel", "canceled"), ("expire", "expired")])
def test_terminal_flows(server: AlpacaServer, settings: Settings, broker: Broker, flow: str, final: str) -> None:
    server.next_order_flow(flow)
    broker.submit_order(client_order_id=f"f-{flow}", symbol="AAPL", side=Side.BUY, qty=1)
    seen = broker.get_order_by_client_id(f"f-{flow}")
    assert seen is not None and (seen.status, seen.filled_qty) == (final, 0.0)


def test_accepted_but_response_timed_out(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.accept_then_hang_next()
    started = time.monotonic()
    with pytest.raises(RetryLater):
        broker.submit_order(client_order_id="lost-reply", symbol="AAPL", side=Side.BUY, qty=1)
    assert time.monotonic() - started < settings.http_timeout_s + 1.0
    found = broker.get_order_by_client_id("lost-reply")  # the broker has it all the same
    assert found is not None and found.client_order_id == "lost-reply"
    with pytest.raises(DuplicateClientOrderId):  # and resubmitting cannot trade twice
        broker.submit_order(client_order_id="lost-reply", symbol="AAPL", side=Side.BUY, qty=1)


def test_5xx_on_submit_then_retry_succeeds(server: AlpacaServer, settings: Settings, broker: Broker) -> None:
    server.fail_next(2, status=502, method="POST", path="/v2/orders")
    for _ in range(2):
        with pytest.raises(RetryLater, match="502"):
            broker.submit_order(client_order_id="r-1", symbol="AAPL", side=Side.BUY, qty=1)
    assert server.orders == []
    assert broker.submit_order(client_order_id="r-1", symbol="AAPL", side=Side.BUY, qty=1).status


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


# ---- the loopback Alpaca answers like Alpaca (so the adapter is tested against Alpaca's rules) -----------------


def test_fractional_qty_on_a_non_fractionable_asset_is_refused(server: AlpacaServer, broker: Broker) -> None:
    server.set_asset("BRK.B", fractionable=False)
    with pytest.raises(BrokerRejected, match="not fractionable") as info:
        broker.submit_order(client_order_id="frac", symbol="BRK.B", side=Side.BUY, qty=0.5)
    assert (info.value.status, info.value.code) == (422, 40010001)
    assert server.orders == []


def test_short_sale_of_a_non_shortable_asset_is_403(server: AlpacaServer, broker: Broker) -> None:
    server.set_asset("HTZ", shortable=False)
    server.set_quote("HTZ", 9.99, 10.01)
    server.set_positions([{"symbol": "HTZ", "qty": 3, "market_value": 30.0, "avg_entry_price": 9.0}])
    with pytest.raises(BrokerRejected, match="not allowed to short") as info:
        broker.submit_order(client_order_id="short", symbol="HTZ", side=Side.SELL, qty=4)
    assert (info.value.status, info.value.code) == (403, 40310000)
    assert broker.submit_order(client_order_id="close", symbol="HTZ", side=Side.SELL, qty=3).status == "accepted"


def test_wrong_secret_is_401() -> None:
    with AlpacaServer(secret_key="the-right-secret") as strict:
        strict.set_asset("AAPL")
        with pytest.raises(BrokerRejected) as info:
            build_broker(settings_for(strict, secret="not-the-secret")).get_clock()
        assert (info.value.status, info.value.code) == (401, 40110000)
        assert build_broker(settings_for(strict, secret="the-right-secret")).get_clock().is_open
        assert all(r.has_secret for r in strict.requests)


def raw_post(clients: AlpacaClients, body: dict[str, Any]) -> tuple[int, int | None, str]:
    """POST a raw body with alpaca-py's own REST client (below Arena's request checks): status, code, message."""
    from alpaca.common.exceptions import APIError

    try:
        clients.trading.post("/orders", body)
    except APIError as exc:
        return exc.status_code, exc.code, exc.message  # type: ignore[return-value]
    return 200, None, ""


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"client_order_id": "x" * 129}, 422, "128 characters"),
        ({"qty": "ten"}, 422, "qty must be a number"),
        ({"qty": 0}, 422, "qty must be a number"),
        ({"qty": -2}, 422, "qty must be a number"),
        ({"type": "bracket_magic"}, 422, "invalid order type"),
        ({"time_in_force": "forever"}, 422, "invalid time_in_force"),
        ({"qty": 0.5, "time_in_force": "gtc"}, 422, "fractional orders must be day orders"),
        ({"qty": None, "notional": 50, "time_in_force": "ioc"}, 422, "fractional orders must be day orders"),
        ({"qty": None}, 422, "qty or notional"),
    ],
)
def test_order_rules_of_the_loopback(
    server: AlpacaServer, settings: Settings, change: dict[str, Any], status: int, message: str
) -> None:
    body = {"symbol": "AAPL", "qty": 1, "side": "buy", "type": "market", "time_in_force": "day", **change}
    body = {k: v for k, v in body.items() if v is not None}
    got_status, code, text = raw_post(AlpacaClients.from_settings(settings), body)
    assert (got_status, code) == (status, 40010001) and message in text
    assert server.orders == []


def test_the_order_type_and_time_in_force_are_echoed(server: AlpacaServer, settings: Settings) -> None:
    body = {"symbol": "AAPL", "qty": "2", "side": "buy", "type": "limit", "limit_price": "150", "time_in_force": "gtc"}
    assert raw_post(AlpacaClients.from_settings(settings), body)[0] == 200
    (order,) = server.orders
    assert (order["type"], order["order_type"], order["time_in_force"], order["qty"]) == (
        "limit",
        "limit",
        "gtc",
        "2.0",
    )


def test_missing_order_body_and_server_bug_bodies(server: AlpacaServer, settings: Settings) -> None:
    from alpaca.common.exceptions import APIError

    client = AlpacaClients.from_settings(settings).trading
    with pytest.raises(APIError) as missing:
        client.get("/orders:by_client_order_id", {"client_order_id": "nope"})
    assert (missing.value.status_code, missing.value.code, missing.value.message) == (404, 40410000, "order not found")
    with pytest.raises(APIError) as limited:
        server.fail_next(status=429, message="too many requests")
        client.get("/clock")
    assert (limited.value.status_code, limited.value.code) == (429, 42910000)
    with pytest.raises(APIError) as bug:  # an unparsable `after` breaks the loopback: 500, not a dropped socket
        client.get("/orders", {"after": "not-a-time"})
    assert (bug.value.status_code, bug.value.code) == (500, 50000000) and "ValueError" in bug.value.message


def test_missing_secret_header_is_401(server: AlpacaServer) -> None:
    """Below alpaca-py (it always sends both headers): a request with only the key id is refused."""
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(server.url + "/v2/clock", headers={"APCA-API-KEY-ID": "test-key-id"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=2)
    assert info.value.code == 401
    assert json.loads(info.value.read()) == {"code": 40110000, "message": "request is not authorized"}
