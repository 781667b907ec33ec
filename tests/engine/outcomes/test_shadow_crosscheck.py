"""The shadow account's max drawdown and Sharpe agree with an independent implementation (empyrical-reloaded).

Each series is a shadow account built from scored trades (several closing on one day, HOLDs that open nothing, a
first day that loses); empyrical gets the same series — the account's day-to-day returns — and must find the same
numbers: drawdown anchored at the starting equity, Sharpe as mean / sample stdev × √252 with a risk-free rate of 0.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import empyrical
import pandas as pd
import pytest

from arena.engine.outcomes.shadow import SHADOW_START_USD, shadow_account
from arena.kernel.kinds import Action
from arena.storage.models import DecisionScore

START = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)


def _trades(seed: int, count: int) -> list[DecisionScore]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        action = rng.choice([Action.BUY, Action.SELL, Action.BUY, Action.HOLD])
        day = START + timedelta(days=i // 2 + rng.randint(0, 1))  # some days close two trades, some none
        pnl = 0.0 if action == Action.HOLD else round(rng.gauss(20.0, 900.0), 4)
        out.append(DecisionScore(action=action, exit_at=day, pnl_usd=pnl))
    out.insert(0, DecisionScore(action=Action.BUY, exit_at=START - timedelta(days=1), pnl_usd=-1500.0))  # a bad start
    return out


def _returns(account: dict[str, object]) -> pd.Series:
    curve = account["equity_curve"]
    assert isinstance(curve, list)
    equity = pd.Series([SHADOW_START_USD] + [p["equity"] for p in curve])
    returns = equity.pct_change().dropna()
    returns.index = pd.to_datetime([p["date"] for p in curve])
    return returns


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_drawdown_and_sharpe_match_empyrical(seed: int) -> None:
    account = shadow_account(_trades(seed, 60))
    returns = _returns(account)
    assert len(returns) > 20 and account["trades"] > 20

    assert account["max_drawdown_pct"] == pytest.approx(-100.0 * empyrical.max_drawdown(returns), abs=1e-3)
    assert account["max_drawdown_pct"] > 1.0  # the series really falls (the check is not 0 == 0)
    expected_sharpe = empyrical.sharpe_ratio(returns, risk_free=0.0, period="daily")
    assert account["sharpe"] == pytest.approx(expected_sharpe, rel=1e-4)


def test_a_curve_that_only_rises_has_no_drawdown_in_either() -> None:
    trades = [DecisionScore(action=Action.BUY, exit_at=START + timedelta(days=i), pnl_usd=100.0 + i) for i in range(5)]
    account = shadow_account(trades)
    returns = _returns(account)
    assert account["max_drawdown_pct"] == 0.0 == -empyrical.max_drawdown(returns)
    assert account["sharpe"] == pytest.approx(empyrical.sharpe_ratio(returns), rel=1e-4)
