"""The Alpaca adapter's one error table, row by row: what each vendor failure becomes, through the real alpaca-py
talking HTTP to the loopback Alpaca (nothing inside alpaca-py is patched)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from arena.adapters.alpaca.broker import AlpacaBroker
from arena.adapters.alpaca.client import AlpacaClients, AlpacaConfig
from arena.adapters.alpaca.errors import error_for_status
from arena.kernel.errors import (
    ArenaError,
    BrokerRejected,
    BrokerUnavailable,
    ConfigurationError,
    DuplicateClientOrderId,
    GiveUpAndRecord,
    RetryLater,
)
from tests.support.alpaca_server import AlpacaServer, settings_for

# status → (Arena error, what the caller should do)
STATUS_TABLE: list[tuple[int, type[ArenaError], type[ArenaError]]] = [
    (400, BrokerRejected, GiveUpAndRecord),
    (401, BrokerRejected, GiveUpAndRecord),
    (403, BrokerRejected, GiveUpAndRecord),
    (404, BrokerRejected, GiveUpAndRecord),
    (408, BrokerUnavailable, RetryLater),
    (422, BrokerRejected, GiveUpAndRecord),
    (429, BrokerUnavailable, RetryLater),
    (500, BrokerUnavailable, RetryLater),
    (502, BrokerUnavailable, RetryLater),
    (503, BrokerUnavailable, RetryLater),
    (504, BrokerUnavailable, RetryLater),
]


@pytest.fixture
def server() -> Iterator[AlpacaServer]:
    with AlpacaServer(hang_seconds=2.0) as srv:
        srv.set_clock(True)
        srv.set_asset("AAPL")
        yield srv


def broker_for(server: AlpacaServer, *, key: str = "test-key-id", secret: str = "test-secret") -> AlpacaBroker:
    return AlpacaBroker(AlpacaClients(AlpacaConfig.from_settings(settings_for(server, key=key, secret=secret))))


@pytest.mark.parametrize(("status", "error", "advice"), STATUS_TABLE)
def test_each_status_maps_to_one_arena_error(
    server: AlpacaServer, status: int, error: type[ArenaError], advice: type[ArenaError]
) -> None:
    broker = broker_for(server)
    assert broker.clients.trading is not None  # alpaca-py imported and the client built before the clock starts
    server.fail_next(status=status, message=f"failure {status}", path="/v2/clock")
    started = time.monotonic()
    with pytest.raises(error) as info:
        broker.get_clock()
    assert time.monotonic() - started < 1.0  # alpaca-py's own 3 × 3 s retry on 429/504 is off
    assert isinstance(info.value, advice) and not isinstance(info.value, DuplicateClientOrderId)
    assert f"HTTP {status}" in str(info.value) and f"failure {status}" in str(info.value)
    if isinstance(info.value, BrokerRejected):
        assert (info.value.status, info.value.code) == (status, status * 100000)
    assert len(server.requests) == 1  # no hidden retry


def test_422_duplicate_client_order_id_is_its_own_row(server: AlpacaServer) -> None:
    broker = broker_for(server)
    broker.submit_order(client_order_id="twice", symbol="AAPL", side="buy", qty=1)
    with pytest.raises(DuplicateClientOrderId) as info:
        broker.submit_order(client_order_id="twice", symbol="AAPL", side="buy", qty=1)
    assert isinstance(info.value, BrokerRejected) and info.value.status == 422
    assert len(server.orders) == 1


def test_timeout_and_refused_connection_are_retry_later(server: AlpacaServer) -> None:
    server.hang_next(path="/v2/clock")
    with pytest.raises(BrokerUnavailable, match=r"timed out after 0\.5s"):
        broker_for(server).get_clock()
    with AlpacaServer() as gone:
        broker = broker_for(gone)
    with pytest.raises(BrokerUnavailable, match="ConnectionError"):
        broker.get_clock()


def test_bad_url_is_configuration_error(server: AlpacaServer) -> None:
    settings = settings_for(server).model_copy(update={"alpaca_trading_url": "not a url"})
    with pytest.raises(ConfigurationError, match="not a valid URL"):
        AlpacaBroker(AlpacaClients(AlpacaConfig.from_settings(settings))).get_clock()


def test_secrets_never_reach_the_message() -> None:
    key, secret = "PKWRONGKEY123", "very-secret-value-456"
    with AlpacaServer(key_id="PKRIGHTKEY") as server, pytest.raises(BrokerRejected) as info:
        broker_for(server, key=key, secret=secret).get_clock()
    text = f"{info.value} {info.value!r} {info.value.__cause__!r} {info.value.__context__!r}"
    assert info.value.status == 401 and key not in text and secret not in text


def test_status_rows_without_a_server() -> None:
    """The status half of the table as a function, including the duplicate wording it recognises."""
    dup = error_for_status(422, message="m", code=40010001, detail="client_order_id must be unique")
    assert type(dup) is DuplicateClientOrderId and dup.code == 40010001
    assert type(error_for_status(422, message="m", code=None, detail="asset not tradable")) is BrokerRejected
    assert type(error_for_status(None, message="m", code=None, detail="")) is BrokerUnavailable
    assert type(error_for_status(409, message="m", code=None, detail="")) is BrokerRejected
