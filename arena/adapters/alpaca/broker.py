"""AlpacaBroker: the Broker port (arena.engine.ports) over alpaca-py — market orders, lookups, clock, assets.

Idempotency rests on `client_order_id`: Alpaca rejects a second order with the same id (HTTP 422), which the
error table turns into DuplicateClientOrderId so the caller fetches the existing order instead of trading twice.
"""

from __future__ import annotations

from typing import Any

from arena.adapters.alpaca._convert import enum_text, number, number_or_zero
from arena.adapters.alpaca.client import AlpacaClients, expect
from arena.engine.ports import AssetView, BrokerOrderView, ClockView, TimeInForceName
from arena.kernel.errors import BrokerRejected, InvalidRequestError
from arena.kernel.kinds import Side


def order_view(order: Any) -> BrokerOrderView:
    """Shape an alpaca-py Order into Arena's view."""
    return BrokerOrderView(
        broker_order_id=str(order.id),
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=enum_text(order.side),
        qty=number(order.qty),
        notional=number(order.notional),
        filled_qty=number_or_zero(order.filled_qty),
        filled_avg_price=number(order.filled_avg_price),
        status=enum_text(order.status) or "",
        submitted_at=order.submitted_at,
        updated_at=order.updated_at,
        filled_at=order.filled_at,
        raw=order.model_dump(mode="json", exclude_none=True),
    )


def _market_order(
    *,
    client_order_id: str,
    symbol: str,
    side: Side,
    qty: float | None,
    notional: float | None,
    time_in_force: TimeInForceName,
) -> Any:
    """alpaca-py's MarketOrderRequest, or InvalidRequestError before anything is sent."""
    from alpaca.trading.enums import OrderSide, TimeInForce
    from alpaca.trading.requests import MarketOrderRequest

    if not client_order_id or len(client_order_id) > 128:
        raise InvalidRequestError("client_order_id must be 1-128 characters", field="client_order_id")
    if (qty is None) == (notional is None):
        raise InvalidRequestError("give exactly one of qty or notional", field="qty")
    if (qty is not None and qty <= 0) or (notional is not None and notional <= 0):
        raise InvalidRequestError("qty / notional must be positive", field="qty")
    try:
        return MarketOrderRequest(
            symbol=symbol.upper(),
            qty=qty,
            notional=notional,
            side=OrderSide(side),
            time_in_force=TimeInForce(time_in_force),
            client_order_id=client_order_id,
        )
    except ValueError as exc:  # pydantic.ValidationError and bad enum values
        raise InvalidRequestError(f"invalid order: {exc}", field="order") from None


class AlpacaBroker:
    """Implements arena.engine.ports.Broker with the process's one TradingClient (see AlpacaClients)."""

    def __init__(self, clients: AlpacaClients) -> None:
        self.clients = clients

    def submit_order(
        self,
        *,
        client_order_id: str,
        symbol: str,
        side: Side,
        qty: float | None = None,
        notional: float | None = None,
        time_in_force: TimeInForceName = "day",
    ) -> BrokerOrderView:
        """Submit one market order; exactly one of qty (shares) or notional (dollars) must be given."""
        from alpaca.trading.models import Order

        request = _market_order(
            client_order_id=client_order_id,
            symbol=symbol,
            side=side,
            qty=qty,
            notional=notional,
            time_in_force=time_in_force,
        )
        client = self.clients.trading
        with self.clients.errors("submit order"):
            return order_view(expect(client.submit_order(request), Order))

    def get_order_by_client_id(self, client_order_id: str) -> BrokerOrderView | None:
        """The order with this client_order_id, or None when Alpaca has none (404)."""
        from alpaca.trading.models import Order

        client = self.clients.trading
        try:
            with self.clients.errors("get order by client id"):
                return order_view(expect(client.get_order_by_client_id(client_order_id), Order))
        except BrokerRejected as exc:
            if exc.status == 404:
                return None
            raise

    def get_clock(self) -> ClockView:
        from alpaca.trading.models import Clock

        client = self.clients.trading
        with self.clients.errors("get clock"):
            clock = expect(client.get_clock(), Clock)
        return ClockView(is_open=clock.is_open, next_open=clock.next_open, next_close=clock.next_close)

    def get_asset(self, symbol: str) -> AssetView:
        """Tradability flags for a symbol; an unknown symbol (404) is an InvalidRequestError naming it."""
        from alpaca.trading.models import Asset

        client = self.clients.trading
        try:
            with self.clients.errors("get asset"):
                asset = expect(client.get_asset(symbol.upper()), Asset)
        except BrokerRejected as exc:
            if exc.status == 404:
                raise InvalidRequestError(f"unknown symbol at Alpaca: {symbol}", field="symbols") from None
            raise
        return AssetView(
            symbol=asset.symbol,
            tradable=asset.tradable,
            fractionable=asset.fractionable,
            shortable=asset.shortable,
        )
