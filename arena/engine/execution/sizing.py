"""Turn a decision's sizing into a share quantity, with explicit rounding rules.

Rules: the target dollar size comes from the sizing (pct_equity × equity, notional_usd, or shares × price);
quantity = size / price rounded DOWN to whole shares; when that is zero and the asset is fractionable (and the
order is not a short sale), it is rounded down to 0.0001 shares instead. A SELL against a long position never
sells more than is held. A result of zero is a recorded non-execution, never an order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from arena.engine.decide.decision import Sizing
from arena.engine.market.snapshot import PortfolioState
from arena.kernel.kinds import Action, Side, SizingKind

FRACTION_STEP = 0.0001


@dataclass(frozen=True)
class SizedOrder:
    side: Side
    qty: float
    price: float
    notional: float
    reduces_position: bool
    opens_short: bool
    rule: str


def size_order(
    *, action: str, symbol: str, sizing: Sizing, price: float, portfolio: PortfolioState, fractionable: bool
) -> SizedOrder:
    if price <= 0:
        return SizedOrder(_side(action), 0.0, price, 0.0, False, False, "no usable price")
    if sizing.kind == SizingKind.PCT_EQUITY:
        target = portfolio.equity * sizing.value / 100.0
    elif sizing.kind == SizingKind.NOTIONAL_USD:
        target = sizing.value
    else:
        target = sizing.value * price
    held = portfolio.position(symbol)
    held_qty = held.qty if held is not None else 0.0
    side = _side(action)
    opens_short = side == Side.SELL and held_qty <= 0
    raw = target / price
    qty = float(math.floor(raw))
    rule = "whole shares, rounded down"
    if qty == 0 and fractionable and not opens_short:
        qty = math.floor(raw / FRACTION_STEP) * FRACTION_STEP
        qty = round(qty, 4)
        rule = "fractional shares, rounded down to 0.0001"
    if side == Side.SELL and held_qty > 0 and qty > held_qty:
        qty, rule = held_qty, rule + "; capped at the shares held"
    reduces = (side == Side.SELL and held_qty > 0) or (side == Side.BUY and held_qty < 0)
    return SizedOrder(side, qty, price, round(qty * price, 2), reduces, opens_short, rule)


def _side(action: str) -> Side:
    return Side.BUY if action == Action.BUY else Side.SELL
