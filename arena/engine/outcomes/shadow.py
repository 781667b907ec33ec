"""Shadow accounts: a virtual paper account per agent that follows its own votes with its own sizing.

Each scored BUY/SELL vote is one closed trade from entry to the horizon's exit; the account starts at
SHADOW_START_USD and its equity moves by each trade's PnL on the trade's exit day (marked to market at the bar
close). HOLD votes open nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from arena.engine.outcomes.metrics import max_drawdown_pct, sharpe, win_rate
from arena.kernel.kinds import Action
from arena.storage.models import DecisionScore

SHADOW_START_USD = 100_000.0


def shadow_account(scores: Sequence[DecisionScore]) -> dict[str, Any]:
    trades = [s for s in scores if s.action in (Action.BUY, Action.SELL)]
    by_day: dict[date, float] = {}
    for t in trades:
        by_day[t.exit_at.date()] = by_day.get(t.exit_at.date(), 0.0) + t.pnl_usd
    equity = SHADOW_START_USD
    curve: list[dict[str, Any]] = []
    daily_returns: list[float] = []
    for day in sorted(by_day):
        before = equity
        equity += by_day[day]
        daily_returns.append((equity / before - 1.0) * 100.0 if before else 0.0)
        curve.append({"date": day.isoformat(), "equity": round(equity, 2)})
    values = [SHADOW_START_USD] + [p["equity"] for p in curve]
    pnls = [t.pnl_usd for t in trades]
    return {
        "start_equity": SHADOW_START_USD,
        "equity": round(equity, 2),
        "pnl_usd": round(equity - SHADOW_START_USD, 2),
        "trades": len(trades),
        "win_rate": win_rate(pnls),
        "max_drawdown_pct": round(max_drawdown_pct(values), 4),
        "sharpe": sharpe(daily_returns),
        "equity_curve": curve,
    }
