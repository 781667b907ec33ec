"""GET /replay/policy: the query (its patterns are the engine's, so the document says exactly what is accepted) and
the report (docs/EVALUATION.md explains each number)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from arena.engine.evaluation.scenarios import MAX_SETS_PER_REQUEST, SET_PATTERN, WINDOW_PATTERN

Interval = tuple[float, float]


class PolicyReplayQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window: str = Field(default="30d", pattern=WINDOW_PATTERN, description="days back from now, e.g. 7d, 30d, 90d")
    sets: list[str] = Field(
        default_factory=list,
        alias="set",
        max_length=MAX_SETS_PER_REQUEST,
        description="repeatable `key=v1,v2` (1-4 values): disagreement_rate, min_confidence, min_valid_votes, "
        "high_risk_portfolio_delta_pct; the scenarios are the cartesian product over the current settings",
        json_schema_extra={"items": {"type": "string", "pattern": SET_PATTERN}},
    )


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")

    settings: dict[str, float] = Field(description="the replayable settings this row was decided under")
    escalations: int = Field(description="runs whose candidate fired an escalation trigger")
    power_calls: int = Field(description="powerful calls made (recorded ones the scenario would pay for)")
    cost_usd: float = Field(description="recorded cost of the calls the scenario makes (lower bound with unknown)")
    no_trade: int
    scored: int = Field(description="final decisions with a recorded score (NO_TRADE never is)")
    hit_rate: float | None
    hit_rate_ci: Interval | None = Field(description="90 % bootstrap interval")
    mean_return_pct: float | None = Field(description="mean signed return of the scored final decisions, percent")
    mean_return_ci: Interval | None


class ReplayActual(_Row):
    """What happened in the runs considered."""


class ReplayScenario(_Row):
    current: bool = Field(description="these are the current guardrail settings")
    decisions_changed: int = Field(description="runs whose final action or symbol differs from what happened")
    unknown: int = Field(description="runs that would need a judge or powerful answer that was never recorded")


class PolicyReplay(BaseModel):
    model_config = ConfigDict(extra="allow")

    window: str
    since: str
    runs_considered: int
    skipped: dict[str, int] = Field(description="runs that could not be re-decided, by reason")
    actual: ReplayActual
    scenarios: list[ReplayScenario]
