"""Request and response bodies of the REST API (also the source of the OpenAPI document's schemas).

Requests forbid unknown fields, so a typo is a 422 rather than silently ignored. Responses are validated from the
read models of `arena/storage/read/` turned into JSON data (`values.jsonable`); they allow extra keys so a field
added to a read model reaches clients without a release here.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

from arena.engine.config.profiles import NAME_PATTERN
from arena.engine.enum_schema import inline_enum
from arena.engine.market.symbols import MAX_SYMBOLS, SYMBOL_LIST_PATTERN, SYMBOL_PATTERN, symbols_from_input
from arena.kernel.errors import InvalidRequestError
from arena.kernel.kinds import LeaderboardGroup, LeaderboardWindow, RunMode
from arena.storage.read.run_listing import MAX_LIMIT


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    model_config = ConfigDict(extra="allow")


_NAME = NAME_PATTERN.removeprefix("^").removesuffix("$")  # a profile name, unanchored
AGENT_PATTERN = f"^ *{_NAME} *$"
AGENT_LIST_PATTERN = f"^ *{_NAME} *(, *{_NAME} *)*$"
_AGENT = re.compile(AGENT_PATTERN)
_AGENT_LIST = re.compile(AGENT_LIST_PATTERN)
RUN_ID_PATTERN = "^[0-9a-f]{32}$"
CURSOR_PATTERN = "^[A-Za-z0-9_-]+$"  # unpadded URL-safe base64, as the listing writes it


def _symbols(value: Any) -> list[str]:
    """A list of tickers or `"AAPL,MSFT"`, checked against the published patterns, then normalized."""
    try:
        return symbols_from_input(value)
    except InvalidRequestError as exc:
        raise ValueError(str(exc)) from None


def _names(value: Any) -> list[str] | None:
    """Profile names as a list or `"a, b"`, checked against the published patterns; none → None (the default)."""
    if value is None:
        return None
    if isinstance(value, str):
        if not _AGENT_LIST.fullmatch(value):
            raise ValueError("not a comma-separated list of profile names (lower-case letters, digits, _)")
        value = value.split(",")
    if not isinstance(value, list):
        raise ValueError("must be a list of profile names, a comma-separated string or null")
    bad = [repr(v) for v in value if not isinstance(v, str) or not _AGENT.fullmatch(v)]
    if bad:
        raise ValueError(f"invalid profile name(s): {', '.join(bad[:5])}")
    return list(dict.fromkeys(v.strip() for v in value)) or None


SYMBOLS_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "array",
            "items": {"type": "string", "pattern": SYMBOL_PATTERN},
            "minItems": 1,
            "maxItems": MAX_SYMBOLS,
        },
        {"type": "string", "pattern": SYMBOL_LIST_PATTERN},
    ],
    "title": "Symbols",
    "description": f"1-{MAX_SYMBOLS} tickers as sent, a list or one comma-separated string; "
    "upper-cased, duplicates dropped",
}


def _names_schema(description: str) -> dict[str, Any]:
    return {
        "anyOf": [
            {"type": "array", "items": {"type": "string", "pattern": AGENT_PATTERN}},
            {"type": "string", "pattern": AGENT_LIST_PATTERN},
            {"type": "null"},
        ],
        "default": None,
        "description": description,
    }


# The validator and the published schema, side by side on one type: the patterns above feed both.
Symbols = Annotated[list[str], BeforeValidator(_symbols), WithJsonSchema(SYMBOLS_SCHEMA)]
AgentNames = Annotated[
    list[str] | None,
    BeforeValidator(_names),
    WithJsonSchema(_names_schema("profile names (list or comma-separated); default: every enabled profile")),
]
DebaterNames = Annotated[
    list[str] | None,
    BeforeValidator(_names),
    WithJsonSchema(_names_schema("mode=debate only: the cheap_first profiles that debate (default: all of them)")),
]


class ErrorBody(BaseModel):
    error: str = Field(description="machine-readable code, e.g. invalid_request, unauthorized, not_found")
    detail: str = Field(description="one human-readable line")
    fields: dict[str, str] | None = Field(default=None, description="per-field messages (422 only)")


class RunRequestBody(Request):
    symbols: Symbols
    agents: AgentNames = None
    mode: Annotated[RunMode, inline_enum(RunMode, "Mode")] = RunMode.COMPETITION
    debaters: DebaterNames = None


class RunAccepted(Reply):
    run_id: str
    trace_id: str
    status: str


class RunsQuery(Request):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(
        default=None,
        max_length=512,
        pattern=CURSOR_PATTERN,
        description="next_cursor of the previous page, unchanged; one this listing did not produce → 422",
    )


class RunPath(Request):
    run_id: str = Field(pattern=RUN_ID_PATTERN, description="32 lower-case hex characters")


WINDOWS: list[str] = [w.value for w in LeaderboardWindow]
GROUPS: list[str] = [g.value for g in LeaderboardGroup]


def _one_of(allowed: tuple[str, ...], name: str) -> Any:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
        return value

    return check


class LeaderboardQuery(Request):
    """`window` and `group_by` accept the kernel's LeaderboardWindow and LeaderboardGroup vocabularies."""

    window: str = Field(default=LeaderboardWindow.MONTH.value, json_schema_extra={"enum": list(WINDOWS)})
    group_by: str = Field(default=LeaderboardGroup.PROFILE.value, json_schema_extra={"enum": list(GROUPS)})
    strategy: str | None = Field(default=None, min_length=1, max_length=64)
    market: str | None = Field(default=None, min_length=1, max_length=32)

    _window = field_validator("window")(_one_of(tuple(WINDOWS), "window"))
    _group_by = field_validator("group_by")(_one_of(tuple(GROUPS), "group_by"))


class LeaderboardEntry(Reply):
    """One profile, model or prompt version (kind `agent`) or free baseline rule (kind `baseline`).

    Provisional columns (decisions … escalation_rate) are known from the first run; outcome columns (hit_rate …
    brier) stay null until the entry has scored decisions. Definitions: docs/LEADERBOARD.md."""

    key: str = Field(description="profile name, model id, prompt `template@vN`, or the baseline's name")
    kind: Literal["agent", "baseline"]
    status: Literal["provisional", "ranked"] = Field(description="ranked once n_scored ≥ min_sample")
    note: str | None = Field(default=None, description="why a provisional entry is not ranked")
    rank_band: int | None = None
    n_scored: int = Field(description="scored decisions in the window (by exit date)")
    decisions: int | None = None
    valid_rate: float | None = None
    schema_failure_rate: float | None = None
    hold_rate: float | None = None
    agreement_rate: float | None = Field(default=None, description="valid votes that match the run's final decision")
    llm_cost_usd: float | None = None
    cost_per_decision_usd: float | None = None
    latency_p50_ms: int | None = None
    latency_p95_ms: int | None = None
    escalations: int | None = Field(default=None, description="escalated runs this entry answered in the cheap round")
    escalation_rate: float | None = None
    hit_rate: float | None = None
    hit_rate_ci: list[float] | None = None
    mean_return_pct: float | None = None
    mean_return_ci: list[float] | None = None
    cumulative_return_pct: float | None = None
    shadow: dict[str, Any] | None = None
    cost_per_pnl_usd: float | None = None
    cost_per_alpha_point_usd: float | None = None
    excess_return_pct: dict[str, float | None] | None = Field(
        default=None, description="mean signed return minus the baseline's, per baseline (buy_and_hold, momentum)"
    )
    excess_return_ci: dict[str, list[float] | None] | None = None
    excess_n: dict[str, int] | None = Field(default=None, description="decisions paired with a scored baseline")
    cost_per_excess_point_usd: dict[str, float | None] | None = Field(
        default=None, description="cost per decision / mean excess; null when the excess is not positive"
    )
    brier: float | None = None
    calibration: list[dict[str, float]] = Field(default_factory=list)


class Leaderboard(Reply):
    window: str
    group_by: str
    strategy: str | None
    market: str | None
    status: Literal["ranked", "not_enough_data"] = Field(description="not_enough_data until an entry can be ranked")
    source: Literal["snapshot", "live", "none"] = Field(
        description="snapshot: outcomes as the worker computed them; live: provisional columns only; none: empty"
    )
    reason: str | None = None
    min_sample: int = Field(description="scored decisions an entry needs to be ranked (ARENA_LEADERBOARD_MIN_SAMPLE)")
    entries: list[LeaderboardEntry]
    since: str | None = None
    computed_at: str | None


class ProfileOut(Reply):
    name: str
    version: int
    version_id: int
    enabled: bool
    provider: str
    api_base: str | None
    model: str
    role: str
    prompt_template_id: str
    prompt_version: int
    max_tokens: int
    temperature: float
    tool_policy: str
    tools_allowed: list[str] | None = Field(description="null: every read-only tool (when tool_policy is read_only)")
    tool_max_rounds: int
    tool_max_seconds: float
    mode: str
    daily_budget_usd: float | None
    daily_call_limit: int | None
    timeout_s: float
    output_mode: str | None = None
    created_by: str
    created_at: str


class ProfileList(Reply):
    items: list[ProfileOut]


class ProfileSaved(Reply):
    name: str
    profile_id: int
    version: int
    version_id: int
    created: bool
    changed: bool


class PromptVersionOut(Reply):
    template_id: str
    version: int
    role: str
    role_text: str
    notes: str | None
    created_by: str
    created_at: str
    labels: list[str] = Field(description="the labels (production, candidate, …) that point at this version")


class PromptList(Reply):
    items: list[PromptVersionOut]


class PromptSaved(Reply):
    template_id: str
    version: int
    label: str | None


class Health(Reply):
    status: Literal["ok", "degraded"]
    database: bool
    worker_heartbeat_age_s: float | None
    worker: Literal["up", "down", "none"] = Field(
        description="up: an active worker beat within the lease TTL; down: none did (crashed, restarting, "
        "all standby or stopped); none: no worker has ever run"
    )
    api_enabled: bool = Field(description="false while ARENA_ADMIN_TOKEN is unset (every other route answers 503)")
