"""Hit rate and mean signed return of a set of final decisions, from the scores already recorded.

A decision is scored with the recorded score of the same run, action and symbol (a HOLD on the run's first
symbol, as the scorer does): the final consensus first, then the cheap consensus, then an agent's vote when all
the votes scored for it share one horizon. NO_TRADE is never scored (no position; it stays out of both means),
and a decision nobody recorded a score for stays out too — `scored` says how many were counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from arena.engine.outcomes.metrics import bootstrap_ci, mean
from arena.kernel.kinds import Action, ScoreSubject
from arena.storage.read.replay_inputs import RecordedScore

_PRIORITY = {ScoreSubject.CONSENSUS: 0, ScoreSubject.CHEAP_CONSENSUS: 1, ScoreSubject.AGENT: 2}
RESAMPLES = 1000  # arena/engine/outcomes/metrics.py's default
LEVEL = 0.9
SMALL_SAMPLE = 2000  # up to this size metrics.bootstrap_ci itself; above it the same rule, vectorised
CHUNK = 50  # resamples drawn at once by the vectorised bootstrap (memory: CHUNK × sample size)

_ACTIONS = frozenset(Action)
_INTERVALS: dict[tuple[float, ...], tuple[float, float]] = {}
Key = tuple[str, str, str]  # run id, action, symbol


class ScoreBook:
    """The best recorded score for each (run, action, symbol)."""

    def __init__(self, scores: Iterable[RecordedScore]) -> None:
        best: dict[Key, tuple[int, RecordedScore]] = {}
        horizons: dict[Key, set[int]] = {}
        for s in scores:
            key = (s.run_id, s.action, s.symbol)
            rank = _PRIORITY.get(ScoreSubject(s.subject))
            if rank is None:
                continue
            if rank == 2:
                horizons.setdefault(key, set()).add(s.horizon_days)
            if key not in best or rank < best[key][0]:
                best[key] = (rank, s)
        self._scores = {
            key: (s.hit, s.signed_return_pct)
            for key, (rank, s) in best.items()
            if rank < 2 or len(horizons.get(key, ())) == 1
        }

    def lookup(
        self, run_id: str, symbols: Sequence[str], action: str | None, symbol: str | None
    ) -> tuple[bool, float] | None:
        if action not in _ACTIONS:
            return None  # NO_TRADE, or unknown
        scored = symbol if action != Action.HOLD else (symbols[0] if symbols else None)
        return self._scores.get((run_id, str(action), scored or ""))


def mean_interval(values: Sequence[float]) -> tuple[float, float] | None:
    """90 % percentile bootstrap interval of the mean, 1000 seeded resamples — metrics.bootstrap_ci's rule; on
    large samples (a replay over 100,000 runs) the resampling is vectorised with numpy so it takes milliseconds,
    and scenarios that score the very same values share one interval."""
    if len(values) <= SMALL_SAMPLE:
        return bootstrap_ci(values, mean, n=RESAMPLES, level=LEVEL)
    key = tuple(values)
    known = _INTERVALS.get(key)
    if known is not None:
        return known
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(7)
    if np.isin(data, (0.0, 1.0)).all():
        # the mean of n draws with replacement from 0/1 values is Binomial(n, p) / n: the same bootstrap
        # distribution, drawn directly
        means = rng.binomial(len(data), float(data.mean()), size=RESAMPLES) / len(data)
    else:
        means = np.concatenate(
            [data[rng.integers(0, len(data), size=(CHUNK, len(data)))].mean(axis=1) for _ in range(RESAMPLES // CHUNK)]
        )
    means.sort()
    lo = means[int((1 - LEVEL) / 2 * RESAMPLES)]
    hi = means[min(RESAMPLES - 1, int((1 + LEVEL) / 2 * RESAMPLES))]
    if len(_INTERVALS) > 64:
        _INTERVALS.clear()
    _INTERVALS[key] = (float(lo), float(hi))
    return _INTERVALS[key]


def quality(book: ScoreBook, decisions: Iterable[tuple[str, Sequence[str], str | None, str | None]]) -> dict[str, Any]:
    """`hit_rate` and `mean_return_pct` (percent, signed) with 90 % bootstrap intervals; None without scores."""
    found = [book.lookup(*d) for d in decisions]
    scored = [f for f in found if f is not None]
    if not scored:
        return {"scored": 0, "hit_rate": None, "hit_rate_ci": None, "mean_return_pct": None, "mean_return_ci": None}
    hits = [1.0 if hit else 0.0 for hit, _ in scored]
    returns = [r for _, r in scored]
    return {
        "scored": len(scored),
        "hit_rate": mean(hits),
        "hit_rate_ci": mean_interval(hits),
        "mean_return_pct": mean(returns),
        "mean_return_ci": mean_interval(returns),
    }
