"""Agent profile specs: validation shared by the CLI, dashboard and API, and the brief's starting three."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from arena.engine.config.settings import Settings
from arena.engine.enum_schema import inline_enum
from arena.engine.tools.catalog import ToolName
from arena.engine.tools.policy import DEFAULT_MAX_ROUNDS, DEFAULT_MAX_SECONDS, MAX_ROUNDS_LIMIT
from arena.kernel.kinds import OutputMode, ProfileMode, Provider, Role, ToolPolicy

NAME_PATTERN = r"^[a-z][a-z0-9_]{1,63}$"  # published in the API schema; checked with fullmatch (no trailing \n)
NAME_RE = re.compile(NAME_PATTERN)
ROLES = tuple(Role)
INT_COLUMN_MAX = 2**31 - 1  # the largest value an Integer column holds on PostgreSQL (and SQLite stores)
MAX_BUDGET_USD = 99_999_999  # daily_budget_usd is Numeric(12, 4)
API_BASE_MAX_CHARS = 512  # api_base is String(512)


def _cross_field_rules(schema: dict[str, Any]) -> None:
    """The model-level rules below, written into the JSON Schema too, so the API document promises no more."""
    schema["allOf"] = [
        {  # _judge_role
            "if": {"properties": {"mode": {"const": ProfileMode.JUDGE_CHEAP.value}}, "required": ["mode"]},
            "then": {"properties": {"role": {"const": Role.JUDGE.value}}},
        },
    ]


class ProfileSpec(BaseModel):
    """One profile configuration as an operator writes it; saving a changed spec creates a new version."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_cross_field_rules)

    name: str = Field(json_schema_extra={"pattern": NAME_PATTERN})
    provider: Annotated[Provider, inline_enum(Provider, "Provider")]
    api_base: str | None = Field(
        default=None, max_length=API_BASE_MAX_CHARS, json_schema_extra={"pattern": "^(https?://|$)"}
    )
    model: str = Field(min_length=1, max_length=128)
    role: Annotated[Role, inline_enum(Role, "Role")]
    prompt_template_id: str = Field(
        json_schema_extra={"pattern": NAME_PATTERN}, description="a stored prompt template (GET /prompts)"
    )
    prompt_version: int = Field(
        default=1, ge=1, le=INT_COLUMN_MAX, description="its version; it must exist when the profile is saved"
    )
    max_tokens: int = Field(default=800, gt=0, le=32000)
    temperature: float = Field(default=0.2, ge=0, le=2)
    tool_policy: Annotated[ToolPolicy, inline_enum(ToolPolicy, "Tool Policy")] = ToolPolicy.NONE
    tools_allowed: list[Annotated[ToolName, inline_enum(ToolName, "Tool Name")]] | None = Field(
        default=None, max_length=len(ToolName), description="read_only tools this agent may call; empty: every one"
    )
    tool_max_rounds: int = Field(default=DEFAULT_MAX_ROUNDS, ge=0, le=MAX_ROUNDS_LIMIT)
    tool_max_seconds: float = Field(default=DEFAULT_MAX_SECONDS, gt=0, le=120)
    mode: Annotated[ProfileMode, inline_enum(ProfileMode, "Mode")] = ProfileMode.CHEAP_FIRST
    enabled: bool = True
    daily_budget_usd: float | None = Field(default=None, ge=0, le=MAX_BUDGET_USD)
    daily_call_limit: int | None = Field(default=None, ge=0, le=INT_COLUMN_MAX)
    timeout_s: float = Field(default=30.0, gt=0, le=600)
    output_mode: Annotated[
        OutputMode | None,
        WithJsonSchema(
            {
                "anyOf": [{"enum": [m.value for m in OutputMode], "type": "string"}, {"type": "null"}],
                "title": "Output Mode",
            }
        ),
    ] = Field(default=None, description="structured-output mode; empty: from the capability table")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.fullmatch(value):
            raise ValueError("use 2-64 lower-case letters, digits or _, starting with a letter")
        return value

    @field_validator("tools_allowed")
    @classmethod
    def _tools(cls, value: list[ToolName] | None) -> list[ToolName] | None:
        """An empty list means every tool (None); duplicates are dropped, order kept."""
        return list(dict.fromkeys(value)) if value else None

    @field_validator("api_base")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("prompt_template_id")
    @classmethod
    def _template_id(cls, value: str) -> str:
        if not NAME_RE.fullmatch(value):
            raise ValueError("use 2-64 lower-case letters, digits or _, starting with a letter")
        return value

    @model_validator(mode="after")
    def _judge_role(self) -> ProfileSpec:
        if self.mode == ProfileMode.JUDGE_CHEAP and self.role != Role.JUDGE:
            raise ValueError(f"a judge_cheap profile must have the judge role (got {self.role})")
        return self


def starting_profiles(settings: Settings) -> list[ProfileSpec]:
    """The brief's three starting profiles; model ids come from settings (configuration, not data)."""
    return [
        ProfileSpec(
            name="cheap_tech_analyst",
            provider=Provider.OPENAI,
            model=settings.cheap_openai_model,
            role=Role.TECHNICAL_ANALYST,
            prompt_template_id="technical_analyst",
            mode=ProfileMode.CHEAP_FIRST,
            timeout_s=settings.llm_timeout_s,
        ),
        ProfileSpec(
            name="cheap_risk_manager",
            provider=Provider.OPENROUTER,
            model=settings.cheap_openrouter_model,
            role=Role.RISK_MANAGER,
            prompt_template_id="risk_manager",
            mode=ProfileMode.CHEAP_FIRST,
            timeout_s=settings.llm_timeout_s,
        ),
        ProfileSpec(
            name="power_macro_judge",
            provider=Provider.OPENROUTER,
            model=settings.power_openrouter_model,
            role=Role.JUDGE,
            prompt_template_id="judge",
            mode=ProfileMode.ESCALATION_ONLY,
            max_tokens=1200,
            timeout_s=max(settings.llm_timeout_s, 60.0),
        ),
    ]
