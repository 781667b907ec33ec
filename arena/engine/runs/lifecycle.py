"""Run lifecycle as one transition table; an illegal move is an error, never a silent overwrite."""

from __future__ import annotations

from arena.kernel.errors import IllegalTransition

RUN_TRANSITIONS: dict[str, frozenset[str]] = {
    "queued": frozenset({"running", "failed", "abandoned"}),
    "running": frozenset({"completed", "failed", "abandoned"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "abandoned": frozenset(),
}
FINAL_RUN_STATUSES = frozenset(s for s, nxt in RUN_TRANSITIONS.items() if not nxt)


def check_run_transition(current: str, target: str) -> None:
    if target not in RUN_TRANSITIONS.get(current, frozenset()):
        raise IllegalTransition(f"run cannot go from {current} to {target}")
