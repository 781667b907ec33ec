"""AlpacaBroker: the Broker port (arena.engine.ports) over alpaca-py — market orders, lookups, clock, assets, fills.

Idempotency rests on `client_order_id`: Alpaca rejects a second order with the same id (HTTP 422), which the
error table turns into DuplicateClientOrderId so the caller fetches the existing order instead of trading twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from arena.adapters.alpaca.client import AlpacaClients, expect
from arena.engine.ports import AssetView, BrokerOrderView, ClockView, FillView, Side, TimeInForceName
from arena.kernel.errors import BrokerRejected, InvalidRequestError


def _float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _enum_text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value)).lower()


def order_view(order: Any) -> BrokerOrderView:
    """Shape an alpaca-py Order into Arena's view."""
    return BrokerOrderView(
        broker_order_id=str(order.id),
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=_enum_text(order.side),
        qty=_float(order.qty),
        notional=_float(order.notional),
        filled_qty=_float(order.filled_qty) or 0.0,
        filled_avg_price=_float(order.filled_avg_price),
        status=_enum_text(order.status) or "",
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

    def cancel_order(self, broker_order_id: str) -> None:
        """Ask Alpaca to cancel an open order; 422 (already filled/cancelled) comes back as BrokerRejected."""
        try:
            order_id = UUID(broker_order_id)
        except ValueError:
            raise InvalidRequestError(f"not an Alpaca order id: {broker_order_id!r}", field="order") from None
        client = self.clients.trading
        with self.clients.errors("cancel order"):
            client.cancel_order_by_id(order_id)

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

    def list_fill_activities(self, *, after: datetime | None = None) -> list[FillView]:
        """Fills, one per order that has filled anything, oldest submission first.

        alpaca-py 0.44's TradingClient has no account-activities call (only the models), so fills are
        derived from orders: cumulative `filled_qty` at `filled_avg_price`, not one row per execution.
        `after` is Alpaca's order filter (orders *submitted* after it); at most 500 orders are read.
        """
        from alpaca.common.enums import Sort
        from alpaca.trading.enums import QueryOrderStatus
        from alpaca.trading.models import Order
        from alpaca.trading.requests import GetOrdersRequest

        request = GetOrdersRequest(status=QueryOrderStatus.ALL, after=after, limit=500, direction=Sort.ASC)
        client = self.clients.trading
        with self.clients.errors("list orders"):
            orders = [order_view(expect(o, Order)) for o in expect(client.get_orders(request), list)]
        return [
            FillView(
                broker_order_id=o.broker_order_id,
                client_order_id=o.client_order_id,
                symbol=o.symbol,
                side=o.side,
                filled_qty=o.filled_qty,
                filled_avg_price=o.filled_avg_price,
                filled_at=o.filled_at,
                status=o.status,
            )
            for o in orders
            if o.filled_qty > 0
        ]
