"""Response bodies about runs: one list item, one page, and the full details of a run (what Run Details shows)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from arena.faces.web.api.models import Reply


class RunItem(Reply):
    run_id: str
    trace_id: str
    status: str
    trigger: str
    strategy: str | None
    mode: str
    symbols: list[str]
    final_action: str | None
    decision_id: str | None
    escalated: bool | None
    escalation_reasons: list[str] | None
    cost_usd: float | None
    llm_calls: int | None
    latency_ms: int | None
    error: str | None
    created_at: str
    finished_at: str | None


class RunPage(Reply):
    items: list[RunItem]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next (older) page; null at the end")


class AgentRow(Reply):
    agent_decision_id: str
    profile: str
    model: str
    role: str
    phase: str
    round: int
    action: str | None
    confidence: float | None
    valid: bool
    status: str
    cost_usd: float | None
    latency_ms: int | None
    tool_calls: int = Field(description="how many tool calls the agent made (refused ones included)")


class ToolCallOut(Reply):
    name: str
    arguments: dict[str, Any] | None = Field(description="as validated; null when they were not a JSON object")
    status: Literal["ok", "refused", "error", "timeout"]
    latency_ms: int
    result_preview: str = Field(description="the first 2,000 characters of what the model got back")
    round: int
    error: str | None
    result_bytes: int
    result_hash: str
    llm_call_id: int | None = Field(description="the LLM call (ai_cost_telemetry id) whose reply asked for it")


class AgentWithTools(AgentRow):
    """An agent row of `GET /runs/{id}`: its tool calls in full, in order (`run --json` gives their count)."""

    tool_calls: list[ToolCallOut] = Field(description="the agent's tool calls, in order")  # type: ignore[assignment]


class DecisionDetail(Reply):
    agent_decision_id: str
    profile: str
    profile_version_id: int | None
    provider: str
    model: str
    role: str
    phase: str
    round: int
    status: str
    valid: bool
    action: str | None
    confidence: float | None
    rationale: str | None
    risk_flags: list[Any]
    tool_calls: list[ToolCallOut] = Field(description="the agent's tool calls, in order")
    tools_note: str | None = Field(description="why the agent ran without tools although its policy allows them")
    prompt_template_id: str | None
    prompt_version: int | None
    messages: list[dict[str, Any]] = Field(description="what the model saw on its first call (system, user)")
    validation_errors: list[Any] | None
    cost_usd: float | None
    latency_ms: int | None


class LlmCall(Reply):
    id: int
    purpose: str
    provider: str
    model: str
    status: str
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    cost_source: str | None
    latency_ms: int | None
    attempts: int | None = None
    output_mode: str | None = None
    note: str | None = None
    error_message: str | None = None
    agent_decision_id: str | None
    created_at: str


class Fill(Reply):
    broker_fill_id: str
    client_order_id: str
    symbol: str
    side: str
    qty: float
    price: float
    filled_at: str


class OutcomeLink(Reply):
    decision_id: str
    trace_id: str
    order_intent_id: int | None
    client_order_id: str | None
    broker_order_id: str | None
    order_status: str | None
    final: bool
    fill_ids: list[str]
    fills: list[Fill] = Field(default_factory=list)
    position_snapshot_ids: list[int]


class RunDetails(Reply):
    run_id: str
    trace_id: str
    decision_id: str | None
    status: str
    mode: str
    trigger: str
    symbols: list[str]
    final_action: str | None
    escalated: bool | None
    escalation_reasons: list[str] | None
    no_trade_reason: str | None
    decided_by: str | None = Field(
        description="which rule settled the run (cheap_consensus, cheap_judge, escalation, veto, no_quorum, …)"
    )
    veto: dict[str, Any] | None = Field(description="{agent, role, flag} when a blocking risk flag ended the run")
    quorum: dict[str, Any] | None = Field(description="{valid, required}: valid cheap votes and the quorum")
    judge: dict[str, Any] | None = Field(description="the cheap judge's vote, when one was asked and answered")
    error: str | None
    cost_usd: float | None
    llm_calls: int | None
    latency_ms: int | None
    agents: list[AgentWithTools]
    decisions: list[DecisionDetail]
    debate: list[dict[str, Any]] = Field(description="a debate's transcript, oldest round first")
    consensus: dict[str, Any] | None
    llm_calls_detail: list[LlmCall]
    order: dict[str, Any] | None
    outcome_links: list[OutcomeLink]
    created_at: str
    started_at: str | None
    finished_at: str | None
