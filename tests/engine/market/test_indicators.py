"""Indicators against values worked out by hand (the arithmetic is in each test's comment)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from arena.engine.market.indicators import (
    DEFAULT_VOL_THRESHOLD_PCT,
    atr,
    classify_regime,
    compute_indicators,
    daily_returns,
    realized_vol_pct,
    return_pct,
    rsi,
    sma,
)
from arena.engine.market.snapshot import Bar, Indicators


def _bar(i: int, h: float, low: float, c: float) -> Bar:
    return Bar(t=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=i), o=c, h=h, l=low, c=c, v=1.0)


def _alternating(n_returns: int, step: float) -> list[float]:
    closes = [100.0]
    for i in range(n_returns):
        closes.append(closes[-1] * (1 + step if i % 2 == 0 else 1 - step))
    return closes


def test_returns_and_sma() -> None:
    assert daily_returns([100.0, 110.0, 99.0]) == pytest.approx([0.10, -0.10])
    assert return_pct([100.0, 110.0], 1) == pytest.approx(10.0)
    assert return_pct([100.0, 1, 2, 3, 4, 120.0], 5) == pytest.approx(20.0)
    assert return_pct([100.0], 1) is None
    assert sma([1.0, 2.0, 3.0, 4.0], 2) == pytest.approx(3.5)
    assert sma([1.0], 2) is None


def test_rsi_wilder() -> None:
    # 14 changes: seven +2 and seven -1 → avg gain 1.0, avg loss 0.5, RS 2 → RSI 100 - 100/3.
    closes = [100.0]
    for i in range(14):
        closes.append(closes[-1] + (2.0 if i % 2 == 0 else -1.0))
    assert rsi(closes) == pytest.approx(100 - 100 / 3)
    # one more change of +3: gain (1·13 + 3)/14 = 16/14, loss (0.5·13)/14 = 6.5/14 → RS 32/13 → 71.111…
    assert rsi([*closes, closes[-1] + 3.0]) == pytest.approx(100 - 100 / (1 + 32 / 13))
    assert rsi(closes[:-1]) is None  # 14 closes are one too few
    assert rsi([float(c) for c in range(100, 120)]) == 100.0  # never a loss
    assert rsi([50.0] * 20) == 50.0  # never moved


def test_atr_wilder_with_gap() -> None:
    # 15 flat bars with high-low = 2 → 14 true ranges of 2 → ATR 2.
    bars = [_bar(i, 101.0, 99.0, 100.0) for i in range(15)]
    assert atr(bars) == pytest.approx(2.0)
    # a gap up: prev close 100, high 106, low 104 → TR = max(2, 6, 4) = 6 → (2·13 + 6)/14.
    gapped = [*bars, _bar(15, 106.0, 104.0, 105.0)]
    assert atr(gapped) == pytest.approx(32 / 14)
    assert atr(bars[:14]) is None


def test_realized_vol_alternating_returns() -> None:
    # 20 returns of ±1 %: mean 0, sample variance 20·0.0001/19 → σ·√252·100 = √(252·20/19).
    closes = _alternating(20, 0.01)
    assert realized_vol_pct(closes) == pytest.approx(math.sqrt(252 * 20 / 19), rel=1e-9)
    assert realized_vol_pct(closes[:-1]) is None  # 19 returns


def test_compute_indicators_full_and_short() -> None:
    bars = [_bar(i, c + 0.5, c - 0.5, c) for i, c in enumerate(float(x) for x in range(100, 140))]
    ind = compute_indicators(bars)
    assert ind.last_close == 139.0
    assert ind.sma_10 == pytest.approx(134.5)  # mean of 130..139
    assert ind.sma_30 == pytest.approx(124.5)  # mean of 110..139
    assert ind.return_1d_pct == pytest.approx(round((139 / 138 - 1) * 100, 6))
    assert ind.rsi_14 == 100.0
    assert ind.atr_14 == pytest.approx(1.5)  # each TR: high - prev close = 1.5
    assert ind.realized_vol_20d_pct is not None
    short = compute_indicators(bars[:1])
    assert short == Indicators(last_close=100.0)
    with pytest.raises(ValueError):
        compute_indicators([])


@pytest.mark.parametrize(
    ("vol", "threshold", "expected"),
    [(45.0, 40.0, "high_volatility"), (40.0, 40.0, "high_volatility"), (39.99, 40.0, "normal"), (None, 40.0, "normal")],
)
def test_classify_regime(vol: float | None, threshold: float, expected: str) -> None:
    verdict = classify_regime(Indicators(last_close=1.0, realized_vol_20d_pct=vol), vol_threshold_pct=threshold)
    assert verdict.regime == expected
    assert ("unavailable" in verdict.rule) if vol is None else ("40" in verdict.rule)


def test_default_threshold() -> None:
    assert DEFAULT_VOL_THRESHOLD_PCT == 40.0
    regime, rule = classify_regime(Indicators(last_close=1.0, realized_vol_20d_pct=41.0))
    assert regime == "high_volatility" and ">= 40" in rule
