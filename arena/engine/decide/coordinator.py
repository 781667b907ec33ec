"""ArenaCoordinator: cheap agents (or a bull/bear debate), consensus, an optional cheap judge, escalation.

The order of the rules is documented in docs/ARCHITECTURE.md ("How a run decides"). The coordinator holds no
database session: spend limits and the powerful-call cap come in as a guard and a callable, so the same code runs
in the CLI, the worker and tests, and every LLM call is recorded by the gateway's sink.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.decide import escalation
from arena.engine.decide.agents import AgentOutcome, AgentSpec, CallIds, ask_agent
from arena.engine.decide.budgets import PowerClaim
from arena.engine.decide.consensus import (
    FINAL_NO_TRADE_RULES,
    ConsensusResult,
    ConsensusRule,
    Veto,
    Vote,
    decide,
    find_veto,
    judged,
    notional_usd,
)
from arena.engine.decide.decision import AgentDecision, Sizing
from arena.engine.decide.prompts import (
    DebateTurn,
    answer_rules,
    market_context,
    render_agent,
    render_debate,
    render_judge,
)
from arena.engine.decide.spend import SpendGuard, SpendScope
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState
from arena.engine.ports import Gateway
from arena.engine.tools.toolbox import ToolBox
from arena.kernel.kinds import (
    DecidedBy,
    FinalAction,
    Phase,
    Provider,
    Purpose,
    RunMode,
    SizingKind,
    TimeHorizon,
)

JUDGE_REASON_TIE = "tie"
JUDGE_REASON_DEBATE = "debate"


@dataclass(frozen=True, kw_only=True)
class FinalDecision:
    action: FinalAction
    symbol: str | None
    sizing: Sizing | None
    confidence: float | None
    rule: str  # a ConsensusRule, prefixed `escalation_` after escalation, or why the arena declined to trade
    no_trade_reason: str | None
    decided_by: DecidedBy
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
class _Run:
    """What one run's steps share: ids, the rendered market context, the universe and everything asked so far."""

    ids: CallIds
    context: str
    universe: list[str]
    repair_agent: AgentSpec | None
    rules: str
    outcomes: list[AgentOutcome] = field(default_factory=list)
    transcript: list[DebateTurn] = field(default_factory=list)
    trace: dict[str, Any] = field(default_factory=dict)


@dataclass
class ArenaCoordinator:
    gateway: Gateway
    config: GuardrailConfig
    spend: SpendGuard
    claim_power_call: PowerClaim
    tools: ToolBox | None = None  # the run's read-only tools (agents whose policy allows them may call them)

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
        judges: list[AgentSpec] | None = None,
    ) -> CoordinatorResult:
        context = market_context(snapshot, portfolio, universe)
        run = _Run(ids, context, universe, pick_repair_agent(cheap), answer_rules(self.config.blocking_risk_flags))
        run.trace["thresholds"] = self._thresholds()
        latest = await self._cheap_rounds(run, cheap, debate=mode == RunMode.DEBATE)
        votes = [self._vote(o) for o in latest]
        cheap_result = decide(votes, blocking_flags=self.config.blocking_risk_flags, quorum=self.config.min_valid_votes)
        run.trace["cheap"] = cheap_result.trace
        run.trace["quorum"] = {"valid": cheap_result.valid_votes, "required": cheap_result.quorum}

        if cheap_result.rule in FINAL_NO_TRADE_RULES:
            return self._finish(run, cheap_result, [], escalated=False, final=self._stopped(run, cheap_result))

        candidate, decided_by = cheap_result, DecidedBy.CHEAP_CONSENSUS
        judge_reason = JUDGE_REASON_DEBATE if mode == RunMode.DEBATE else None
        if cheap_result.rule == ConsensusRule.TIE:
            judge_reason = JUDGE_REASON_TIE
        judge_vote: Vote | None = None
        if judge_reason is not None and judges:
            judge_vote = await self._ask_judge(run, judges, [v.decision for v in votes], judge_reason)
        if judge_vote is not None:
            candidate = judged(
                votes, judge_vote, blocking_flags=self.config.blocking_risk_flags, quorum=self.config.min_valid_votes
            )
            decided_by = DecidedBy.CHEAP_JUDGE
            run.trace["judge_result"] = candidate.trace
            if candidate.veto is not None:
                return self._finish(run, cheap_result, [], escalated=False, final=self._stopped(run, candidate))

        reasons = escalation.escalation_reasons(candidate, config=self.config, snapshot=snapshot, portfolio=portfolio)
        run.trace["escalation_reasons"] = reasons
        if not reasons:
            final = cheap_final(candidate, [*votes, *([judge_vote] if judge_vote else [])], decided_by)
            return self._finish(run, cheap_result, [], escalated=False, final=final)
        if not power:
            final = no_power_decision(reasons)
            return self._finish(run, cheap_result, reasons, escalated=False, final=final)

        asked = [v.decision for v in votes]
        power_outcomes, denied = await self._escalate(
            run, power, asked, reasons, judge_vote.decision if judge_vote else None
        )
        if denied and not power_outcomes:
            final = power_cap_decision(self.config)
            return self._finish(run, cheap_result, reasons, escalated=False, final=final)
        final = self._after_escalation(run, power_outcomes, snapshot=snapshot, portfolio=portfolio)
        return self._finish(run, cheap_result, reasons, escalated=True, final=final)

    # --- the cheap round, or the debate -------------------------------------------------------------------------

    async def _cheap_rounds(self, run: _Run, cheap: list[AgentSpec], *, debate: bool) -> list[AgentOutcome]:
        """Round one for every cheap agent; in a debate, more rounds where each sees the others' latest arguments.

        Returns each agent's latest valid answer (the votes), in the agents' order.
        """
        first = await asyncio.gather(
            *(
                self._ask(
                    run,
                    a,
                    render_agent(a.template, run.context, run.rules),
                    phase=Phase.CHEAP,
                    round_no=1,
                    purpose=Purpose.AGENT,
                )
                for a in cheap
            )
        )
        run.outcomes += first
        latest = {o.agent.name: o for o in first if o.valid}
        if not debate:
            return list(latest.values())
        run.transcript += [_turn(o) for o in latest.values()]
        for round_no in range(2, self.config.debate_rounds + 1):
            if self._veto_in_run(run) is not None:
                # a blocking flag ends the run: no more rounds are paid for, and the vetoing answer stays among
                # the latest votes, so the consensus sees it even if the agent would have dropped it later
                break
            turns = {name: _turn(o) for name, o in latest.items()}
            revised = await asyncio.gather(
                *(
                    self._ask(
                        run,
                        own.agent,
                        render_debate(
                            own.agent.template,
                            run.context,
                            _decision(own),
                            [t for n, t in turns.items() if n != name],
                            round_no,
                            run.rules,
                        ),
                        phase=Phase.DEBATE,
                        round_no=round_no,
                        purpose=Purpose.DEBATE,
                    )
                    for name, own in latest.items()
                )
            )
            run.outcomes += revised
            for o in revised:
                if o.valid:
                    latest[o.agent.name] = o
                    run.transcript.append(_turn(o))
        run.trace["debate"] = [
            {
                "round": t.round,
                "role": t.role,
                "action": t.decision.action,
                "confidence": t.decision.confidence,
                "symbols": t.decision.symbols,
                "argument": t.decision.rationale,
            }
            for t in run.transcript
        ]
        run.trace["debate_rounds"] = self.config.debate_rounds
        return [latest[a.name] for a in cheap if a.name in latest]

    # --- the cheap judge -----------------------------------------------------------------------------------------

    async def _ask_judge(
        self, run: _Run, judges: list[AgentSpec], cheap: list[AgentDecision], reason: str
    ) -> Vote | None:
        """Ask judge_cheap profiles in order until one gives a valid answer; None when none did."""
        for judge in judges:
            template = judge.template
            outcome = await self._ask(
                run,
                judge,
                render_judge(template, run.context, cheap, [reason], transcript=run.transcript, rules=run.rules),
                phase=Phase.JUDGE,
                round_no=1,
                purpose=Purpose.JUDGE,
            )
            run.outcomes.append(outcome)
            if outcome.valid:
                vote = self._vote(outcome)
                run.trace["judge"] = {
                    "agent": judge.name,
                    "model": judge.model,
                    "reason": reason,
                    "action": vote.decision.action,
                    "symbols": vote.decision.symbols,
                    "confidence": vote.decision.confidence,
                    "risk_flags": vote.decision.risk_flags,
                }
                return vote
            run.trace.setdefault("judge_failures", []).append(
                {"agent": judge.name, "status": outcome.status, "error": outcome.error}
            )
        return None

    # --- escalation ----------------------------------------------------------------------------------------------

    async def _escalate(
        self,
        run: _Run,
        power: list[AgentSpec],
        cheap: list[AgentDecision],
        reasons: list[str],
        judge: AgentDecision | None,
    ) -> tuple[list[AgentOutcome], bool]:
        tasks = []
        denied = False
        for agent in power:
            if not self.claim_power_call():
                denied = True
                continue
            template = agent.template
            messages = render_judge(
                template, run.context, cheap, reasons, transcript=run.transcript, judge=judge, rules=run.rules
            )
            tasks.append(
                self._ask(run, agent, messages, phase=Phase.ESCALATION, round_no=1, purpose=Purpose.ESCALATION)
            )
        outcomes = list(await asyncio.gather(*tasks))
        run.outcomes += outcomes
        return outcomes, denied

    def _after_escalation(
        self, run: _Run, power_outcomes: list[AgentOutcome], *, snapshot: MarketSnapshot, portfolio: PortfolioState
    ) -> FinalDecision:
        votes = [self._vote(o) for o in power_outcomes if o.valid]
        refused = any(o.refused_by == SpendScope.GLOBAL for o in power_outcomes)
        return settle_escalation(
            votes, config=self.config, spend_refused=refused, snapshot=snapshot, portfolio=portfolio, trace=run.trace
        )

    # --- helpers -------------------------------------------------------------------------------------------------

    async def _ask(
        self,
        run: _Run,
        agent: AgentSpec,
        messages: list[dict[str, str]],
        *,
        phase: Phase,
        round_no: int,
        purpose: Purpose,
    ) -> AgentOutcome:
        return await ask_agent(
            self.gateway,
            agent,
            messages,
            ids=run.ids,
            phase=phase,
            round_no=round_no,
            purpose=purpose,
            universe=run.universe,
            repair_agent=run.repair_agent,
            spend=self.spend,
            toolbox=self.tools,
        )

    def _veto_in_run(self, run: _Run) -> Veto | None:
        """A blocking flag in any valid answer so far (every phase and every debate round)."""
        return find_veto([self._vote(o) for o in run.outcomes if o.valid], self.config.blocking_risk_flags)

    def _vote(self, outcome: AgentOutcome) -> Vote:
        return Vote(
            outcome.agent.name, outcome.agent.role, _decision(outcome), self.config.role_weight(outcome.agent.role)
        )

    def _stopped(self, run: _Run, result: ConsensusResult) -> FinalDecision:
        cheap_refused = any(o.phase == Phase.CHEAP and o.refused_by == SpendScope.GLOBAL for o in run.outcomes)
        return stopped_decision(result, spend_refused=cheap_refused, trace=run.trace)

    def _finish(
        self, run: _Run, cheap: ConsensusResult, reasons: list[str], *, escalated: bool, final: FinalDecision
    ) -> CoordinatorResult:
        run.trace["escalation_reasons"] = reasons
        run.trace["decided_by"] = final.decided_by
        return CoordinatorResult(
            outcomes=run.outcomes,
            cheap=cheap,
            escalation_reasons=reasons,
            escalated=escalated,
            final=final,
            trace=run.trace,
        )

    def _thresholds(self) -> dict[str, Any]:
        c = self.config
        return {
            "disagreement_rate": c.disagreement_rate,
            "min_confidence": c.min_confidence,
            "min_valid_votes": c.min_valid_votes,
            "high_risk_portfolio_delta_pct": c.high_risk_portfolio_delta_pct,
            "max_power_calls_per_day": c.max_power_calls_per_day,
            "blocking_risk_flags": list(c.blocking_risk_flags),
            "role_weights": dict(c.role_weights),
        }


# --- the pure decision steps (also re-run by arena/engine/evaluation/policy_replay.py on recorded answers) ---------


def stopped_decision(result: ConsensusResult, *, spend_refused: bool, trace: dict[str, Any]) -> FinalDecision:
    """NO_TRADE for a veto, no quorum or no valid vote — saying which, and whether the spend cap caused it."""
    if result.veto is not None:
        trace["veto"] = result.veto.as_dict()
        v = result.veto
        return _no_trade(f"risk veto: {v.agent} ({v.role}) raised '{v.flag}'", ConsensusRule.RISK_VETO, DecidedBy.VETO)
    reason = f"no quorum ({result.valid_votes} of {result.quorum} valid)"
    if spend_refused:
        return _no_trade(f"daily LLM spend cap reached: {reason}", ConsensusRule.NO_QUORUM, DecidedBy.SPEND_CAP)
    return _no_trade(reason, ConsensusRule.NO_QUORUM, DecidedBy.NO_QUORUM)


def cheap_final(candidate: ConsensusResult, votes: list[Vote], decided_by: DecidedBy) -> FinalDecision:
    """No trigger fired: the cheap consensus (or the cheap judge's answer) is final."""
    return _from_consensus(candidate, votes, decided_by)


def no_power_decision(reasons: list[str]) -> FinalDecision:
    return _no_trade(
        f"escalation needed ({', '.join(reasons)}) but no enabled escalation_only profile",
        "no_power_profile",
        DecidedBy.NO_POWER_PROFILE,
    )


def power_cap_decision(config: GuardrailConfig) -> FinalDecision:
    return _no_trade(
        f"daily powerful-call cap ({config.max_power_calls_per_day}) reached",
        "power_cap_reached",
        DecidedBy.POWER_CAP_REACHED,
    )


def settle_escalation(
    votes: list[Vote],
    *,
    config: GuardrailConfig,
    spend_refused: bool,
    snapshot: MarketSnapshot,
    portfolio: PortfolioState,
    trace: dict[str, Any],
    decided: ConsensusResult | None = None,
) -> FinalDecision:
    """The powerful answers (valid ones, as votes) are the candidate: vetoed by a blocking flag, NO_TRADE when
    missing, split or still unsure, and the size is held to the portfolio-delta limit. `decided` is the votes'
    `decide(…, quorum=1)` when the caller already has it (policy replay settles the same answers many times)."""
    result = decided if decided is not None else decide(votes, blocking_flags=config.blocking_risk_flags, quorum=1)
    trace["power"] = result.trace
    if result.veto is not None:
        return stopped_decision(result, spend_refused=False, trace=trace)
    if not votes:
        if spend_refused:
            return _no_trade("daily LLM spend cap reached before the powerful call", "spend_cap", DecidedBy.SPEND_CAP)
        return _no_trade("escalation produced no valid decision", "escalation_failed", DecidedBy.ESCALATION)
    if result.action is None:
        return _no_trade(
            f"escalated decision unusable ({result.rule})", f"escalation_{result.rule}", DecidedBy.ESCALATION
        )
    if result.confidence < config.min_confidence:
        return _no_trade(
            f"still uncertain after escalation (confidence {result.confidence:.2f} < {config.min_confidence:.2f})",
            "uncertain_after_escalation",
            DecidedBy.ESCALATION,
        )
    final = _from_consensus(result, votes, DecidedBy.ESCALATION, rule_prefix="escalation_")
    return hold_to_delta_limit(final, config=config, snapshot=snapshot, portfolio=portfolio, trace=trace)


def hold_to_delta_limit(
    final: FinalDecision,
    *,
    config: GuardrailConfig,
    snapshot: MarketSnapshot,
    portfolio: PortfolioState,
    trace: dict[str, Any],
) -> FinalDecision:
    """Re-check the powerful answer's size: above `high_risk_portfolio_delta_pct` it is cut to the limit."""
    if final.action not in (FinalAction.BUY, FinalAction.SELL) or final.sizing is None or final.symbol is None:
        return final
    limit = config.high_risk_portfolio_delta_pct
    if portfolio.equity <= 0:
        return final  # the execution guardrails refuse a trade on an account without equity
    delta = 100.0 * notional_usd(final.sizing, symbol=final.symbol, snapshot=snapshot, portfolio=portfolio)
    delta /= portfolio.equity
    check: dict[str, Any] = {"delta_pct": round(delta, 6), "limit_pct": limit, "sizing": final.sizing.model_dump()}
    if delta <= limit:
        check["result"] = "within limit"
        trace["sizing_check"] = check
        return final
    clipped = Sizing(kind=SizingKind.PCT_EQUITY, value=limit)
    check.update({"result": "cut to the limit", "clipped_to": clipped.model_dump()})
    trace["sizing_check"] = check
    return FinalDecision(
        action=final.action,
        symbol=final.symbol,
        sizing=clipped,
        confidence=final.confidence,
        rule=final.rule,
        no_trade_reason=None,
        decided_by=final.decided_by,
        time_horizon=final.time_horizon,
    )


def _decision(outcome: AgentOutcome) -> AgentDecision:
    assert outcome.decision is not None, "only valid outcomes vote"
    return outcome.decision


def _turn(outcome: AgentOutcome) -> DebateTurn:
    return DebateTurn(round=outcome.round, role=outcome.agent.role, decision=_decision(outcome))


def pick_repair_agent(cheap: list[AgentSpec]) -> AgentSpec | None:
    """Repairs go to a cheap model, never a powerful one; OpenAI first because it enforces the JSON schema."""
    ranked = sorted(cheap, key=lambda a: (a.provider != Provider.OPENAI, a.name))
    return ranked[0] if ranked else None


def _from_consensus(
    result: ConsensusResult, votes: list[Vote], decided_by: DecidedBy, *, rule_prefix: str = ""
) -> FinalDecision:
    assert result.action is not None, "a result without an action is stopped before this"
    horizon = next((v.decision.time_horizon for v in reversed(votes) if v.decision.action == result.action), None)
    return FinalDecision(
        action=FinalAction(result.action),
        symbol=result.symbol,
        sizing=result.sizing,
        confidence=result.confidence,
        rule=rule_prefix + result.rule,
        no_trade_reason=None,
        decided_by=decided_by,
        time_horizon=horizon,
    )


def _no_trade(reason: str, rule: str, decided_by: DecidedBy) -> FinalDecision:
    return FinalDecision(
        action=FinalAction.NO_TRADE,
        symbol=None,
        sizing=None,
        confidence=None,
        rule=rule,
        no_trade_reason=reason,
        decided_by=decided_by,
    )
