"""Order states as one transition table: Alpaca's statuses plus our own `pending`, `unknown`, `submit_failed`.

`pending`: the intent is recorded, nothing sent yet. `unknown`: sent, but the broker's answer never came (timeout)
and a lookup by client_order_id did not find it yet — reconciliation resolves it. `submit_failed`: the broker
refused the request itself (4xx), so no order exists there.
"""

from __future__ import annotations

from arena.kernel.errors import IllegalTransition

OPEN = frozenset(
    {
        "new",
        "accepted",
        "pending_new",
        "accepted_for_bidding",
        "partially_filled",
        "pending_cancel",
        "pending_replace",
        "held",
        "calculated",
        "stopped",
        "suspended",
        "done_for_day",
    }
)
FINAL = frozenset({"filled", "canceled", "expired", "rejected", "replaced", "submit_failed"})
OURS = frozenset({"pending", "unknown"})
ALL = OPEN | FINAL | OURS

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": (OPEN | FINAL | {"unknown"}),
    "unknown": (OPEN | FINAL | {"unknown"}) - {"submit_failed"},
    **{state: (OPEN | FINAL) - {"submit_failed"} for state in OPEN},
    **{state: frozenset({state}) for state in FINAL},
}
# A partially filled order cannot go back to "new"/"accepted": filled quantity only grows.
ORDER_TRANSITIONS["partially_filled"] = ORDER_TRANSITIONS["partially_filled"] - {
    "new",
    "accepted",
    "pending_new",
    "accepted_for_bidding",
}


def is_final(status: str) -> bool:
    return status in FINAL


def check_order_transition(current: str, target: str) -> None:
    if target not in ALL:
        raise IllegalTransition(f"unknown order status {target!r}")
    if target not in ORDER_TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"order cannot go from {current} to {target}")
