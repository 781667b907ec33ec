"""Benchmark: policy replay over 100,000 recorded runs (issue 16: answer in ≤ 10 s on this machine).

    python bench/bench_policy_replay.py [--runs 100000] [--database-url sqlite:////tmp/arena-replay.db]

Fills a fresh database with recorded runs in bulk through SQLAlchemy Core (real rows of the real schema: runs,
two cheap votes each, a powerful answer on the escalated ones, the consensus, real-sized market and portfolio
snapshots shared by 100 runs each, a scored final decision for half of the runs) — no LLM is involved — then times
`replay_policy` (read + re-decide + intervals) for a few scenario sets and prints a table. Not part of the test
suite: timings depend on the machine. The budget is for one replay of the current settings (the read, the
re-decision of every run and the intervals); each further scenario adds its own re-decision, shown per scenario.
Exits non-zero when that replay exceeds the budget.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from arena.engine.config.profiles import ProfileSpec  # noqa: E402
from arena.engine.evaluation.policy_replay import replay_policy  # noqa: E402
from arena.kernel.ids import new_id  # noqa: E402
from arena.storage import migrate  # noqa: E402
from arena.storage.models import AgentDecision, ArenaRun, Consensus, DecisionScore, Snapshot  # noqa: E402
from arena.storage.repositories.profiles import upsert_profile  # noqa: E402
from arena.storage.session import make_engine, session_factory  # noqa: E402

BUDGET_S = 10.0
RUNS_PER_SNAPSHOT = 100
BATCH = 5000
SCENARIOS: list[tuple[str, list[str]]] = [
    ("no change", []),
    ("3 × min_confidence", ["min_confidence=0.55,0.62,0.7"]),
    ("3 × 3 × 2", ["disagreement_rate=0.2,0.34,0.5", "min_confidence=0.55,0.62,0.7", "min_valid_votes=1,2"]),
]


def _snapshot_payloads(i: int, now: datetime) -> tuple[str, str]:
    bars = [
        {"t": (now - timedelta(days=30 - d)).isoformat(), "o": 100.0, "h": 101.0, "l": 99.0, "c": 100.0 + d, "v": 1e6}
        for d in range(30)
    ]
    symbol = {
        "symbol": "AAPL",
        "bars": bars,
        "bid": 129.9,
        "ask": 130.1,
        "last_price": 130.0,
        "indicators": {"last_close": 130.0, "sma_10": 125.0, "sma_30": 115.0, "realized_vol_20d_pct": 25.0},
        "regime": "high_volatility" if i % 10 == 0 else "normal",
    }
    market = {
        "as_of": now.isoformat(),
        "timeframe": "1Day",
        "symbols": [symbol],
        "regime": symbol["regime"],
        "regime_rule": f"bench {i}",
    }
    portfolio = {"as_of": now.isoformat(), "equity": 100_000.0, "cash": 100_000.0, "buying_power": 200_000.0}
    return json.dumps(market), json.dumps(portfolio)


def _vote(rng: random.Random) -> tuple[str, float]:
    """A cheap or powerful answer; confidences in 0.05 steps, as models state them."""
    action = rng.choices(["BUY", "SELL", "HOLD"], weights=[5, 2, 3])[0]
    return action, round(rng.randint(8, 19) * 0.05, 2)


def populate(url: str, runs: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    rng = random.Random(16)
    with sessions() as s, s.begin():
        versions = {}
        for name, role, template, mode in (
            ("bench_tech", "technical_analyst", "technical_analyst", "cheap_first"),
            ("bench_risk", "risk_manager", "risk_manager", "cheap_first"),
            ("bench_power", "judge", "judge", "escalation_only"),
        ):
            spec = ProfileSpec(
                name=name, provider="openai", model=f"{name}-model", role=role, prompt_template_id=template, mode=mode
            )
            saved = upsert_profile(session=s, name=name, values=spec.model_dump(exclude={"name"}), actor="bench")
            versions[name] = (saved.version_id, role)
    now = datetime.now(UTC)
    start = now - timedelta(days=25)
    for first in range(0, runs, BATCH):
        snaps: list[dict[str, Any]] = []
        run_rows: list[dict[str, Any]] = []
        decisions: list[dict[str, Any]] = []
        consensus: list[dict[str, Any]] = []
        scores: list[dict[str, Any]] = []
        for i in range(first, min(first + BATCH, runs)):
            created = start + timedelta(seconds=i * 20)
            group = i // RUNS_PER_SNAPSHOT
            if i % RUNS_PER_SNAPSHOT == 0:
                market, portfolio = _snapshot_payloads(group, created)
                snaps += [
                    {"hash": f"m{group:063d}", "kind": "market", "payload": market},
                    {"hash": f"p{group:063d}", "kind": "portfolio", "payload": portfolio},
                ]
            run_id = new_id()
            votes = [_vote(rng) for _ in range(2)]
            escalated = votes[0][0] != votes[1][0] or min(c for _, c in votes) < 0.62 or group % 10 == 0
            power = _vote(rng) if escalated else None
            final = power if power and power[1] >= 0.62 else (None if escalated else votes[0])
            final_action = final[0] if final else "NO_TRADE"
            run_rows.append(
                {
                    "id": run_id,
                    "trace_id": new_id(),
                    "status": "completed",
                    "trigger": "schedule",
                    "mode": "competition",
                    "symbols": ["AAPL"],
                    "market_snapshot_hash": f"m{group:063d}",
                    "portfolio_snapshot_hash": f"p{group:063d}",
                    "escalated": escalated,
                    "escalation_reasons": ["disagreement"] if escalated else [],
                    "final_action": final_action,
                    "created_at": created,
                }
            )
            answers = [("bench_tech", "cheap", votes[0]), ("bench_risk", "cheap", votes[1])]
            if power:
                answers.append(("bench_power", "escalation", power))
            for name, phase, (action, conf) in answers:
                version_id, role = versions[name]
                decisions.append(
                    {
                        "id": new_id(),
                        "run_id": run_id,
                        "profile_version_id": version_id,
                        "profile_name": name,
                        "provider": "openai",
                        "model": f"{name}-model",
                        "role": role,
                        "phase": phase,
                        "round": 1,
                        "status": "valid",
                        "valid": True,
                        "action": action,
                        "symbols": [] if action == "HOLD" else ["AAPL"],
                        "sizing": {"kind": "pct_equity", "value": 1.0},
                        "time_horizon": "1d",
                        "risk_flags": [],
                        "confidence": conf,
                        "cost_usd": Decimal("0.02") if phase == "escalation" else Decimal("0.0004"),
                        "created_at": created,
                    }
                )
            consensus.append(
                {
                    "run_id": run_id,
                    "trace_id": new_id(),
                    "final_action": final_action,
                    "outcome": "shadow" if final_action in ("BUY", "SELL") else "no_trade",
                    "symbol": "AAPL" if final_action in ("BUY", "SELL") else None,
                    "rule": "bench",
                    "decided_by": "escalation" if escalated else "cheap_consensus",
                    "trace": {},
                    "escalated": escalated,
                    "escalation_reasons": ["disagreement"] if escalated else [],
                    "created_at": created,
                }
            )
            if final_action != "NO_TRADE" and i % 2 == 0:
                ret = rng.gauss(0.1, 2.0)
                signed = ret if final_action == "BUY" else -ret if final_action == "SELL" else 0.0
                scores.append(
                    {
                        "subject": "consensus",
                        "subject_key": run_id,
                        "run_id": run_id,
                        "symbol": "AAPL",
                        "action": final_action,
                        "horizon_days": 1,
                        "entry_at": created,
                        "exit_at": created + timedelta(days=1),
                        "entry_price": 130.0,
                        "exit_price": 130.0 * (1 + ret / 100),
                        "forward_return_pct": ret,
                        "signed_return_pct": signed,
                        "pnl_usd": 0.0,
                        "hit": signed > 0 if final_action != "HOLD" else abs(ret) <= 1.0,
                    }
                )
        with sessions() as s, s.begin():
            if snaps:
                s.execute(insert(Snapshot), snaps)
            s.execute(insert(ArenaRun), run_rows)
            s.execute(insert(AgentDecision), decisions)
            s.execute(insert(Consensus), consensus)
            if scores:
                s.execute(insert(DecisionScore), scores)
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary directory")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'arena-replay.db'}"
        began = time.perf_counter()
        populate(url, args.runs)
        print(f"filled {args.runs:,} recorded runs in {time.perf_counter() - began:.1f} s ({url.split(':')[0]})")
        sessions = session_factory(make_engine(url))
        print(f"{'scenario set':<22} {'scenarios':>9} {'runs':>8} {'seconds':>8} {'s/extra scenario':>17}")
        baseline = 0.0
        for label, sets in SCENARIOS:
            began = time.perf_counter()
            with sessions() as session:
                report = replay_policy(session=session, window="30d", sets=sets)
            took = time.perf_counter() - began
            count = len(report["scenarios"])
            baseline = baseline or took
            extra = f"{(took - baseline) / (count - 1):.2f}" if count > 1 else "-"
            print(f"{label:<22} {count:>9} {report['runs_considered']:>8,} {took:>8.2f} {extra:>17}")
        verdict = "within" if baseline <= BUDGET_S else "OVER"
        print(f"one replay of the current settings: {baseline:.2f} s, {verdict} the {BUDGET_S:.0f} s budget")
    return 0 if baseline <= BUDGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
