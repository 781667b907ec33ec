"""What the engine asks of the LLM gateway and what it gets back (one result per call, failures included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arena.kernel.kinds import CostSource, OutputMode, Provider, Purpose
from arena.kernel.states import CallStatus


@dataclass(frozen=True)
class ToolRequest:
    """A function call the model asked for: the provider's call id, the tool name, its raw JSON arguments."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class LLMCall:
    """One chat completion request with the ids that tie it to a run."""

    trace_id: str
    purpose: Purpose
    provider: Provider
    model: str
    messages: list[dict[str, Any]]
    max_tokens: int
    temperature: float
    timeout_s: float
    run_id: str | None = None
    cycle_id: str | None = None
    agent_decision_id: str | None = None
    profile_version_id: int | None = None
    api_base: str | None = None
    input_hash: str | None = None
    response_schema: dict[str, Any] | None = None
    output_mode: OutputMode = OutputMode.JSON_OBJECT  # how structured output is asked for (the gateway may step down)
    schema_instructions: str | None = None  # added to the system message when the provider does not enforce the schema
    max_attempts: int = 3
    tools: list[dict[str, Any]] | None = None  # OpenAI function definitions offered to the model
    tool_choice: str | None = None  # "auto" | "none" | "required" (only with tools)
    call_key: str | None = None  # ties the call's telemetry rows to the tool calls it asked for


@dataclass(frozen=True)
class LLMCallResult:
    """Everything ai_cost_telemetry stores about one HTTP attempt of a call; `content` is set for ok and truncated.

    `attempts` is this attempt's number (1, 2, …): the gateway hands the sink one result per request it sent.
    `extra` says which output mode was used and why a mode was stepped down (`fallback`)."""

    call: LLMCall
    status: CallStatus
    prompt_hash: str
    latency_ms: int
    attempts: int
    content: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: Decimal | None = None
    cost_source: CostSource = CostSource.UNKNOWN
    error_class: str | None = None
    error_message: str | None = None
    finish_reason: str | None = None
    output_mode: OutputMode | None = None  # the mode this attempt used
    sent_messages: list[dict[str, Any]] | None = None  # as sent (schema instructions added when the mode needed them)
    extra: dict[str, Any] = field(default_factory=dict)
    tool_calls: list[ToolRequest] = field(default_factory=list)  # the model asked for these (finish "tool_calls")

    @property
    def ok(self) -> bool:
        return self.status == CallStatus.OK
