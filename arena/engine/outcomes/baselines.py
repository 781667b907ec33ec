"""Free baselines: what doing nothing, holding the stock, or a one-line rule would have earned on the same inputs.

FINSABER (Li et al., 2025) found that LLM timing strategies which look good on short windows lose to buy-and-hold
and simple rules; "cost per alpha" only means something against a free baseline. Each baseline decides from the
run's stored market snapshot alone (nothing after its `as_of`) and is scored by the same code as the agents
(arena/engine/outcomes/scoring.py): the same snapshot, entry price, symbol and horizon as the agent votes it is
compared with. Baselines cost nothing. Rules and caveats: docs/LEADERBOARD.md.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from arena.engine.decide.decision import Sizing
from arena.engine.market.snapshot import SymbolSnapshot
from arena.kernel.kinds import Action, SizingKind


class Baseline(StrEnum):
    CASH = "cash"  # always HOLD: no position, signed return 0
    BUY_AND_HOLD = "buy_and_hold"  # always BUY the symbol
    MOMENTUM = "momentum"  # BUY when the last close is above its 30-day simple moving average, else HOLD


# what excess returns are measured against (cash's excess is the agent's own signed return)
EXCESS_OVER = (Baseline.BUY_AND_HOLD, Baseline.MOMENTUM)
# a baseline BUY opens 1 % of the run's equity in its shadow account (agents size their own votes); the
# paired excess return, in percentage points per decision, does not depend on size
BASELINE_SIZING = Sizing(kind=SizingKind.PCT_EQUITY, value=1.0)


def baseline_action(baseline: Baseline, symbol: SymbolSnapshot) -> Action:
    """The baseline's decision from the snapshot alone; momentum without a 30-day SMA (short history) holds."""
    if baseline == Baseline.BUY_AND_HOLD:
        return Action.BUY
    if baseline == Baseline.MOMENTUM:
        sma = symbol.indicators.sma_30
        return Action.BUY if sma is not None and symbol.indicators.last_close > sma else Action.HOLD
    return Action.HOLD


def baseline_key(baseline: Baseline, *, run_id: str, symbol: str, horizon_days: int) -> str:
    """The score row's subject_key: one per (baseline, run snapshot, symbol, horizon), 40 hex characters."""
    return hashlib.sha1(f"{baseline}|{run_id}|{symbol}|{horizon_days}".encode(), usedforsecurity=False).hexdigest()
