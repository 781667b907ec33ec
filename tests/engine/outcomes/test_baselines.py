"""Free baselines scored like agents, and agents' excess returns over them, on numbers worked out by hand.

Two real runs (engine → litellm → loopback LLM server) on two stored snapshots of AAPL at $100; five sessions
later AAPL closes at $110 after the first (+10 %) and at $95 after the second (−5 %). The first snapshot's 30-day
SMA is 95 (close above it: momentum buys), the second's 105 (momentum holds).

                      run 1 (+10 %)   run 2 (−5 %)   mean signed return   hits
    buy_and_hold      BUY  +10        BUY   −5        2.5                  1 of 2
    cash              HOLD   0        HOLD   0        0                    0 of 2 (both moves leave the ±1 % band)
    momentum          BUY  +10        HOLD   0        5                    1 of 2
    risk manager      BUY  +10        SELL  +5        7.5   excess over buy_and_hold (0, +10) → 5; over momentum (0, +5) → 2.5
    tech analyst      SELL −10        BUY   −5       −7.5   excess over buy_and_hold (−20, 0) → −10
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from arena.bootstrap.database import Database
from arena.engine.market.snapshot import Bar, Indicators, MarketSnapshot
from arena.engine.outcomes.baselines import Baseline, baseline_action, baseline_key
from arena.engine.outcomes.leaderboard import compute_leaderboard, cost_per_excess_point, excess_over
from arena.engine.outcomes.scoring import score_due
from arena.kernel.kinds import Action, ScoreSubject
from arena.storage.models import DecisionScore
from tests.engine.factories import decision_json, snapshot
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, FixedMarket, add_profiles, make_settings, run_arena
from tests.support.llm_server import LLMServer, Reply

HORIZON = 5  # decision_json's time_horizon is 5d
RISK_COST = 0.002  # the risk manager's reported cost per call (OpenRouter usage.cost): one call per decision


def _weekdays(start: date, end: date) -> list[date]:
    days, day = [], start
    while day <= end:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def _monday_weeks_ago(weeks: int) -> date:
    today = datetime.now(UTC).date()
    return today - timedelta(days=today.weekday()) - timedelta(weeks=weeks)


def _snap(day: date, sma_30: float) -> MarketSnapshot:
    base = snapshot(price=100.0)
    sym = base.symbols[0].model_copy(update={"indicators": Indicators(last_close=100.0, sma_30=sma_30)})
    return base.model_copy(update={"as_of": datetime.combine(day, time(21, 0), tzinfo=UTC), "symbols": [sym]})


def _bars(first: date, second: date) -> dict[str, list[Bar]]:
    """$100 every session except the 5th session after each entry day: $110 after the first, $95 after the second."""
    days = _weekdays(first - timedelta(days=7), second + timedelta(days=14))
    exits = {[d for d in days if d > first][HORIZON - 1]: 110.0, [d for d in days if d > second][HORIZON - 1]: 95.0}
    return {
        "AAPL": [
            Bar(t=datetime.combine(d, time(4, 0), tzinfo=UTC), o=100, h=100, l=100, c=exits.get(d, 100.0), v=1000)
            for d in days
        ]
    }


@pytest.fixture
def llm() -> LLMServer:
    with LLMServer() as server:
        yield server  # type: ignore[misc]


def _two_scored_runs(db: Database, llm: LLMServer) -> list[str]:
    add_profiles(db, llm)
    first, second = _monday_weeks_ago(3), _monday_weeks_ago(1)
    market = FixedMarket(bars=_bars(first, second))
    llm.on(POWER, Reply(content=decision_json("HOLD", 0.9), cost=0.01))
    runs = []
    for day, sma, risk, tech in ((first, 95.0, "BUY", "SELL"), (second, 105.0, "SELL", "BUY")):
        llm.on(CHEAP_B, Reply(content=decision_json(risk, 0.8), cost=RISK_COST))
        llm.on(CHEAP_A, Reply(content=decision_json(tech, 0.8)))
        market.snap = _snap(day, sma)
        runs.append(run_arena(db, make_settings(), market=market)["run_id"])
    report = score_due(
        sessions=db.sessions, bars=lambda symbols, start: market.daily_bars(symbols, start=start), now=datetime.now(UTC)
    )
    # per run: 3 agent votes (the cheap pair ties → the powerful judge answers), the final decision (a tie leaves
    # no cheap choice to score), and the 3 baselines on the run's one (snapshot, symbol, horizon)
    assert (report.scored, report.waiting, report.skipped) == (2 * 7, 0, 0)
    return runs


def test_baselines_and_excess_returns_match_the_hand_computation(database: Database, llm: LLMServer) -> None:
    runs = _two_scored_runs(database, llm)
    with database.sessions() as session:
        rows = session.query(DecisionScore).filter(DecisionScore.subject == ScoreSubject.BASELINE).all()
        assert {(r.run_id, r.profile_name, r.action, r.signed_return_pct) for r in rows} == {
            (runs[0], "buy_and_hold", Action.BUY, 10.0),
            (runs[1], "buy_and_hold", Action.BUY, -5.0),
            (runs[0], "cash", Action.HOLD, 0.0),
            (runs[1], "cash", Action.HOLD, 0.0),
            (runs[0], "momentum", Action.BUY, 10.0),
            (runs[1], "momentum", Action.HOLD, 0.0),
        }
        assert all(r.entry_price == 100.0 and r.horizon_days == HORIZON and r.llm_cost_usd == 0.0 for r in rows)
        board = compute_leaderboard(session=session, window="30d", group_by="profile", min_sample=2)

    entries = {e["key"]: e for e in board["entries"]}
    hold, cash, momentum = entries["buy_and_hold"], entries["cash"], entries["momentum"]
    assert {hold["kind"], cash["kind"], momentum["kind"]} == {"baseline"}
    assert (hold["n_scored"], hold["mean_return_pct"], hold["hit_rate"]) == (2, pytest.approx(2.5), 0.5)
    assert (cash["mean_return_pct"], cash["hit_rate"], cash["hold_rate"]) == (0.0, 0.0, 1.0)
    assert (momentum["mean_return_pct"], momentum["hit_rate"]) == (pytest.approx(5.0), 0.5)
    assert hold["llm_cost_usd"] == 0.0 and hold["excess_return_pct"] is None
    # a baseline BUY opens 1 % of the $100k equity: +$100 then −$50
    assert hold["shadow"]["pnl_usd"] == pytest.approx(50.0) and momentum["shadow"]["pnl_usd"] == pytest.approx(100.0)

    risk, tech = entries["cheap_risk_manager"], entries["cheap_tech_analyst"]
    assert risk["kind"] == "agent" and risk["mean_return_pct"] == pytest.approx(7.5)
    assert risk["excess_return_pct"] == {"buy_and_hold": pytest.approx(5.0), "momentum": pytest.approx(2.5)}
    assert risk["excess_n"] == {"buy_and_hold": 2, "momentum": 2}
    lo, hi = risk["excess_return_ci"]["buy_and_hold"]
    assert 0.0 <= lo <= 5.0 <= hi <= 10.0  # bootstrap of the paired differences (0, +10)
    assert risk["cost_per_decision_usd"] == pytest.approx(RISK_COST)
    assert risk["cost_per_excess_point_usd"] == {
        "buy_and_hold": pytest.approx(RISK_COST / 5.0),
        "momentum": pytest.approx(RISK_COST / 2.5),
    }
    assert tech["excess_return_pct"]["buy_and_hold"] == pytest.approx(-10.0)
    assert tech["cost_per_excess_point_usd"]["buy_and_hold"] is None  # it does not beat the baseline
    # the arena's own final decisions (HOLD both times) against the same baselines
    assert board["arena"]["excess_return_pct"] == {"buy_and_hold": pytest.approx(-2.5), "momentum": pytest.approx(-5)}


def test_scoring_baselines_is_idempotent_and_waits_for_the_horizon(database: Database, llm: LLMServer) -> None:
    _two_scored_runs(database, llm)
    market = FixedMarket()  # no bars at all: nothing new to score, nothing scored twice
    again = score_due(
        sessions=database.sessions, bars=lambda s, start: market.daily_bars(s, start=start), now=datetime.now(UTC)
    )
    assert (again.scored, again.waiting) == (0, 0)


@pytest.mark.parametrize(
    ("sma_30", "expected"),
    [(95.0, Action.BUY), (100.0, Action.HOLD), (105.0, Action.HOLD), (None, Action.HOLD)],
)
def test_momentum_buys_only_above_its_30_day_average(sma_30: float | None, expected: Action) -> None:
    indicators = Indicators(last_close=100.0, sma_30=sma_30)
    sym = snapshot(price=100.0).symbols[0].model_copy(update={"indicators": indicators})
    assert baseline_action(Baseline.MOMENTUM, sym) == expected
    assert baseline_action(Baseline.BUY_AND_HOLD, sym) == Action.BUY
    assert baseline_action(Baseline.CASH, sym) == Action.HOLD


def test_baseline_keys_fit_the_column_and_differ_per_snapshot_symbol_and_horizon() -> None:
    keys = {
        baseline_key(b, run_id="a" * 32, symbol=s, horizon_days=h)
        for b in Baseline
        for s in ("AAPL", "MSFT")
        for h in (1, 5)
    }
    assert len(keys) == 3 * 2 * 2 and all(len(k) == 40 for k in keys)


def _score(run: str, signed: float) -> DecisionScore:
    return DecisionScore(run_id=run, symbol="AAPL", horizon_days=1, signed_return_pct=signed)


def test_excess_pairs_only_decisions_whose_baseline_is_scored() -> None:
    baseline = {("r1", "AAPL", 1): _score("r1", 2.0), ("r2", "AAPL", 1): _score("r2", -1.0)}
    agent = [_score("r1", 5.0), _score("r2", 1.0), _score("r3", 40.0)]  # r3's baseline is not scored: not paired
    got = excess_over(agent, baseline)
    assert (got["n"], got["mean"], got["cumulative"]) == (2, pytest.approx(2.5), pytest.approx(5.0))
    assert excess_over([], baseline) == {"n": 0, "mean": None, "ci": None, "cumulative": None}
    assert cost_per_excess_point(0.01, 2.5) == pytest.approx(0.004)
    assert cost_per_excess_point(0.01, 0.0) is None and cost_per_excess_point(0.01, -1.0) is None
    assert cost_per_excess_point(None, 2.5) is None and cost_per_excess_point(0.01, None) is None
