"""Indicators and the volatility regime, as pure functions so they can be checked by hand.

Conventions (stated once so prompts and tests agree):
- returns are simple returns, `c[i] / c[i-1] - 1`;
- RSI and ATR use Wilder's smoothing, seeded with the plain mean of the first `period` values;
- ATR's true ranges start at the second bar (the first has no previous close);
- realised volatility is the sample stdev (n-1) of the last 20 daily returns × √252, in percent.
Each function returns None when there are too few values rather than guessing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import NamedTuple

from arena.engine.market.snapshot import Bar, Indicators
from arena.kernel.kinds import Regime

DEFAULT_VOL_THRESHOLD_PCT = 40.0
TRADING_DAYS_PER_YEAR = 252
_DIGITS = 6  # rounding keeps prompts short and the canonical JSON free of float noise


class RegimeVerdict(NamedTuple):
    """The regime and the rule text that produced it (recorded as MarketSnapshot.regime_rule)."""

    regime: Regime
    rule: str


def daily_returns(closes: Sequence[float]) -> list[float]:
    return [closes[i] / closes[i - 1] - 1.0 for i in range(1, len(closes)) if closes[i - 1] != 0]


def return_pct(closes: Sequence[float], periods: int) -> float | None:
    """Percent change over the last `periods` bars."""
    if len(closes) <= periods or closes[-1 - periods] == 0:
        return None
    return (closes[-1] / closes[-1 - periods] - 1.0) * 100.0


def sma(values: Sequence[float], period: int) -> float | None:
    if len(values) < period:
        return None
    return sum(values[-period:]) / period


def _wilder(values: Sequence[float], period: int) -> float:
    average = sum(values[:period]) / period
    for value in values[period:]:
        average = (average * (period - 1) + value) / period
    return average


def rsi(closes: Sequence[float], period: int = 14) -> float | None:
    """Wilder's RSI; 100 when there were no losses, 50 when the series never moved."""
    if len(closes) < period + 1:
        return None
    changes = [closes[i] - closes[i - 1] for i in range(1, len(closes))]
    avg_gain = _wilder([max(c, 0.0) for c in changes], period)
    avg_loss = _wilder([max(-c, 0.0) for c in changes], period)
    if avg_loss == 0:
        return 50.0 if avg_gain == 0 else 100.0
    return 100.0 - 100.0 / (1.0 + avg_gain / avg_loss)


def true_ranges(bars: Sequence[Bar]) -> list[float]:
    return [max(bar.h - bar.l, abs(bar.h - prev.c), abs(bar.l - prev.c)) for prev, bar in itertools.pairwise(bars)]


def atr(bars: Sequence[Bar], period: int = 14) -> float | None:
    ranges = true_ranges(bars)
    if len(ranges) < period:
        return None
    return _wilder(ranges, period)


def realized_vol_pct(closes: Sequence[float], window: int = 20) -> float | None:
    """Annualised sample stdev of the last `window` daily returns, in percent."""
    returns = daily_returns(closes)[-window:]
    if len(returns) < window or window < 2:
        return None
    mean = sum(returns) / window
    variance = sum((r - mean) ** 2 for r in returns) / (window - 1)
    return math.sqrt(variance) * math.sqrt(TRADING_DAYS_PER_YEAR) * 100.0


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, _DIGITS)


def compute_indicators(bars: Sequence[Bar]) -> Indicators:
    """Everything the prompts quote, from bars in time order (oldest first)."""
    if not bars:
        raise ValueError("compute_indicators needs at least one bar")
    closes = [bar.c for bar in bars]
    return Indicators(
        last_close=closes[-1],
        return_1d_pct=_round(return_pct(closes, 1)),
        return_5d_pct=_round(return_pct(closes, 5)),
        sma_10=_round(sma(closes, 10)),
        sma_30=_round(sma(closes, 30)),
        rsi_14=_round(rsi(closes, 14)),
        atr_14=_round(atr(bars, 14)),
        realized_vol_20d_pct=_round(realized_vol_pct(closes, 20)),
    )


def classify_regime(indicators: Indicators, *, vol_threshold_pct: float = DEFAULT_VOL_THRESHOLD_PCT) -> RegimeVerdict:
    """high_volatility when realised 20-day vol >= threshold; normal otherwise, or when vol is unknown."""
    vol = indicators.realized_vol_20d_pct
    if vol is None:
        return RegimeVerdict(Regime.NORMAL, "realized_vol_20d_pct unavailable (fewer than 21 bars) → normal")
    if vol >= vol_threshold_pct:
        return RegimeVerdict(Regime.HIGH_VOLATILITY, f"realized_vol_20d_pct {vol:.2f} >= {vol_threshold_pct:g}")
    return RegimeVerdict(Regime.NORMAL, f"realized_vol_20d_pct {vol:.2f} < {vol_threshold_pct:g}")


def overall_rule(vol_threshold_pct: float) -> str:
    """The snapshot-level rule text; per-symbol verdicts are appended by the caller."""
    return (
        f"high_volatility when any symbol's realized_vol_20d_pct (annualised sample stdev of the last "
        f"20 daily returns) >= {vol_threshold_pct:g}; otherwise normal"
    )
