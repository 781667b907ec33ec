"""One agent asked one question: the call, validation, the single cheap repair, and what is recorded."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from arena.engine.decide.decision import AgentDecision, decision_json_schema, parse_decision
from arena.engine.decide.prompts import PromptTemplate, get_template, render_repair, schema_instructions
from arena.engine.decide.spend import SpendGuard, SpendRefusal, SpendScope
from arena.engine.llm.types import LLMCall, LLMCallResult
from arena.engine.ports import Gateway
from arena.engine.tools.catalog import tool_definitions
from arena.engine.tools.policy import NO_TOOLS, ToolPlan
from arena.engine.tools.toolbox import ToolBox, ToolCallRecord
from arena.kernel.ids import DecisionId, new_id
from arena.kernel.kinds import OutputMode, Phase, Provider, Purpose
from arena.kernel.states import AgentStatus, CallStatus

COUNTED_AS_VOTES = frozenset({AgentStatus.VALID, AgentStatus.REPAIRED})
UNPARSEABLE = frozenset({CallStatus.TRUNCATED, CallStatus.REFUSED})


@dataclass(frozen=True)
class AgentSpec:
    """The runtime view of one profile version."""

    name: str
    profile_id: int
    version_id: int
    version: int
    provider: Provider
    model: str
    role: str
    template_id: str
    template_version: int
    max_tokens: int
    temperature: float
    timeout_s: float
    mode: str  # a ProfileMode
    api_base: str | None = None
    daily_budget_usd: float | None = None
    daily_call_limit: int | None = None
    output_mode: OutputMode = OutputMode.JSON_OBJECT  # the profile's override, else the capability table's
    tools: ToolPlan = NO_TOOLS  # which read-only tools it may call (and why none, when none)
    prompt: PromptTemplate | None = None  # the stored template version (None: the built-in one, in tests)

    @property
    def template(self) -> PromptTemplate:
        """The template this agent is asked with: the stored version the run resolved, else the built-in one."""
        return self.prompt if self.prompt is not None else get_template(self.template_id, self.template_version)


@dataclass
class AgentOutcome:
    """What one agent produced in one phase; `status` says whether it counts as a vote."""

    agent: AgentSpec
    phase: Phase
    round: int
    decision_id: DecisionId = field(default_factory=lambda: DecisionId(new_id()))
    status: AgentStatus = AgentStatus.ERROR
    decision: AgentDecision | None = None
    raw_output: str | None = None
    validation_errors: list[str] = field(default_factory=list)
    error: str | None = None
    prompt_hash: str | None = None
    calls: list[LLMCallResult] = field(default_factory=list)
    latency_ms: int = 0
    refused_by: SpendScope | None = None  # set when a spend limit stopped the call
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    tools_note: str | None = None  # why the agent ran without tools although its policy allows them

    @property
    def valid(self) -> bool:
        return self.status in COUNTED_AS_VOTES and self.decision is not None


@dataclass(frozen=True)
class CallIds:
    trace_id: str
    run_id: str | None
    cycle_id: str | None
    input_hash: str | None


async def ask_agent(
    gateway: Gateway,
    agent: AgentSpec,
    messages: list[dict[str, str]],
    *,
    ids: CallIds,
    phase: Phase,
    round_no: int,
    purpose: Purpose,
    universe: list[str],
    repair_agent: AgentSpec | None,
    spend: SpendGuard,
    toolbox: ToolBox | None = None,
) -> AgentOutcome:
    """Ask (with tool rounds when the agent may call tools), validate, repair once with a cheap model; the whole
    thing bounded by the agent's timeout.

    Every call (tool rounds and the repair included) is first claimed from the spend limits; a refused first call
    skips the agent.
    """
    outcome = AgentOutcome(agent=agent, phase=phase, round=round_no)
    if agent.tools.why_not is not None and agent.tools.why_not != NO_TOOLS.why_not:
        outcome.tools_note = agent.tools.why_not
    started = time.monotonic()
    try:
        await asyncio.wait_for(
            _ask(
                gateway,
                agent,
                messages,
                outcome,
                ids=ids,
                purpose=purpose,
                universe=universe,
                repair_agent=repair_agent,
                spend=spend,
                toolbox=toolbox,
            ),
            timeout=agent.timeout_s,
        )
    except TimeoutError:
        outcome.status = AgentStatus.TIMEOUT
        outcome.decision = None
        outcome.error = f"agent timed out after {agent.timeout_s:g} s"
    outcome.latency_ms = int((time.monotonic() - started) * 1000)
    return outcome


async def _ask(
    gateway: Gateway,
    agent: AgentSpec,
    messages: list[dict[str, str]],
    outcome: AgentOutcome,
    *,
    ids: CallIds,
    purpose: Purpose,
    universe: list[str],
    repair_agent: AgentSpec | None,
    spend: SpendGuard,
    toolbox: ToolBox | None,
) -> None:
    plan = agent.tools if toolbox is not None else NO_TOOLS
    tools = tool_definitions(list(plan.offered), universe) if plan.enabled else None
    first = _call(
        agent, messages, ids=ids, purpose=purpose, decision_id=outcome.decision_id, universe=universe, tools=tools
    )
    result = await guarded_call(gateway, spend, agent, first)
    if isinstance(result, SpendRefusal):
        outcome.status, outcome.error, outcome.refused_by = AgentStatus.SKIPPED, result.reason, result.scope
        return
    outcome.calls.append(result)
    outcome.prompt_hash = result.prompt_hash
    conversation = list(messages)
    rounds = 0
    while result.ok and result.tool_calls:
        if toolbox is None or tools is None or rounds >= plan.max_rounds:
            outcome.status, outcome.raw_output = AgentStatus.INVALID, result.content
            outcome.error = f"the model asked for tools after {rounds} tool round(s) (cap {plan.max_rounds})"
            return
        rounds += 1
        conversation.append(_assistant_turn(result))
        for request in result.tool_calls:
            record = await toolbox.run(
                request, plan, budget_key=outcome.decision_id, round_no=rounds, llm_call_key=result.call.call_key
            )
            outcome.tool_calls.append(record)
            conversation.append({"role": "tool", "tool_call_id": request.id, "content": record.content})
        follow_up = _call(
            agent,
            conversation,
            ids=ids,
            purpose=purpose,
            decision_id=outcome.decision_id,
            universe=universe,
            tools=tools,
            tool_choice="none" if rounds >= plan.max_rounds else "auto",
        )
        answered = await guarded_call(gateway, spend, agent, follow_up)
        if isinstance(answered, SpendRefusal):
            outcome.status, outcome.refused_by = AgentStatus.INVALID, answered.scope
            outcome.error = f"stopped after tool round {rounds}: {answered.reason}"
            return
        outcome.calls.append(answered)
        result = answered
    if result.status in UNPARSEABLE:  # a cut or refused reply is never parsed or repaired as if it were a decision
        outcome.status, outcome.raw_output = AgentStatus.INVALID, result.content
        outcome.error = f"reply {result.status}: {result.error_message}"
        return
    if not result.ok:
        outcome.status = AgentStatus.TIMEOUT if result.status == CallStatus.TIMEOUT else AgentStatus.ERROR
        outcome.error = f"{result.error_class}: {result.error_message}"
        return
    outcome.raw_output = result.content
    decision, errors = parse_decision(result.content, universe=universe)
    if decision is not None:
        outcome.status, outcome.decision = AgentStatus.VALID, decision
        return
    outcome.validation_errors = errors
    if repair_agent is None:
        outcome.status = AgentStatus.INVALID
        outcome.error = "invalid reply and no cheap repair model available"
        return
    repair = await guarded_call(
        gateway,
        spend,
        repair_agent,
        _call(
            repair_agent,
            render_repair(result.content or "", errors),
            ids=ids,
            purpose=Purpose.REPAIR,
            decision_id=outcome.decision_id,
            universe=universe,
        ),
    )
    if isinstance(repair, SpendRefusal):
        outcome.status = AgentStatus.INVALID
        outcome.error = f"reply failed validation; repair not made: {repair.reason}"
        return
    outcome.calls.append(repair)
    repaired, repair_errors = parse_decision(repair.content, universe=universe) if repair.ok else (None, [])
    if repaired is not None:
        outcome.status, outcome.decision = AgentStatus.REPAIRED, repaired
        return
    outcome.status = AgentStatus.INVALID
    outcome.validation_errors = errors + [f"after repair: {e}" for e in repair_errors] if repair.ok else errors
    outcome.error = "reply failed validation; repair " + (
        "did not validate" if repair.ok else f"call failed ({repair.status})"
    )


async def guarded_call(
    gateway: Gateway, spend: SpendGuard, agent: AgentSpec, call: LLMCall
) -> LLMCallResult | SpendRefusal:
    """Claim the call from the spend limits (off the event loop), make it, settle its real cost."""
    claim = await asyncio.to_thread(
        spend.claim, call, daily_budget_usd=agent.daily_budget_usd, daily_call_limit=agent.daily_call_limit
    )
    if isinstance(claim, SpendRefusal):
        return claim
    result = await gateway.call(call)  # cancelled (agent deadline): the estimate stays charged
    await asyncio.to_thread(spend.settle, claim, result)
    return result


def _assistant_turn(result: LLMCallResult) -> dict[str, Any]:
    """The model's tool-call turn as it goes back into the conversation (OpenAI's message shape)."""
    return {
        "role": "assistant",
        "content": result.content or None,
        "tool_calls": [
            {"id": t.id, "type": "function", "function": {"name": t.name, "arguments": t.arguments}}
            for t in result.tool_calls
        ],
    }


def _call(
    agent: AgentSpec,
    messages: list[dict[str, Any]],
    *,
    ids: CallIds,
    purpose: Purpose,
    decision_id: str,
    universe: list[str],
    tools: list[dict[str, Any]] | None = None,
    tool_choice: str = "auto",
) -> LLMCall:
    return LLMCall(
        call_key=new_id(),
        tools=tools,
        tool_choice=tool_choice if tools else None,
        trace_id=ids.trace_id,
        run_id=ids.run_id,
        cycle_id=ids.cycle_id,
        agent_decision_id=decision_id,
        profile_version_id=agent.version_id,
        purpose=purpose,
        provider=agent.provider,
        model=agent.model,
        api_base=agent.api_base,
        messages=messages,
        input_hash=ids.input_hash,
        max_tokens=agent.max_tokens,
        temperature=agent.temperature,
        timeout_s=agent.timeout_s,
        response_schema=decision_json_schema(universe),
        output_mode=agent.output_mode,
        schema_instructions=schema_instructions(universe),
    )
