"""A profile's tool policy: whether its agent may call tools, which ones, how many rounds and how much time."""

from __future__ import annotations

from dataclasses import dataclass

from arena.engine.tools.catalog import ALL_TOOLS, ToolName
from arena.kernel.kinds import ToolPolicy

DEFAULT_MAX_ROUNDS = 3
MAX_ROUNDS_LIMIT = 8
DEFAULT_MAX_SECONDS = 20.0


@dataclass(frozen=True)
class ToolPlan:
    """What one agent may do with tools in one decision; `offered` empty means no tools are offered, and `why_not`
    says why (policy none, no allowed tool, or a model without tool support)."""

    offered: tuple[ToolName, ...]
    max_rounds: int
    max_seconds: float
    why_not: str | None = None

    @property
    def enabled(self) -> bool:
        return bool(self.offered) and self.max_rounds > 0


NO_TOOLS = ToolPlan(offered=(), max_rounds=0, max_seconds=0.0, why_not="tool policy is none")


def plan_tools(
    *,
    policy: str,
    allowed: list[str] | None,
    max_rounds: int,
    max_seconds: float,
    model_supports_tools: bool,
) -> ToolPlan:
    """The plan for a profile version: `allowed` None means every read-only tool."""
    if policy != ToolPolicy.READ_ONLY:
        return NO_TOOLS
    names = ALL_TOOLS if allowed is None else tuple(ToolName(n) for n in allowed if n in set(ToolName))
    if not names:
        return ToolPlan((), 0, 0.0, why_not="tool policy allows no tool")
    if max_rounds <= 0:
        return ToolPlan((), 0, 0.0, why_not="tool rounds capped at 0")
    if not model_supports_tools:
        return ToolPlan(
            (), 0, 0.0, why_not="the capability table says this model has no tool support; it runs without tools"
        )
    return ToolPlan(names, max_rounds, max_seconds)
