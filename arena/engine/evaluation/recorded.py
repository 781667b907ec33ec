"""A recorded run made ready to be re-decided: its votes as the engine's Vote objects, its recorded judge and
powerful answers, their recorded costs, and a stand-in for the snapshot facts the triggers read.

A run that cannot be re-decided faithfully is refused here with the reason (PreparedRun.skip).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from arena.engine.decide.consensus import Vote
from arena.engine.decide.decision import AgentDecision, Sizing
from arena.engine.market.snapshot import Indicators, MarketSnapshot, PortfolioState, SymbolSnapshot
from arena.kernel.kinds import Action, DecidedBy, Phase, Regime, SizingKind, TimeHorizon
from arena.kernel.states import AgentStatus, RunStatus
from arena.storage.read.replay_inputs import RecordedAnswer, RecordedRun

# Recorded outcomes that stopped the run before the judge or the triggers were reached.
_STOPPED_EARLY = frozenset({DecidedBy.NO_QUORUM, DecidedBy.VETO, DecidedBy.SPEND_CAP})


@dataclass(slots=True)  # not frozen: built once per recorded answer (hundreds of thousands), never changed
class Answer:
    """A recorded answer as the engine sees it: who (role, for the weight) and the decision, if valid."""

    agent: str
    role: str
    decision: AgentDecision | None
    called: bool  # False when a spend limit skipped the call (nothing was asked, nothing paid)


@dataclass(slots=True)
class PreparedRun:
    run_id: str
    mode: str
    symbols: list[str]
    votes: list[Answer] = field(default_factory=list)  # each cheap agent's latest valid answer
    judge_asked: bool = False
    judge: Answer | None = None
    power: list[Answer] = field(default_factory=list)
    cheap_cost: float = 0.0
    judge_cost: float = 0.0
    power_cost: float = 0.0
    total_cost: float = 0.0
    passed_cheap_stop: bool = False  # the recorded run got past quorum and veto (so its judge need was seen)
    decided_by: str | None = None
    final_action: str | None = None
    final_symbol: str | None = None
    escalation_needed: bool = False
    power_calls: int = 0
    snapshot: MarketSnapshot | None = None
    portfolio: PortfolioState | None = None
    skip: str | None = None

    def vote_list(self, weight: dict[str, float]) -> list[Vote]:
        return [_vote(a.agent, a.role, a.decision, weight.get(a.role, 1.0)) for a in self.votes if a.decision]


_VOTES: dict[tuple[str, str, int, float], Vote] = {}


def _vote(agent: str, role: str, decision: AgentDecision, weight: float) -> Vote:
    """Votes are frozen: equal ones (same agent, role, weight and the one shared decision object) are one object."""
    key = (agent, role, id(decision), weight)
    made = _VOTES.get(key)
    if made is None or made.decision is not decision:
        if len(_VOTES) > _CACHE_LIMIT:
            _VOTES.clear()
        made = _VOTES[key] = Vote(agent, role, decision, weight)
    return made


_HORIZONS = frozenset(TimeHorizon)
_SKIPPED = AgentStatus.SKIPPED.value  # a plain str: comparing with the stored text is cheaper than with the enum
_REGIMES = frozenset(Regime)
_DecisionKey = tuple[str, tuple[str, ...], str, float, str | None, tuple[str, ...], float]
_DECISIONS: dict[_DecisionKey, AgentDecision] = {}
_CACHE_LIMIT = 200_000


def _decision(a: RecordedAnswer) -> AgentDecision | None:
    """The stored (already validated) answer back as an AgentDecision, without validating it again; equal answers
    share one object (decisions are never changed once made)."""
    if not a.valid or a.action is None or a.confidence is None:
        return None
    sizing = a.sizing or {"kind": SizingKind.PCT_EQUITY, "value": 0.0}
    key = (
        a.action,
        tuple(a.symbols),
        sizing["kind"],
        float(sizing["value"]),
        a.time_horizon,
        tuple(a.risk_flags),
        a.confidence,
    )
    made = _DECISIONS.get(key)
    if made is None:
        if len(_DECISIONS) > _CACHE_LIMIT:
            _DECISIONS.clear()
        made = _DECISIONS[key] = _construct(a, sizing)
    return made


def _construct(a: RecordedAnswer, sizing: dict[str, Any]) -> AgentDecision:
    assert a.action is not None and a.confidence is not None
    horizon = TimeHorizon(a.time_horizon) if a.time_horizon in _HORIZONS else TimeHorizon.ONE_DAY
    return AgentDecision.model_construct(
        action=Action(a.action),
        symbols=a.symbols,
        sizing=Sizing.model_construct(kind=SizingKind(sizing["kind"]), value=float(sizing["value"])),
        time_horizon=horizon,
        rationale="",
        risk_flags=a.risk_flags,
        confidence=a.confidence,
        required_tools=[],
        data_dependencies=[],
    )


def _answer(a: RecordedAnswer) -> Answer:
    return Answer(a.agent, a.role, _decision(a), a.status != _SKIPPED)


_STAND_INS: dict[tuple[str, float, tuple[tuple[str, float], ...]], tuple[MarketSnapshot, PortfolioState]] = {}


def _stand_ins(run: RecordedRun, prices: dict[str, float]) -> tuple[MarketSnapshot, PortfolioState]:
    """Just what the triggers and the size check read: the regime, last prices and the equity (shared by every
    run with the same facts; they are never changed)."""
    key = (str(run.regime), float(run.equity or 0.0), tuple(sorted(prices.items())))
    made = _STAND_INS.get(key)
    if made is None:
        if len(_STAND_INS) > 10_000:
            _STAND_INS.clear()
        made = _STAND_INS[key] = _make_stand_ins(run, prices)
    return made


def _make_stand_ins(run: RecordedRun, prices: dict[str, float]) -> tuple[MarketSnapshot, PortfolioState]:
    now = datetime.now(UTC)
    symbols = [
        SymbolSnapshot.model_construct(
            symbol=s, last_price=p, bars=[], indicators=Indicators.model_construct(last_close=p), regime=Regime.NORMAL
        )
        for s, p in prices.items()
    ]
    snap = MarketSnapshot.model_construct(
        as_of=now, timeframe="1Day", symbols=symbols, regime=Regime(run.regime or Regime.NORMAL), regime_rule=""
    )
    port = PortfolioState.model_construct(
        as_of=now, equity=float(run.equity or 0.0), cash=0.0, buying_power=0.0, positions=[]
    )
    return snap, port


def prepare(run: RecordedRun, prices: dict[str, float]) -> PreparedRun:
    p = PreparedRun(run_id=run.run_id, mode=run.mode, symbols=run.symbols)
    p.decided_by, p.final_action, p.final_symbol = run.decided_by, run.final_action, run.final_symbol
    p.escalation_needed = bool(run.escalation_reasons)
    if run.status != RunStatus.COMPLETED:
        p.skip = f"run {run.status}"
        return p
    if not run.has_consensus or run.decided_by is None:
        p.skip = "no consensus recorded"
        return p
    if run.regime not in _REGIMES or run.equity is None:
        p.skip = "market or portfolio snapshot missing"
        return p
    latest: dict[str, RecordedAnswer] = {}
    for a in run.answers:
        cost = a.cost_usd or 0.0
        p.total_cost += cost
        if a.phase in (Phase.CHEAP, Phase.DEBATE):
            p.cheap_cost += cost
            if a.valid and (a.agent not in latest or a.round >= latest[a.agent].round):
                latest[a.agent] = a
        elif a.phase == Phase.JUDGE:
            p.judge_cost += cost
            p.judge_asked = True
            if a.valid:
                p.judge = _answer(a)
        elif a.phase == Phase.ESCALATION:
            p.power_cost += cost
            p.power.append(_answer(a))
            p.power_calls += 1 if a.status != AgentStatus.SKIPPED else 0
    p.votes = [_answer(a) for a in sorted(latest.values(), key=lambda a: a.agent)]
    p.power.sort(key=lambda a: a.agent)
    p.passed_cheap_stop = run.decided_by not in _STOPPED_EARLY or p.judge_asked or bool(p.power)
    p.snapshot, p.portfolio = _stand_ins(run, prices)
    return p
