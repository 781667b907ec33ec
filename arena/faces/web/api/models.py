"""Request and response bodies of the REST API (also the source of the OpenAPI document's schemas).

Requests forbid unknown fields, so a typo is a 422 rather than silently ignored. Responses are validated from the
read models of `arena/storage/read/` turned into JSON data (`values.jsonable`); they allow extra keys so a field
added to a read model reaches clients without a release here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from arena.engine.enum_schema import inline_enum
from arena.engine.market.symbols import normalize_symbols
from arena.engine.runs.request import MAX_RUN_SYMBOLS
from arena.kernel.errors import InvalidRequestError
from arena.kernel.kinds import LeaderboardGroup, LeaderboardWindow, RunMode
from arena.storage.read.run_listing import MAX_LIMIT


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Reply(BaseModel):
    model_config = ConfigDict(extra="allow")


def _split(value: Any) -> Any:
    """Accept `"AAPL,MSFT"` as well as `["AAPL", "MSFT"]`."""
    if isinstance(value, str):
        return [part for part in (p.strip() for p in value.split(",")) if part]
    return value


class ErrorBody(BaseModel):
    error: str = Field(description="machine-readable code, e.g. invalid_request, unauthorized, not_found")
    detail: str = Field(description="one human-readable line")
    fields: dict[str, str] | None = Field(default=None, description="per-field messages (422 only)")


class RunRequestBody(Request):
    symbols: list[str] = Field(description=f"1-{MAX_RUN_SYMBOLS} tickers (list or comma-separated string)")
    agents: list[str] | None = Field(default=None, description="profile names; default every enabled profile")
    mode: Annotated[RunMode, inline_enum(RunMode, "Mode")] = RunMode.COMPETITION
    debaters: list[str] | None = Field(
        default=None, description="mode=debate only: the cheap_first profiles that debate (default: all of them)"
    )

    _split_symbols = field_validator("symbols", mode="before")(_split)
    _split_agents = field_validator("agents", "debaters", mode="before")(_split)

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str]) -> list[str]:
        try:
            clean = normalize_symbols(value)
        except InvalidRequestError as exc:
            raise ValueError(str(exc)) from None
        if len(clean) > MAX_RUN_SYMBOLS:
            raise ValueError(f"at most {MAX_RUN_SYMBOLS} symbols per run (got {len(clean)})")
        return clean

    @field_validator("agents", "debaters")
    @classmethod
    def _agents(cls, value: list[str] | None) -> list[str] | None:
        names = list(dict.fromkeys(v.strip() for v in value or [] if v.strip()))
        return names or None


class RunAccepted(Reply):
    run_id: str
    trace_id: str
    status: str


class RunsQuery(Request):
    limit: int = Field(default=50, ge=1, le=MAX_LIMIT)
    cursor: str | None = Field(default=None, min_length=1, max_length=512)


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


class Leaderboard(Reply):
    window: str
    group_by: str
    strategy: str | None
    market: str | None
    status: str = Field(description="not_enough_data until entries can be ranked")
    entries: list[dict[str, Any]]
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


class Health(Reply):
    status: Literal["ok", "degraded"]
    database: bool
    worker_heartbeat_age_s: float | None
    worker: Literal["up", "down", "none"] = Field(
        description="up: an active worker beat within the lease TTL; down: none did (crashed, restarting, "
        "all standby or stopped); none: no worker has ever run"
    )
    api_enabled: bool = Field(description="false while ARENA_ADMIN_TOKEN is unset (every other route answers 503)")
