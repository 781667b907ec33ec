"""Metric functions against values worked out by hand."""

from __future__ import annotations

import math
import random

import pytest

from arena.engine.outcomes.metrics import (
    FillEvent,
    Lot,
    bootstrap_ci,
    brier,
    fifo_realized_per_fill,
    fifo_realized_pnl,
    max_drawdown_pct,
    mean,
    rank_bands,
    reliability_bins,
    sharpe,
    unrealized_pnl,
    win_rate,
)


def test_max_drawdown_takes_the_deepest_fall_from_a_running_peak() -> None:
    assert max_drawdown_pct([100, 120, 90, 130, 65]) == pytest.approx(50.0)  # 130 → 65
    assert max_drawdown_pct([100, 110, 120]) == 0.0


def test_sharpe_is_annualised_mean_over_sample_stdev() -> None:
    assert sharpe([1.0, 2.0, 3.0]) == pytest.approx(2.0 / 1.0 * math.sqrt(252))
    assert sharpe([1.0]) is None and sharpe([1.0, 1.0]) is None


def test_win_rate_counts_only_positive_trades() -> None:
    assert win_rate([10, -5, 0, 3]) == 0.5
    assert win_rate([]) is None


def test_fifo_with_partial_fills_and_a_short() -> None:
    fills = [
        FillEvent("AAPL", "buy", 10, 100),
        FillEvent("AAPL", "buy", 5, 110),
        FillEvent("AAPL", "sell", 7, 120),
        FillEvent("AAPL", "sell", 5, 120),  # one order filled in two parts
        FillEvent("AAPL", "sell", 5, 115),  # closes 3 @110 (+15), opens a 2-share short @115
        FillEvent("AAPL", "buy", 2, 105),  # covers the short: +20
        FillEvent("MSFT", "sell", 4, 50),  # a short left open
    ]
    each, _ = fifo_realized_per_fill(fills)
    assert each == pytest.approx([0, 0, 140, 80, 15, 20, 0])  # what each fill realised, for attribution
    realized, open_lots = fifo_realized_pnl(fills)
    assert realized == pytest.approx(10 * 20 + 2 * 10 + 3 * 5 + 2 * 10)
    assert open_lots == {"MSFT": [Lot(-4, 50)]}
    assert unrealized_pnl(open_lots, {"MSFT": 45}) == pytest.approx(20.0)


def test_brier_and_reliability_bins() -> None:
    assert brier([0.9, 0.6, 0.2], [True, False, False]) == pytest.approx((0.01 + 0.36 + 0.04) / 3)
    bins = reliability_bins([0.9, 0.95, 0.1], [True, False, False], bins=2)
    assert bins == [
        {"lower": 0.0, "upper": 0.5, "count": 1.0, "mean_confidence": 0.1, "hit_rate": 0.0},
        {"lower": 0.5, "upper": 1.0, "count": 2.0, "mean_confidence": pytest.approx(0.925), "hit_rate": 0.5},
    ]


def test_bootstrap_interval_covers_the_true_rate_about_as_often_as_promised() -> None:
    rng = random.Random(42)
    covered = 0
    trials = 120
    for t in range(trials):
        sample = [1.0 if rng.random() < 0.6 else 0.0 for _ in range(60)]
        lo_hi = bootstrap_ci(sample, mean, n=300, level=0.9, seed=t)
        assert lo_hi is not None
        covered += lo_hi[0] <= 0.6 <= lo_hi[1]
    assert 0.8 <= covered / trials <= 0.98


def test_bootstrap_is_reproducible_and_needs_two_values() -> None:
    data = [0.5, -1.0, 2.0, 0.0, 1.5]
    assert bootstrap_ci(data, mean) == bootstrap_ci(data, mean)
    assert bootstrap_ci([1.0], mean) is None


def test_overlapping_intervals_share_a_rank_band() -> None:
    bands = rank_bands([("a", 0.70, (0.60, 0.80)), ("c", 0.40, (0.30, 0.50)), ("b", 0.65, (0.55, 0.75))])
    assert bands == {"a": 1, "b": 1, "c": 2}
