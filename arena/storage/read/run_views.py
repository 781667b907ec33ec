"""The read models of one run: its summary (`run --json`), its full details (Run Details, `GET /runs/{id}`), its
LLM calls. Plain frozen values: timestamps are datetimes, vocabularies are their StrEnums; the faces format them.

JSON payload columns (sizing, the consensus trace, guardrail checks) stay as the dicts they are stored as.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from arena.kernel.kinds import (
    Action,
    CostSource,
    DecidedBy,
    ExecutionMode,
    FinalAction,
    Phase,
    Purpose,
    RunMode,
    Trigger,
)
from arena.kernel.states import AgentStatus, CallStatus, ExecutionOutcome, OrderStatus, RunStatus, ToolCallStatus


@dataclass(frozen=True, slots=True)
class AgentRow:
    """One agent answer, as the summary lists it."""

    agent_decision_id: str
    profile: str
    model: str
    role: str
    phase: Phase
    round: int
    action: Action | None
    confidence: float | None
    valid: bool
    status: AgentStatus
    cost_usd: float | None
    latency_ms: int | None
    tool_calls: int  # how many tool calls the agent made (refused ones included)


@dataclass(frozen=True, slots=True)
class ToolCallView:
    """One tool call an agent asked for, as Run Details and `GET /runs/{id}` show it."""

    name: str
    arguments: dict[str, Any] | None
    status: ToolCallStatus
    latency_ms: int
    result_preview: str
    round: int
    error: str | None
    result_bytes: int
    result_hash: str
    llm_call_id: int | None


@dataclass(frozen=True, slots=True)
class OrderRef:
    """The order a run's decision led to (the first outcome link with a client order id)."""

    client_order_id: str | None
    broker_order_id: str | None
    status: OrderStatus | None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The DESIGN §2 `run --json` object."""

    run_id: str
    trace_id: str
    status: RunStatus
    mode: RunMode
    trigger: Trigger
    symbols: list[str]
    escalated: bool
    escalation_reasons: list[str]
    final_action: FinalAction | None
    decision_id: str | None
    no_trade_reason: str | None
    decided_by: DecidedBy | None  # which rule settled the run (None until it has a consensus)
    veto: dict[str, Any] | None  # {agent, role, flag} when a blocking risk flag ended it
    quorum: dict[str, Any] | None  # {valid, required}: the valid cheap votes and the quorum
    judge: dict[str, Any] | None  # the cheap judge's vote, when one was asked and answered
    error: str | None
    agents: list[AgentRow]
    cost_usd: float | None
    llm_calls: int
    latency_ms: int | None
    order: OrderRef | None
    guardrails: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SnapshotHashes:
    """The stored inputs a run decided on."""

    market: str | None
    universe: str | None
    portfolio: str | None


@dataclass(frozen=True, slots=True)
class DecisionDetail:
    """One agent answer in full: reasoning, tool calls, the raw reply."""

    agent_decision_id: str
    profile: str
    profile_version_id: int
    provider: str
    model: str
    role: str
    phase: Phase
    round: int
    status: AgentStatus
    valid: bool
    action: Action | None
    symbols: list[str]
    sizing: dict[str, Any] | None
    time_horizon: str | None
    confidence: float | None
    rationale: str | None
    risk_flags: list[str]
    required_tools: list[str]
    data_dependencies: list[str]
    tool_calls: list[ToolCallView]
    tools_note: str | None  # why the agent ran without tools although its policy allows them
    prompt_template_id: str | None  # the template and version it was asked with (None on older runs)
    prompt_version: int | None
    messages: list[dict[str, Any]]  # what the model saw on its first call (system, user), as sent
    validation_errors: list[str]
    raw_output: str | None
    prompt_hash: str | None
    cost_usd: float | None
    tokens_in: int
    tokens_out: int
    latency_ms: int | None


@dataclass(frozen=True, slots=True)
class ConsensusView:
    """The run's final decision and how it was reached."""

    decision_id: str
    final_action: FinalAction
    outcome: ExecutionOutcome
    symbol: str | None
    sizing: dict[str, Any] | None
    confidence: float | None
    rule: str
    no_trade_reason: str | None
    decided_by: DecidedBy | None
    trace: dict[str, Any]
    guardrail_checks: list[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class LlmCallRow:
    """One LLM call of a run (failed calls included)."""

    id: int
    purpose: Purpose
    provider: str
    model: str
    status: CallStatus
    tokens_in: int | None
    tokens_out: int | None
    cost_usd: float | None
    cost_source: CostSource
    latency_ms: int
    attempts: int
    error_class: str | None
    error_message: str | None
    finish_reason: str | None
    output_mode: str | None  # json_schema | json_object | prompt (None on calls recorded before it was kept)
    note: str | None  # e.g. "json_schema rejected (HTTP 400): …; asked again with json_object"
    prompt_hash: str
    input_hash: str | None
    agent_decision_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OutcomeLinkView:
    """decision → order intent → broker order → fills → position snapshots, by id."""

    decision_id: str
    trace_id: str
    order_intent_id: int | None
    client_order_id: str | None
    broker_order_id: str | None
    order_status: OrderStatus | None
    final: bool
    fill_ids: list[str]
    position_snapshot_ids: list[int]


@dataclass(frozen=True, slots=True)
class RunDetails(RunSummary):
    """Everything about a run: the summary plus its timeline, every answer, the consensus, calls and links."""

    cycle_id: str | None
    strategy_id: int | None
    execution_mode: ExecutionMode
    snapshots: SnapshotHashes
    tokens_in: int
    tokens_out: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    decisions: list[DecisionDetail]
    debate: list[dict[str, Any]]  # a debate's transcript, round by round ({round, role, action, argument, …})
    consensus: ConsensusView | None
    llm_calls_detail: list[LlmCallRow]
    outcome_links: list[OutcomeLinkView]
