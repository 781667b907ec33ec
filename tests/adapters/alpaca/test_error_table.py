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
from arena.kernel.kinds import Side
from tests.support.alpaca_server import AlpacaServer, settings_for

# status, Alpaca's error code → (Arena error, what the caller should do)
STATUS_TABLE: list[tuple[int, int, type[ArenaError], type[ArenaError]]] = [
    (400, 40010000, BrokerRejected, GiveUpAndRecord),
    (401, 40110000, BrokerRejected, GiveUpAndRecord),
    (403, 40310000, BrokerRejected, GiveUpAndRecord),
    (404, 40410000, BrokerRejected, GiveUpAndRecord),
    (408, 40810000, BrokerUnavailable, RetryLater),
    (422, 42210000, BrokerRejected, GiveUpAndRecord),
    (429, 42910000, BrokerUnavailable, RetryLater),
    (500, 50010000, BrokerUnavailable, RetryLater),
    (502, 50000000, BrokerUnavailable, RetryLater),
    (503, 50000000, BrokerUnavailable, RetryLater),
    (504, 50000000, BrokerUnavailable, RetryLater),
]


@pytest.fixture
def server() -> Iterator[AlpacaServer]:
    with AlpacaServer(hang_seconds=2.0) as srv:
        srv.set_clock(True)
        srv.set_asset("AAPL")
        yield srv


def broker_for(server: AlpacaServer, *, key: str = "test-key-id", secret: str = "test-secret") -> AlpacaBroker:
    return AlpacaBroker(AlpacaClients(AlpacaConfig.from_settings(settings_for(server, key=key, secret=secret))))


@pytest.mark.parametrize(("status", "code", "error", "advice"), STATUS_TABLE)
def test_each_status_maps_to_one_arena_error(
    server: AlpacaServer, status: int, code: int, error: type[ArenaError], advice: type[ArenaError]
) -> None:
    broker = broker_for(server)
    _ = broker.clients.trading  # warm-up: alpaca-py imported and the client built before the clock starts
    server.fail_next(status=status, code=code, message=f"failure {status}", path="/v2/clock")
    started = time.monotonic()
    with pytest.raises(error) as info:
        broker.get_clock()
    assert time.monotonic() - started < 1.0  # alpaca-py's own 3 × 3 s retry on 429/504 is off
    assert isinstance(info.value, advice) and not isinstance(info.value, DuplicateClientOrderId)
    assert f"HTTP {status}" in str(info.value) and f"failure {status}" in str(info.value)
    if isinstance(info.value, BrokerRejected):
        assert (info.value.status, info.value.code) == (status, code)
    assert len(server.requests) == 1  # no hidden retry


def test_422_duplicate_client_order_id_is_its_own_row(server: AlpacaServer) -> None:
    broker = broker_for(server)
    broker.submit_order(client_order_id="twice", symbol="AAPL", side=Side.BUY, qty=1)
    with pytest.raises(DuplicateClientOrderId) as info:
        broker.submit_order(client_order_id="twice", symbol="AAPL", side=Side.BUY, qty=1)
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
    """The loopback's 401 repeats the key and secret it was sent; Arena's error must not."""
    from alpaca.common.exceptions import APIError

    key, secret = "PKWRONGKEY123", "very-secret-value-456"
    with AlpacaServer(key_id="PKRIGHTKEY", echo_credentials=True) as server:
        broker = broker_for(server, key=key, secret=secret)
        with pytest.raises(APIError) as raw:  # what alpaca-py itself sees: the secret is in the body
            broker.clients.trading.get("/clock")
        assert secret in str(raw.value) and key in str(raw.value)
        with pytest.raises(GiveUpAndRecord) as info:
            broker.get_clock()
    text = f"{info.value} {info.value!r} {info.value.__cause__!r} {info.value.__context__!r}"
    assert isinstance(info.value, BrokerRejected) and (info.value.status, info.value.code) == (401, 40110000)
    assert "HTTP 401" in str(info.value) and "request is not authorized" in str(info.value)
    assert key not in text and secret not in text
    assert "key '***', secret '***'" in str(info.value)  # the redaction marker where the secrets were


def test_a_submit_answer_alpaca_py_cannot_parse_has_no_status(server: AlpacaServer) -> None:
    """200 with a body that is not an Order: BrokerRejected without an HTTP status (the pipeline looks it up)."""
    server.unreadable_next()
    with pytest.raises(BrokerRejected, match="unexpected response") as info:
        broker_for(server).submit_order(client_order_id="garbled", symbol="AAPL", side=Side.BUY, qty=1)
    assert (info.value.status, info.value.code) == (None, None)
    assert [o["client_order_id"] for o in server.orders] == ["garbled"]  # the broker took it all the same


def test_status_rows_without_a_server() -> None:
    """The status half of the table as a function, including the duplicate wording it recognises."""
    dup = error_for_status(422, message="m", code=40010001, detail="client_order_id must be unique")
    assert type(dup) is DuplicateClientOrderId and dup.code == 40010001
    assert type(error_for_status(422, message="m", code=None, detail="asset not tradable")) is BrokerRejected
    assert type(error_for_status(None, message="m", code=None, detail="")) is BrokerUnavailable
    assert type(error_for_status(409, message="m", code=None, detail="")) is BrokerRejected
