"""Metric functions on plain numbers, each small enough to check by hand (tests/outcomes/test_metrics.py).

Definitions are in docs/LEADERBOARD.md; conventions: returns are in percent, equity in dollars.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from arena.kernel.kinds import Side


def max_drawdown_pct(equity: Sequence[float]) -> float:
    """Largest peak-to-trough fall, in percent of the peak (0 when the curve never falls)."""
    peak, worst = -math.inf, 0.0
    for value in equity:
        peak = max(peak, value)
        if peak > 0:
            worst = max(worst, (peak - value) / peak * 100.0)
    return worst


def sharpe(returns_pct: Sequence[float], *, periods_per_year: int = 252) -> float | None:
    """Annualised mean / sample stdev of period returns (risk-free 0); None with < 2 returns or no variance."""
    n = len(returns_pct)
    if n < 2:
        return None
    mean = sum(returns_pct) / n
    var = sum((r - mean) ** 2 for r in returns_pct) / (n - 1)
    if var <= 0:
        return None
    return mean / math.sqrt(var) * math.sqrt(periods_per_year)


def win_rate(pnls: Sequence[float]) -> float | None:
    """Share of closed trades with positive PnL; None without trades."""
    return sum(1 for p in pnls if p > 0) / len(pnls) if pnls else None


def brier(confidences: Sequence[float], hits: Sequence[bool]) -> float | None:
    """Mean squared gap between stated confidence and the outcome (0 perfect, 0.25 a coin flip at 0.5)."""
    if not confidences:
        return None
    return sum((c - (1.0 if h else 0.0)) ** 2 for c, h in zip(confidences, hits, strict=True)) / len(confidences)


def reliability_bins(confidences: Sequence[float], hits: Sequence[bool], *, bins: int = 5) -> list[dict[str, float]]:
    """Per confidence bucket: mean confidence, observed hit rate and count (empty buckets omitted)."""
    buckets: list[list[tuple[float, bool]]] = [[] for _ in range(bins)]
    for c, h in zip(confidences, hits, strict=True):
        buckets[min(int(c * bins), bins - 1)].append((c, h))
    out = []
    for i, items in enumerate(buckets):
        if items:
            out.append(
                {
                    "lower": i / bins,
                    "upper": (i + 1) / bins,
                    "count": float(len(items)),
                    "mean_confidence": sum(c for c, _ in items) / len(items),
                    "hit_rate": sum(1 for _, h in items if h) / len(items),
                }
            )
    return out


def bootstrap_ci(
    values: Sequence[float],
    stat: Callable[[Sequence[float]], float],
    *,
    n: int = 1000,
    level: float = 0.9,
    seed: int = 7,
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of `stat`; seeded so the same data always gives the same interval."""
    if len(values) < 2:
        return None
    rng = random.Random(seed)
    k = len(values)
    stats = sorted(stat(rng.choices(values, k=k)) for _ in range(n))
    lo = stats[int((1 - level) / 2 * n)]
    hi = stats[min(n - 1, int((1 + level) / 2 * n))]
    return lo, hi


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


@dataclass(frozen=True)
class FillEvent:
    symbol: str
    side: str  # buy | sell
    qty: float
    price: float


@dataclass(frozen=True)
class Lot:
    qty: float  # positive long, negative short
    price: float


def fifo_realized_pnl(fills: Sequence[FillEvent]) -> tuple[float, dict[str, list[Lot]]]:
    """Realised PnL matching each fill against the oldest open lots of the opposite sign (shorts included).

    Returns the realised total and the open lots per symbol (for unrealised PnL at a mark price).
    """
    each, lots = fifo_realized_per_fill(fills)
    return sum(each), lots


def fifo_realized_per_fill(fills: Sequence[FillEvent]) -> tuple[list[float], dict[str, list[Lot]]]:
    """The PnL each fill realised (0 for a fill that only opens), in one pass, and the open lots left."""
    books: dict[str, deque[Lot]] = {}
    realized: list[float] = []
    for f in fills:
        book = books.setdefault(f.symbol, deque())
        gained = 0.0
        signed = f.qty if f.side == Side.BUY else -f.qty
        while signed != 0 and book and (book[0].qty > 0) != (signed > 0):
            lot = book[0]
            matched = min(abs(signed), abs(lot.qty))
            direction = 1.0 if lot.qty > 0 else -1.0  # long lot closed by a sell, short lot by a buy
            gained += direction * matched * (f.price - lot.price)
            remaining = abs(lot.qty) - matched
            if remaining <= 1e-12:
                book.popleft()
            else:
                book[0] = Lot(direction * remaining, lot.price)
            signed += matched if signed < 0 else -matched
        if abs(signed) > 1e-12:
            book.append(Lot(signed, f.price))
        realized.append(gained)
    return realized, {s: list(b) for s, b in books.items() if b}


def unrealized_pnl(lots: dict[str, list[Lot]], marks: dict[str, float]) -> float:
    return sum(lot.qty * (marks[s] - lot.price) for s, book in lots.items() if s in marks for lot in book)


def rank_bands(entries: Sequence[tuple[str, float, tuple[float, float] | None]]) -> dict[str, int]:
    """Rank by point estimate (desc); an entry whose interval overlaps the band leader's shares its band."""
    ordered = sorted(entries, key=lambda e: -e[1])
    bands: dict[str, int] = {}
    band = 0
    leader: tuple[float, float] | None = None
    for key, _, interval in ordered:
        if leader is None or interval is None or interval[1] < leader[0]:
            band += 1
            leader = interval
        bands[key] = band
    return bands
