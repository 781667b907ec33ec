"""The property that matters, over many random vote sets: the arena never ends in BUY/SELL (the only finals that reach
execution) without a quorum of valid cheap votes, without confidence ≥ min_confidence, or against a blocking flag.

The coordinator runs for real; only the LLM is replaced, by a scripted implementation of our own `Gateway` port
(the HTTP path through litellm is covered by the scenario tests) — hypothesis needs thousands of runs.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.decide.agents import AgentSpec, CallIds
from arena.engine.decide.coordinator import ArenaCoordinator, CoordinatorResult
from arena.engine.decide.spend import SpendClaim, SpendRefusal
from arena.engine.llm.types import LLMCall, LLMCallResult
from arena.kernel.kinds import FinalAction, Phase, ProfileMode, Provider, Purpose, RunMode
from arena.kernel.states import CallStatus
from tests.engine.factories import decision_json, portfolio, snapshot

BLOCKING = ["veto"]


@dataclass
class ScriptedGateway:
    """Each model answers from its own script, one entry per call in order (the last repeats), so an agent can
    change its mind between debate rounds; repairs answer from a separate script. None is a provider error."""

    replies: dict[str, list[str | None]]
    repair: str | None
    calls: dict[str, int] = field(default_factory=dict)

    def preload(self) -> None:
        return None

    async def call(self, call: LLMCall) -> LLMCallResult:
        if call.purpose == Purpose.REPAIR:
            text = self.repair
        else:
            script = self.replies.get(call.model) or [None]
            n = self.calls.get(call.model, 0)
            self.calls[call.model] = n + 1
            text = script[min(n, len(script) - 1)]
        if text is None:
            return LLMCallResult(
                call=call,
                status=CallStatus.ERROR,
                prompt_hash="0" * 64,
                latency_ms=1,
                attempts=1,
                error_class="InternalServerError",
                error_message="scripted outage",
            )
        return LLMCallResult(
            call=call, status=CallStatus.OK, prompt_hash="0" * 64, latency_ms=1, attempts=1, content=text
        )


class UnlimitedSpend:
    """No spend limits: these runs test the decision rules alone (the limits have their own tests)."""

    def claim(
        self, call: LLMCall, *, daily_budget_usd: float | None, daily_call_limit: int | None
    ) -> SpendClaim | SpendRefusal:
        return SpendClaim(day="", scopes=(), estimate_usd=Decimal(0))

    def settle(self, claim: SpendClaim, result: LLMCallResult) -> None:
        return None


def spec(name: str, role: str, mode: ProfileMode) -> AgentSpec:
    return AgentSpec(
        name=name,
        profile_id=hash(name) % 1000,
        version_id=hash(name) % 1000,
        version=1,
        provider=Provider.OPENAI,
        model=f"model-{name}",
        role=role,
        template_id="judge" if mode != ProfileMode.CHEAP_FIRST else role,
        template_version=1,
        max_tokens=200,
        temperature=0.0,
        timeout_s=5.0,
        mode=mode,
    )


@st.composite
def answers(draw: Any) -> str | None:
    """Mostly valid decisions (so trades happen), sometimes an outage, prose, or a blocking flag."""
    kind = draw(st.sampled_from(["decision"] * 6 + ["outage", "prose"]))
    if kind == "outage":
        return None
    if kind == "prose":
        return "I think you should buy."  # invalid, and its repair (the same model) is prose again
    action = draw(st.sampled_from(["BUY", "SELL", "HOLD"]))
    flags = draw(st.sampled_from([[], [], [], ["earnings_soon"], ["veto"], ["VETO", "earnings_soon"]]))
    return decision_json(
        action,
        draw(st.floats(min_value=0.0, max_value=1.0)),
        "" if action == "HOLD" else "AAPL",
        pct=draw(st.floats(min_value=0.1, max_value=10.0)),
        flags=flags,
    )


roles = st.sampled_from(["technical_analyst", "risk_manager", "bull", "bear"])


@st.composite
def arenas(draw: Any) -> dict[str, Any]:
    cheap_roles = draw(st.lists(roles, min_size=1, max_size=4))
    return {
        "cheap": [
            (f"cheap{i}", role, draw(st.lists(answers(), min_size=1, max_size=3)))  # one answer per round
            for i, role in enumerate(cheap_roles)
        ],
        "judge": draw(st.one_of(st.none(), answers().map(lambda a: ("judge0", "judge", [a])))),
        "power": draw(st.one_of(st.none(), answers().map(lambda a: ("power0", "judge", [a])))),
        "repair": draw(answers()),
        "config": GuardrailConfig(
            min_valid_votes=draw(st.integers(min_value=1, max_value=3)),
            min_confidence=draw(st.floats(min_value=0.05, max_value=0.95)),
            disagreement_rate=draw(st.floats(min_value=0.05, max_value=1.0)),
            high_risk_portfolio_delta_pct=draw(st.floats(min_value=0.5, max_value=20.0)),
            debate_rounds=draw(st.integers(min_value=1, max_value=3)),
            role_weights=draw(st.dictionaries(roles, st.floats(min_value=0.1, max_value=5.0), max_size=2)),
        ),
        "regime": draw(st.sampled_from(["normal", "high_volatility"])),
        "mode": draw(st.sampled_from([RunMode.COMPETITION, RunMode.DEBATE])),
    }


def play(arena: dict[str, Any]) -> CoordinatorResult:
    replies = {f"model-{name}": script for name, _, script in arena["cheap"]}
    judges, power = [], []
    if arena["judge"] is not None:
        replies["model-judge0"] = arena["judge"][2]
        judges = [spec("judge0", "judge", ProfileMode.JUDGE_CHEAP)]
    if arena["power"] is not None:
        replies["model-power0"] = arena["power"][2]
        power = [spec("power0", "judge", ProfileMode.ESCALATION_ONLY)]
    coordinator = ArenaCoordinator(
        gateway=ScriptedGateway(replies, arena["repair"]),
        config=arena["config"],
        spend=UnlimitedSpend(),
        claim_power_call=lambda: True,
    )
    return asyncio.run(
        coordinator.run(
            ids=CallIds("trace", None, None, None),
            cheap=[spec(name, role, ProfileMode.CHEAP_FIRST) for name, role, _ in arena["cheap"]],
            power=power,
            judges=judges,
            snapshot=snapshot(arena["regime"]),
            portfolio=portfolio(),
            universe=["AAPL"],
            mode=arena["mode"],
        )
    )


# a debater that vetoes in round 1 and then answers BUY without the flag: the veto must still hold
CHANGED_MIND = {
    "cheap": [
        ("cheap0", "bull", [decision_json("BUY", 0.9)]),
        ("cheap1", "bear", [decision_json("HOLD", 0.8, "", flags=["veto"]), decision_json("BUY", 0.9)]),
    ],
    "judge": ("judge0", "judge", [decision_json("BUY", 0.9)]),
    "power": None,
    "repair": None,
    "config": GuardrailConfig(min_valid_votes=2, debate_rounds=2),
    "regime": "normal",
    "mode": RunMode.DEBATE,
}


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(arenas())
@example(CHANGED_MIND)
def test_no_trade_without_quorum_confidence_or_against_a_blocking_flag(arena: dict[str, Any]) -> None:
    result = play(arena)
    config: GuardrailConfig = arena["config"]
    final = result.final
    flagged = [
        o
        for o in result.outcomes
        if o.valid and o.decision is not None and {f.lower() for f in o.decision.risk_flags} & set(BLOCKING)
    ]
    latest_valid_cheap = {o.agent.name for o in result.outcomes if o.phase in (Phase.CHEAP, Phase.DEBATE) and o.valid}
    if final.action in (FinalAction.BUY, FinalAction.SELL):
        assert len(latest_valid_cheap) >= config.min_valid_votes
        assert final.confidence is not None and final.confidence >= config.min_confidence
        assert not flagged, [o.agent.name for o in flagged]
        assert final.symbol == "AAPL" and final.sizing is not None
    if flagged:
        assert final.action == FinalAction.NO_TRADE
    # the powerful model is asked only with a reason, and never after a veto or without quorum
    asked_power = any(o.phase == Phase.ESCALATION for o in result.outcomes)
    assert asked_power == result.escalated
    if asked_power:
        assert result.escalation_reasons
        assert result.cheap.valid_votes >= config.min_valid_votes and result.cheap.veto is None
    # every answer that was asked is recorded with what it was asked for
    assert all(o.phase != Phase.JUDGE or o.agent.mode == ProfileMode.JUDGE_CHEAP for o in result.outcomes)
    assert {o.agent.name for o in result.outcomes} >= {name for name, _, _ in arena["cheap"]}


@settings(max_examples=200, deadline=None)
@given(arenas())
def test_a_decision_does_not_depend_on_the_order_of_the_agents(arena: dict[str, Any]) -> None:
    forward = play(arena).final
    backward = play({**arena, "cheap": list(reversed(arena["cheap"]))}).final
    assert (forward.action, forward.symbol, forward.decided_by) == (
        backward.action,
        backward.symbol,
        backward.decided_by,
    )
