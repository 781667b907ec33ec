"""The transition tables of runs and orders, as pure data, and the one check every status change goes through.

Storage enforces them: `runs.move_run` and `orders.move_order` refuse an illegal move, and they are the only
writers of a run's or an order's status. Nothing else defines them.

Orders: Alpaca's statuses plus our own `pending` (the intent is recorded, nothing sent yet), `unknown` (sent, but
the broker's answer never came and a lookup by client_order_id did not find it yet — reconciliation resolves it)
and `submit_failed` (the broker refused the request itself, so no order exists there).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from arena.kernel.errors import IllegalTransition
from arena.kernel.states import OrderStatus, RunStatus

S = TypeVar("S", bound=StrEnum)

RUN_TRANSITIONS: Mapping[RunStatus, frozenset[RunStatus]] = MappingProxyType(
    {
        RunStatus.QUEUED: frozenset({RunStatus.RUNNING, RunStatus.FAILED, RunStatus.ABANDONED}),
        RunStatus.RUNNING: frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.ABANDONED}),
        RunStatus.COMPLETED: frozenset(),
        RunStatus.FAILED: frozenset(),
        RunStatus.ABANDONED: frozenset(),
    }
)
FINAL_RUN_STATUSES: frozenset[RunStatus] = frozenset(s for s, nxt in RUN_TRANSITIONS.items() if not nxt)

OPEN_ORDER_STATUSES: frozenset[OrderStatus] = frozenset(
    {
        OrderStatus.NEW,
        OrderStatus.ACCEPTED,
        OrderStatus.PENDING_NEW,
        OrderStatus.ACCEPTED_FOR_BIDDING,
        OrderStatus.PARTIALLY_FILLED,
        OrderStatus.PENDING_CANCEL,
        OrderStatus.PENDING_REPLACE,
        OrderStatus.HELD,
        OrderStatus.CALCULATED,
        OrderStatus.STOPPED,
        OrderStatus.SUSPENDED,
        OrderStatus.DONE_FOR_DAY,
    }
)
FINAL_ORDER_STATUSES: frozenset[OrderStatus] = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.EXPIRED,
        OrderStatus.REJECTED,
        OrderStatus.REPLACED,
        OrderStatus.SUBMIT_FAILED,
    }
)
OUR_ORDER_STATUSES: frozenset[OrderStatus] = frozenset({OrderStatus.PENDING, OrderStatus.UNKNOWN})
# A partially filled order cannot go back to "new"/"accepted": filled quantity only grows.
_NOT_AFTER_A_FILL = frozenset(
    {OrderStatus.NEW, OrderStatus.ACCEPTED, OrderStatus.PENDING_NEW, OrderStatus.ACCEPTED_FOR_BIDDING}
)
_LIVE = OPEN_ORDER_STATUSES | FINAL_ORDER_STATUSES

ORDER_TRANSITIONS: Mapping[OrderStatus, frozenset[OrderStatus]] = MappingProxyType(
    {
        OrderStatus.PENDING: _LIVE | {OrderStatus.UNKNOWN},
        OrderStatus.UNKNOWN: (_LIVE | {OrderStatus.UNKNOWN}) - {OrderStatus.SUBMIT_FAILED},
        **{
            state: _LIVE - {OrderStatus.SUBMIT_FAILED} for state in OPEN_ORDER_STATUSES - {OrderStatus.PARTIALLY_FILLED}
        },
        OrderStatus.PARTIALLY_FILLED: _LIVE - {OrderStatus.SUBMIT_FAILED} - _NOT_AFTER_A_FILL,
        **{state: frozenset({state}) for state in FINAL_ORDER_STATUSES},
    }
)


def check_transition(table: Mapping[S, frozenset[S]], current: str, target: str, *, what: str) -> S:
    """`target` as a member of the table's vocabulary, or IllegalTransition when the table does not allow the move.

    An unknown state (on either side) is illegal too: a state the table does not name has no allowed moves.
    """
    vocabulary = type(next(iter(table)))
    if target not in vocabulary.__members__.values():
        raise IllegalTransition(f"unknown {what} status {target!r}")
    if current not in vocabulary.__members__.values():
        raise IllegalTransition(f"{what} is in unknown status {current!r}")
    source, member = vocabulary(current), vocabulary(target)
    if member not in table[source]:
        raise IllegalTransition(f"{what} cannot go from {current} to {target}")
    return member


def check_run_transition(current: str, target: str) -> RunStatus:
    return check_transition(RUN_TRANSITIONS, current, target, what="run")


def check_order_transition(current: str, target: str) -> OrderStatus:
    return check_transition(ORDER_TRANSITIONS, current, target, what="order")


def is_final_order_status(status: str) -> bool:
    return status in FINAL_ORDER_STATUSES


ACTIVE_RUN_STATUSES: frozenset[RunStatus] = frozenset(RunStatus) - FINAL_RUN_STATUSES
"""Queued or running: a run that will still change (the pages follow it live until it leaves these)."""
