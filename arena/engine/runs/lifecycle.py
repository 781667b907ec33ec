"""Run lifecycle: the one transition table (kept in the kernel so storage enforces it too); an illegal move is an
error, never a silent overwrite."""

from __future__ import annotations

from arena.kernel.lifecycles import FINAL_RUN_STATUSES, RUN_TRANSITIONS, check_run_transition

RUN_ERROR_MAX_CHARS = 500  # what a failed or abandoned run keeps of its reason (`ai_arena_runs.error`)

__all__ = ["FINAL_RUN_STATUSES", "RUN_ERROR_MAX_CHARS", "RUN_TRANSITIONS", "check_run_transition"]
