"""Runs recorded by the real engine (litellm over HTTP to the loopback LLM server, real database), once per module
and backend: the cases policy replay must reproduce — agreement, disagreement, low confidence, a veto, a tie settled
by the cheap judge, no quorum, high volatility, an order too large — plus a queued run that cannot be re-decided."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from arena.bootstrap.database import Database
from arena.engine.config.profiles import ProfileSpec
from arena.engine.market.snapshot import Bar
from arena.engine.outcomes.scoring import score_due
from arena.engine.runs.service import start_run
from arena.kernel.clock import utcnow
from arena.storage.repositories.profiles import upsert_profile
from arena.storage.session import make_engine, session_factory
from tests.engine.factories import AS_OF, decision_json, snapshot
from tests.engine.harness import CHEAP_A, CHEAP_B, POWER, FixedMarket, add_profiles, make_settings, run_arena
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer, Reply

JUDGE = "cheap-judge-mini"


def _script(llm: LLMServer, a: Reply, b: Reply, power: Reply | None = None, judge: Reply | None = None) -> None:
    llm.on(CHEAP_A, a)
    llm.on(CHEAP_B, b)
    llm.on(POWER, power or Reply(content=decision_json("HOLD", 0.9, symbol=""), cost=0.02))
    llm.on(JUDGE, judge or Reply(content=decision_json("HOLD", 0.9, symbol=""), cost=0.001))


def ok(action: str, confidence: float, **kw: Any) -> Reply:
    symbol = "" if action == "HOLD" else "AAPL"
    return Reply(content=decision_json(action, confidence, symbol=symbol, **kw), cost=0.001)


@dataclass
class Recorded:
    db: Database
    runs: dict[str, dict[str, Any]] = field(default_factory=dict)  # case name → `run --json` summary
    queued_run_id: str = ""


def _record(db: Database, llm: LLMServer) -> Recorded:
    add_profiles(db, llm)
    judge = ProfileSpec(
        name="cheap_judge",
        provider="openrouter",
        model=JUDGE,
        role="judge",
        prompt_template_id="judge",
        mode="judge_cheap",
        api_base=llm.base_url,
        timeout_s=5.0,
    )
    with db.sessions() as session, session.begin():
        upsert_profile(session=session, name=judge.name, values=judge.model_dump(exclude={"name"}), actor="test")
    settings = make_settings()
    out = Recorded(db)
    cases: dict[str, tuple[Reply, Reply, Reply | None, Reply | None, str]] = {
        "agree": (ok("BUY", 0.8), ok("BUY", 0.75), None, None, "normal"),
        "disagree": (ok("BUY", 0.7), ok("SELL", 0.5), ok("HOLD", 0.8), None, "normal"),
        "low_confidence": (ok("BUY", 0.6), ok("BUY", 0.58), ok("BUY", 0.9, pct=1.0), None, "normal"),
        "moderate": (ok("BUY", 0.66), ok("BUY", 0.64), None, None, "normal"),
        "veto": (ok("BUY", 0.8), ok("HOLD", 0.7, flags=["veto"]), None, None, "normal"),
        "tie": (ok("BUY", 0.7), ok("SELL", 0.7), None, ok("BUY", 0.8), "normal"),
        "no_quorum": (ok("BUY", 0.8), Reply(status=400, error_message="bad request"), None, None, "normal"),
        "volatile": (ok("BUY", 0.9), ok("BUY", 0.9), ok("SELL", 0.7), None, "high_volatility"),
        "too_large": (ok("BUY", 0.9, pct=5.0), ok("BUY", 0.9, pct=3.0), ok("BUY", 0.8, pct=4.0), None, "normal"),
    }
    for name, (a, b, power, judge_reply, regime) in cases.items():
        _script(llm, a, b, power, judge_reply)
        out.runs[name] = run_arena(db, settings, market=FixedMarket(snap=snapshot(regime)))
    queued = start_run(
        sessions=db.sessions,
        settings=settings,
        symbols=["AAPL"],
        agents=None,
        mode="competition",
        trigger="manual",
        enqueue=True,
    )
    out.queued_run_id = queued.run_id
    # the real scorer, over daily bars after the snapshot: AAPL rises 2 % by the fifth session
    bars = [Bar(t=AS_OF + timedelta(days=d), o=100, h=103, l=99, c=100 + 0.4 * d, v=1e6) for d in range(1, 9)]
    market = FixedMarket(bars={"AAPL": bars})
    score_due(sessions=db.sessions, bars=lambda symbols, start: market.daily_bars(symbols, start=start), now=utcnow())
    return out


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def recorded(
    request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Recorded]:
    tmp: Path = tmp_path_factory.mktemp("replay")
    with templates.fresh(request.param, tmp) as url, LLMServer() as llm:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        try:
            yield _record(db, llm)
        finally:
            engine.dispose()
