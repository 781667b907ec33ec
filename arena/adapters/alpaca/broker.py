"""The broker adapter the execution pipeline calls: market orders, order lookup, clock, assets, fills.

Idempotency rests on `client_order_id`: Alpaca rejects a second order with the same id (HTTP 422), which
surfaces here as DuplicateClientOrderId so the caller fetches the existing order instead of trading twice.
Errors follow arena.market.alpaca_client: RetryLater (AlpacaUnavailable) or GiveUpAndRecord
(AlpacaRequestFailed, with `.status_code`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from arena.adapters.alpaca.client import AlpacaRequestFailed, expect, trading_client, vendor_errors
from arena.engine.config.settings import Settings
from arena.kernel.errors import InvalidRequestError

Side = Literal["buy", "sell"]
TimeInForceName = Literal["day", "gtc", "opg", "cls", "ioc", "fok"]


class DuplicateClientOrderId(AlpacaRequestFailed):
    """Alpaca already has an order with this client_order_id; fetch it with get_order_by_client_id."""


class BrokerOrderView(BaseModel):
    """An Alpaca order as Arena records it; `status` is Alpaca's own lower-case status string."""

    model_config = ConfigDict(frozen=True)

    broker_order_id: str
    client_order_id: str
    symbol: str | None
    side: str | None
    qty: float | None
    notional: float | None
    filled_qty: float
    filled_avg_price: float | None
    status: str
    submitted_at: datetime | None
    updated_at: datetime | None
    filled_at: datetime | None
    raw: dict[str, Any]


class ClockView(BaseModel):
    model_config = ConfigDict(frozen=True)

    is_open: bool
    next_open: datetime
    next_close: datetime


class AssetView(BaseModel):
    model_config = ConfigDict(frozen=True)

    symbol: str
    tradable: bool
    fractionable: bool
    shortable: bool


class FillView(BaseModel):
    """The cumulative fill of one order (see list_fill_activities for why it is per order)."""

    model_config = ConfigDict(frozen=True)

    broker_order_id: str
    client_order_id: str
    symbol: str | None
    side: str | None
    filled_qty: float
    filled_avg_price: float | None
    filled_at: datetime | None
    status: str


def _float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _enum_text(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value)).lower()


def order_view(order: Any) -> BrokerOrderView:
    """Shape an alpaca-py Order into Arena's view (public so reconciliation can reuse it)."""
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


def submit_order(
    settings: Settings,
    *,
    client_order_id: str,
    symbol: str,
    side: Side,
    qty: float | None = None,
    notional: float | None = None,
    time_in_force: TimeInForceName = "day",
) -> BrokerOrderView:
    """Submit one market order; exactly one of qty (shares) or notional (dollars) must be given."""
    from alpaca.trading.enums import OrderSide, TimeInForce
    from alpaca.trading.models import Order
    from alpaca.trading.requests import MarketOrderRequest

    if not client_order_id or len(client_order_id) > 128:
        raise InvalidRequestError("client_order_id must be 1-128 characters", field="client_order_id")
    if (qty is None) == (notional is None):
        raise InvalidRequestError("give exactly one of qty or notional", field="qty")
    if (qty is not None and qty <= 0) or (notional is not None and notional <= 0):
        raise InvalidRequestError("qty / notional must be positive", field="qty")
    try:
        request = MarketOrderRequest(
            symbol=symbol.upper(),
            qty=qty,
            notional=notional,
            side=OrderSide(side),
            time_in_force=TimeInForce(time_in_force),
            client_order_id=client_order_id,
        )
    except ValueError as exc:  # pydantic.ValidationError and bad enum values
        raise InvalidRequestError(f"invalid order: {exc}", field="order") from None
    client = trading_client(settings)
    try:
        with vendor_errors(settings, "submit order"):
            return order_view(expect(client.submit_order(request), Order))
    except AlpacaRequestFailed as exc:
        if _is_duplicate(exc):
            raise DuplicateClientOrderId(
                f"client_order_id {client_order_id!r} already used at Alpaca: {exc.detail}",
                status_code=exc.status_code,
                vendor_code=exc.vendor_code,
                detail=exc.detail,
            ) from None
        raise


def _is_duplicate(exc: AlpacaRequestFailed) -> bool:
    """Alpaca answers 422 "client_order_id must be unique"; match the wording loosely."""
    detail = exc.detail.lower()
    return (
        exc.status_code == 422
        and "client_order_id" in detail
        and any(word in detail for word in ("unique", "duplicate", "already"))
    )


def get_order_by_client_id(settings: Settings, client_order_id: str) -> BrokerOrderView | None:
    """The order with this client_order_id, or None when Alpaca has none (404)."""
    from alpaca.trading.models import Order

    client = trading_client(settings)
    try:
        with vendor_errors(settings, "get order by client id"):
            return order_view(expect(client.get_order_by_client_id(client_order_id), Order))
    except AlpacaRequestFailed as exc:
        if exc.status_code == 404:
            return None
        raise


def cancel_order(settings: Settings, broker_order_id: str) -> None:
    """Ask Alpaca to cancel an open order; 422 (already filled/cancelled) comes back as GiveUpAndRecord."""
    from uuid import UUID

    try:
        order_id = UUID(broker_order_id)
    except ValueError:
        raise InvalidRequestError(f"not an Alpaca order id: {broker_order_id!r}", field="order") from None
    client = trading_client(settings)
    with vendor_errors(settings, "cancel order"):
        client.cancel_order_by_id(order_id)


def get_clock(settings: Settings) -> ClockView:
    from alpaca.trading.models import Clock

    client = trading_client(settings)
    with vendor_errors(settings, "get clock"):
        clock = expect(client.get_clock(), Clock)
    return ClockView(is_open=clock.is_open, next_open=clock.next_open, next_close=clock.next_close)


def get_asset(settings: Settings, symbol: str) -> AssetView:
    """Tradability flags for a symbol; an unknown symbol (404) is an InvalidRequestError naming it."""
    from alpaca.trading.models import Asset

    client = trading_client(settings)
    try:
        with vendor_errors(settings, "get asset"):
            asset = expect(client.get_asset(symbol.upper()), Asset)
    except AlpacaRequestFailed as exc:
        if exc.status_code == 404:
            raise InvalidRequestError(f"unknown symbol at Alpaca: {symbol}", field="symbols") from None
        raise
    return AssetView(
        symbol=asset.symbol,
        tradable=asset.tradable,
        fractionable=asset.fractionable,
        shortable=asset.shortable,
    )


def list_fill_activities(settings: Settings, *, after: datetime | None = None) -> list[FillView]:
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
    client = trading_client(settings)
    with vendor_errors(settings, "list orders"):
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
