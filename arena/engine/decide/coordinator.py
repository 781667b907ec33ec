"""ArenaCoordinator: cheap agents in parallel, optional debate, consensus, escalation, final decision.

The coordinator holds no database session: budgets and the powerful-call cap come in as callables, so the
same code runs in the CLI, the worker and tests, and every LLM call is recorded by the gateway's sink.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.decide import escalation
from arena.engine.decide.agents import AgentOutcome, AgentSpec, CallIds, ask_agent
from arena.engine.decide.consensus import ConsensusResult, ConsensusRule, Vote, decide
from arena.engine.decide.decision import AgentDecision, Sizing
from arena.engine.decide.prompts import get_template, market_context, render_agent, render_debate, render_judge
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState
from arena.engine.ports import Gateway
from arena.kernel.kinds import FinalAction, Phase, Provider, Purpose, RunMode, TimeHorizon

BudgetCheck = Callable[[AgentSpec], str | None]  # returns a skip reason when the agent's daily budget is spent
PowerClaim = Callable[[], bool]  # atomically takes one powerful call from today's cap


@dataclass(frozen=True, kw_only=True)
class FinalDecision:
    action: FinalAction
    symbol: str | None
    sizing: Sizing | None
    confidence: float | None
    rule: str  # a ConsensusRule, prefixed `escalation_` after escalation, or why the arena declined to trade
    no_trade_reason: str | None
    time_horizon: TimeHorizon | None = None


@dataclass(kw_only=True)
class CoordinatorResult:
    outcomes: list[AgentOutcome]
    cheap: ConsensusResult
    escalation_reasons: list[str]
    escalated: bool
    final: FinalDecision
    trace: dict[str, Any] = field(default_factory=dict)


@dataclass
class ArenaCoordinator:
    gateway: Gateway
    config: GuardrailConfig
    budget_check: BudgetCheck
    claim_power_call: PowerClaim

    async def run(
        self,
        *,
        ids: CallIds,
        cheap: list[AgentSpec],
        power: list[AgentSpec],
        snapshot: MarketSnapshot,
        portfolio: PortfolioState,
        universe: list[str],
        mode: str,
    ) -> CoordinatorResult:
        context = market_context(snapshot, portfolio, universe)
        repair_agent = pick_repair_agent(cheap)
        outcomes = await self._round_one(ids, cheap, context, universe, repair_agent)
        latest = {o.agent.name: o for o in outcomes if o.valid}
        if mode == RunMode.DEBATE:
            for round_no in range(2, self.config.debate_rounds + 2):
                revised = await self._debate(ids, latest, context, universe, repair_agent, round_no)
                outcomes += revised
                latest.update({o.agent.name: o for o in revised if o.valid})
        votes = [Vote(o.agent.name, o.agent.role, o.decision) for o in latest.values() if o.decision is not None]
        cheap_result = decide(
            votes, min_confidence=self.config.min_confidence, blocking_flags=self.config.blocking_risk_flags
        )
        reasons = escalation.escalation_reasons(
            cheap_result, config=self.config, snapshot=snapshot, portfolio=portfolio
        )
        trace: dict[str, Any] = {
            "cheap": cheap_result.trace,
            "escalation_reasons": reasons,
            "thresholds": self._thresholds(),
        }
        if not reasons:
            final = _from_consensus(cheap_result, votes)
            trace["decided_by"] = "cheap_consensus"
            return CoordinatorResult(
                outcomes=outcomes,
                cheap=cheap_result,
                escalation_reasons=[],
                escalated=False,
                final=final,
                trace=trace,
            )
        if not power:
            final = _no_trade("escalation needed but no enabled escalation_only profile", "no_power_profile")
            trace["decided_by"] = "no_power_profile"
            return CoordinatorResult(
                outcomes=outcomes,
                cheap=cheap_result,
                escalation_reasons=reasons,
                escalated=False,
                final=final,
                trace=trace,
            )
        power_outcomes, denied = await self._escalate(
            ids, power, context, universe, repair_agent, [v.decision for v in votes], reasons
        )
        outcomes += power_outcomes
        if denied and not power_outcomes:
            final = _no_trade(
                f"daily powerful-call cap ({self.config.max_power_calls_per_day}) reached",
                "power_cap_reached",
            )
            trace["decided_by"] = "power_cap_reached"
            return CoordinatorResult(
                outcomes=outcomes,
                cheap=cheap_result,
                escalation_reasons=reasons,
                escalated=False,
                final=final,
                trace=trace,
            )
        final, power_trace = self._after_escalation(power_outcomes)
        trace["power"] = power_trace
        trace["decided_by"] = "escalation"
        return CoordinatorResult(
            outcomes=outcomes,
            cheap=cheap_result,
            escalation_reasons=reasons,
            escalated=True,
            final=final,
            trace=trace,
        )

    async def _round_one(
        self,
        ids: CallIds,
        cheap: list[AgentSpec],
        context: str,
        universe: list[str],
        repair_agent: AgentSpec | None,
    ) -> list[AgentOutcome]:
        tasks = [
            ask_agent(
                self.gateway,
                a,
                render_agent(get_template(a.template_id, a.template_version), context),
                ids=ids,
                phase=Phase.CHEAP,
                round_no=1,
                purpose=Purpose.AGENT,
                universe=universe,
                repair_agent=repair_agent,
                skip_reason=self.budget_check(a),
            )
            for a in cheap
        ]
        return list(await asyncio.gather(*tasks))

    async def _debate(
        self,
        ids: CallIds,
        latest: dict[str, AgentOutcome],
        context: str,
        universe: list[str],
        repair_agent: AgentSpec | None,
        round_no: int,
    ) -> list[AgentOutcome]:
        tasks = []
        for name, own in latest.items():
            assert own.decision is not None
            others = [o.decision for n, o in latest.items() if n != name and o.decision is not None]
            template = get_template(own.agent.template_id, own.agent.template_version)
            tasks.append(
                ask_agent(
                    self.gateway,
                    own.agent,
                    render_debate(template, context, own.decision, others),
                    ids=ids,
                    phase=Phase.DEBATE,
                    round_no=round_no,
                    purpose=Purpose.DEBATE,
                    universe=universe,
                    repair_agent=repair_agent,
                    skip_reason=self.budget_check(own.agent),
                )
            )
        return list(await asyncio.gather(*tasks))

    async def _escalate(
        self,
        ids: CallIds,
        power: list[AgentSpec],
        context: str,
        universe: list[str],
        repair_agent: AgentSpec | None,
        cheap_decisions: list[AgentDecision],
        reasons: list[str],
    ) -> tuple[list[AgentOutcome], bool]:
        tasks = []
        denied = False
        for agent in power:
            skip = self.budget_check(agent)
            if skip is None and not self.claim_power_call():
                denied = True
                continue
            template = get_template(agent.template_id, agent.template_version)
            tasks.append(
                ask_agent(
                    self.gateway,
                    agent,
                    render_judge(template, context, cheap_decisions, reasons),
                    ids=ids,
                    phase=Phase.ESCALATION,
                    round_no=1,
                    purpose=Purpose.ESCALATION,
                    universe=universe,
                    repair_agent=repair_agent,
                    skip_reason=skip,
                )
            )
        return list(await asyncio.gather(*tasks)), denied

    def _after_escalation(self, power_outcomes: list[AgentOutcome]) -> tuple[FinalDecision, dict[str, Any]]:
        """The powerful answer decides, unless it is missing, split, vetoed or still unsure → NO_TRADE."""
        votes = [Vote(o.agent.name, o.agent.role, o.decision) for o in power_outcomes if o.decision is not None]
        result = decide(
            votes, min_confidence=self.config.min_confidence, blocking_flags=self.config.blocking_risk_flags
        )
        if not votes:
            return _no_trade("escalation produced no valid decision", "escalation_failed"), result.trace
        if result.action is None:
            return _no_trade(f"escalated decision unusable ({result.rule})", f"escalation_{result.rule}"), result.trace
        if result.confidence < self.config.min_confidence:
            return _no_trade(
                f"still uncertain after escalation (confidence {result.confidence:.2f} < "
                f"{self.config.min_confidence:.2f})",
                "uncertain_after_escalation",
            ), result.trace
        return _from_consensus(result, votes, rule_prefix="escalation_"), result.trace

    def _thresholds(self) -> dict[str, Any]:
        c = self.config
        return {
            "disagreement_rate": c.disagreement_rate,
            "min_confidence": c.min_confidence,
            "high_risk_portfolio_delta_pct": c.high_risk_portfolio_delta_pct,
            "max_power_calls_per_day": c.max_power_calls_per_day,
        }


def pick_repair_agent(cheap: list[AgentSpec]) -> AgentSpec | None:
    """Repairs go to a cheap model, never a powerful one; OpenAI first because it enforces the JSON schema."""
    ranked = sorted(cheap, key=lambda a: (a.provider != Provider.OPENAI, a.name))
    return ranked[0] if ranked else None


NO_MAJORITY_REASONS: dict[ConsensusRule, str] = {
    ConsensusRule.NO_VALID_VOTES: "no agent gave a valid decision",
    ConsensusRule.RISK_VETO: "risk veto",
    ConsensusRule.TIE: "votes tied",
}


def _from_consensus(result: ConsensusResult, votes: list[Vote], *, rule_prefix: str = "") -> FinalDecision:
    if result.action is None:
        reason = NO_MAJORITY_REASONS.get(result.rule, result.rule)
        return _no_trade(reason, rule_prefix + result.rule)
    horizon = next((v.decision.time_horizon for v in votes if v.decision.action == result.action), None)
    return FinalDecision(
        action=FinalAction(result.action),
        symbol=result.symbol,
        sizing=result.sizing,
        confidence=result.confidence,
        rule=rule_prefix + result.rule,
        no_trade_reason=None,
        time_horizon=horizon,
    )


def _no_trade(reason: str, rule: str) -> FinalDecision:
    return FinalDecision(
        action=FinalAction.NO_TRADE, symbol=None, sizing=None, confidence=None, rule=rule, no_trade_reason=reason
    )
