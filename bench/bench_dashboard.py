"""Benchmark: the dashboard's and API's reads on a database with thousands of runs.

    python bench/bench_dashboard.py [--runs 5000] [--database-url sqlite:////tmp/arena-bench.db]

Fills a fresh database through the repository functions (real rows of the real schema: runs, agent decisions,
consensus, LLM-call telemetry), then times each read the pages make and an AppTest render of the Overview and
Run Details pages. Exits non-zero when a read exceeds its budget (the dashboard must render in well under a
second). Not part of the test suite: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arena.engine.config.profiles import ProfileSpec  # noqa: E402
from arena.faces.web.paths import APP_SCRIPT  # noqa: E402
from arena.storage import migrate  # noqa: E402
from arena.storage.models import AgentDecision, ArenaRun, Consensus, CostTelemetry  # noqa: E402
from arena.storage.repositories.profiles import upsert_profile  # noqa: E402
from arena.storage.session import make_engine, session_factory  # noqa: E402

READ_BUDGET_S = 0.25
PAGE_BUDGET_S = 1.0


def populate(url: str, runs: int) -> str:
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = session_factory(engine)
    rng = random.Random(1)
    with sessions() as s, s.begin():
        versions = []
        for name, role, template in (
            ("bench_tech", "technical_analyst", "technical_analyst"),
            ("bench_risk", "risk_manager", "risk_manager"),
        ):
            spec = ProfileSpec(
                name=name, provider="openai", model=f"{name}-model", role=role, prompt_template_id=template
            )
            versions.append(
                upsert_profile(session=s, name=name, values=spec.model_dump(exclude={"name"}), actor="bench").version_id
            )
    start = datetime.now(UTC) - timedelta(days=60)
    last_id = ""
    for batch in range(0, runs, 500):
        with sessions() as s, s.begin():
            for i in range(batch, min(runs, batch + 500)):
                at = start + timedelta(minutes=17 * i)
                action = rng.choice(["BUY", "SELL", "HOLD", "NO_TRADE"])
                run = ArenaRun(
                    trigger="schedule",
                    mode="competition",
                    symbols=["AAPL", "MSFT"],
                    status="completed",
                    final_action=action,
                    escalation_reasons=[],
                    cost_usd=Decimal("0.0012"),
                    tokens_in=2900,
                    tokens_out=230,
                    llm_calls=2,
                    latency_ms=rng.randint(800, 4000),
                    created_at=at,
                    started_at=at,
                    finished_at=at + timedelta(seconds=3),
                )
                s.add(run)
                s.flush()
                for v, name in zip(versions, ("bench_tech", "bench_risk"), strict=True):
                    d = AgentDecision(
                        run_id=run.id,
                        profile_version_id=v,
                        profile_name=name,
                        provider="openai",
                        model=f"{name}-model",
                        role="technical_analyst",
                        phase="cheap",
                        status="valid",
                        valid=True,
                        action="BUY",
                        symbols=["AAPL"],
                        confidence=0.7,
                        rationale="benchmark row " * 20,
                        created_at=at,
                        latency_ms=900,
                    )
                    s.add(d)
                    s.add(
                        CostTelemetry(
                            trace_id=run.trace_id,
                            run_id=run.id,
                            agent_decision_id=d.id,
                            profile_version_id=v,
                            purpose="agent",
                            provider="openai",
                            model=d.model,
                            prompt_hash="0" * 64,
                            messages=[{"role": "user", "content": "x" * 500}],
                            tokens_in=1450,
                            tokens_out=115,
                            cost_usd=Decimal("0.0006"),
                            cost_source="price_table",
                            latency_ms=900,
                            status="ok",
                            created_at=at,
                        )
                    )
                s.add(
                    Consensus(
                        run_id=run.id,
                        trace_id=run.trace_id,
                        final_action=action,
                        rule="unanimous",
                        outcome="hold" if action == "HOLD" else "no_trade" if action == "NO_TRADE" else "shadow",
                        trace={"votes": []},
                        created_at=at,
                    )
                )
                last_id = run.id
    engine.dispose()
    return last_id


def timed(label: str, fn: Callable[[], Any], budget: float, repeat: int = 5) -> bool:
    fn()  # warm caches and connections
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    median = statistics.median(samples)
    ok = median <= budget
    print(f"{'ok  ' if ok else 'SLOW'} {label:<38} median {median * 1000:8.1f} ms (budget {budget * 1000:.0f} ms)")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp(prefix='arena-bench-')}/bench.db"
    t0 = time.perf_counter()
    run_id = populate(url, args.runs)
    print(f"populated {args.runs} runs in {time.perf_counter() - t0:.1f} s ({url.split('@')[-1]})")

    from arena.kernel.kinds import LeaderboardWindow
    from arena.storage.read.dashboard import cost_over_time, overview
    from arena.storage.read.leaderboard import read_leaderboard
    from arena.storage.read.run_listing import list_runs
    from arena.storage.read.run_report import run_details

    sessions = session_factory(make_engine(url))
    since = datetime.now(UTC) - timedelta(days=30)
    results = []
    with sessions() as s:
        results.append(timed("list_runs (first page, 50)", lambda: list_runs(session=s, limit=50), READ_BUDGET_S))
        _, cursor = list_runs(session=s, limit=50)
        results.append(
            timed("list_runs (second page)", lambda: list_runs(session=s, limit=50, cursor=cursor), READ_BUDGET_S)
        )
        results.append(timed("run_details", lambda: run_details(session=s, run_id=run_id), READ_BUDGET_S))
        results.append(timed("overview tiles", lambda: overview(session=s), READ_BUDGET_S))
        results.append(timed("cost_over_time (30 d)", lambda: cost_over_time(session=s, since=since), READ_BUDGET_S))
        month = LeaderboardWindow.MONTH
        results.append(timed("read_leaderboard", lambda: read_leaderboard(session=s, window=month), READ_BUDGET_S))

    os.environ["DATABASE_URL"] = url
    from streamlit.testing.v1 import AppTest

    def render(page: str, query: dict[str, str] | None = None) -> None:
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
        at.session_state["arena_signed_in"] = True  # arena.faces.web.widgets.access.SESSION_KEY: signed in
        for key, value in (query or {}).items():
            at.query_params[key] = value
        at.switch_page(page)
        at.run()
        assert not at.exception, at.exception

    results.append(timed("page: Overview (AppTest)", lambda: render("screens/overview.py"), PAGE_BUDGET_S, repeat=3))
    results.append(
        timed(
            "page: Run Details (AppTest)",
            lambda: render("screens/run_details.py", {"run": run_id}),
            PAGE_BUDGET_S,
            repeat=3,
        )
    )
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
