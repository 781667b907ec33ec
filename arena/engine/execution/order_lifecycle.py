"""Order states as one transition table: Alpaca's statuses plus our own `pending`, `unknown`, `submit_failed`.

The table itself lives in the kernel (`arena/kernel/lifecycles.py`) so the order repository enforces it as well;
these are the engine's names for it.
"""

from __future__ import annotations

from arena.kernel.lifecycles import (
    FINAL_ORDER_STATUSES,
    OPEN_ORDER_STATUSES,
    ORDER_TRANSITIONS,
    OUR_ORDER_STATUSES,
    check_order_transition,
)
from arena.kernel.lifecycles import is_final_order_status as is_final
from arena.kernel.states import OrderStatus

OPEN = OPEN_ORDER_STATUSES
FINAL = FINAL_ORDER_STATUSES
OURS = OUR_ORDER_STATUSES
ALL: frozenset[OrderStatus] = frozenset(OrderStatus)

__all__ = ["ALL", "FINAL", "OPEN", "ORDER_TRANSITIONS", "OURS", "check_order_transition", "is_final"]
