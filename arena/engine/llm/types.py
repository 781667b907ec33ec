"""What the engine asks of the LLM gateway and what it gets back (one result per call, failures included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from arena.kernel.kinds import CostSource, Provider, Purpose
from arena.kernel.states import CallStatus


@dataclass(frozen=True)
class LLMCall:
    """One chat completion request with the ids that tie it to a run."""

    trace_id: str
    purpose: Purpose
    provider: Provider
    model: str
    messages: list[dict[str, str]]
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
    max_attempts: int = 3


@dataclass(frozen=True)
class LLMCallResult:
    """Everything ai_cost_telemetry stores about a call; `content` is None unless status is ok."""

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
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == CallStatus.OK
