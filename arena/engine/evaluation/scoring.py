"""Hit rate and mean signed return of a set of final decisions, from the scores already recorded.

A decision is scored with the recorded score of the same run, action and symbol (a HOLD on the run's first
symbol, as the scorer does): the final consensus first, then the cheap consensus, then an agent's vote when all
the votes scored for it share one horizon. NO_TRADE is never scored (no position; it stays out of both means),
and a decision nobody recorded a score for stays out too — `scored` says how many were counted.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from arena.engine.outcomes.metrics import bootstrap_ci, mean
from arena.kernel.kinds import Action, ScoreSubject
from arena.storage.read.replay_inputs import RecordedScore

_PRIORITY = {ScoreSubject.CONSENSUS: 0, ScoreSubject.CHEAP_CONSENSUS: 1, ScoreSubject.AGENT: 2}
RESAMPLES = 1000  # the bootstrap's resamples on small samples (arena/engine/outcomes/metrics.py's default)
MAX_DRAWS = 2_000_000  # resamples × sample size above which fewer resamples are drawn (never under MIN_RESAMPLES)
MIN_RESAMPLES = 50

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
        if action not in set(Action):
            return None  # NO_TRADE, or unknown
        scored = symbol if action != Action.HOLD else (symbols[0] if symbols else None)
        return self._scores.get((run_id, str(action), scored or ""))


def _resamples(n: int) -> int:
    return max(MIN_RESAMPLES, min(RESAMPLES, MAX_DRAWS // max(n, 1)))


def quality(book: ScoreBook, decisions: Iterable[tuple[str, Sequence[str], str | None, str | None]]) -> dict[str, Any]:
    """`hit_rate` and `mean_return_pct` (percent, signed) with 90 % bootstrap intervals; None without scores."""
    found = [book.lookup(*d) for d in decisions]
    scored = [f for f in found if f is not None]
    if not scored:
        return {"scored": 0, "hit_rate": None, "hit_rate_ci": None, "mean_return_pct": None, "mean_return_ci": None}
    hits = [1.0 if hit else 0.0 for hit, _ in scored]
    returns = [r for _, r in scored]
    k = _resamples(len(scored))
    return {
        "scored": len(scored),
        "hit_rate": mean(hits),
        "hit_rate_ci": bootstrap_ci(hits, mean, n=k),
        "mean_return_pct": mean(returns),
        "mean_return_ci": bootstrap_ci(returns, mean, n=k),
    }
