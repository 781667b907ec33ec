"""Debian chromium on the real `serve` process: the Runs page finds a run older than the newest 25 with a filter
and opens it, and a blocked run's details say it was blocked and by which check (never a green BUY).

The history is real: one BUY decided by the engine (litellm → the loopback LLM server) and stopped by the
max_order_notional guardrail against the loopback Alpaca server, then 26 runs queued through `start_run`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import update_config
from arena.engine.runs.service import start_run
from arena.storage.read.run_listing import RunFilters, search_runs
from arena.storage.session import make_engine, session_factory
from tests.engine.factories import snapshot
from tests.engine.harness import FixedMarket, make_settings, run_arena
from tests.faces.web.dashboard.browser import Site, browser_page, require_chromium, serve, settle
from tests.faces.web.dashboard.populate import CHEAP_OPENAI, CHEAP_OR, add_profiles, broker_settings, decision
from tests.faces.web.dashboard.test_browser import SERVE_ENV
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer, Reply

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NEWER = 26  # queued after the blocked run: it is the 27th newest, beyond the first page of 25
NOTIONAL_LIMIT = 500.0  # a 1 % BUY of $100,000 equity is $1,000: over the limit


def _history(db: Database, llm: LLMServer, broker: AlpacaServer) -> dict[str, Any]:
    add_profiles(db, llm)
    with db.sessions() as s, s.begin():
        update_config(session=s, changes={"max_order_notional_usd": NOTIONAL_LIMIT}, actor="test")
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.8, "NVDA", rationale="Breakout on volume.")))
    llm.on(CHEAP_OR, Reply(decision("BUY", 0.76, "NVDA", rationale="Trend intact."), cost=0.0002))
    market = FixedMarket(snap=snapshot(symbols=("NVDA",)))
    blocked = run_arena(db, broker_settings(broker), market=market, symbols=["NVDA"])
    for _ in range(NEWER):
        start_run(
            sessions=db.sessions,
            settings=make_settings(),
            symbols=["AAPL"],
            agents=None,
            mode="competition",
            trigger="api",
            enqueue=True,
        )
    return blocked


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    workdir = tmp_path_factory.mktemp("browser-runs")
    with templates.fresh("sqlite", workdir) as url:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        try:
            with LLMServer() as llm, AlpacaServer(hang_seconds=2.0) as broker:
                blocked = _history(db, llm, broker)
            with serve(url, workdir, SERVE_ENV) as base, browser_page() as page:
                yield Site(base, page, db, [blocked])
        finally:
            engine.dispose()


def test_a_filtered_search_opens_a_run_older_than_the_newest_25(site: Site) -> None:
    blocked = site.runs[0]
    with site.db.sessions() as s:
        newest, _ = search_runs(session=s, filters=RunFilters(), limit=25)
    assert blocked["run_id"] not in {i.run.run_id for i in newest}  # not on the first page

    page = site.open("runs")
    page.get_by_text("Page 1 · 25 runs, newest first").wait_for()
    page.get_by_role("button", name="Older runs →").wait_for()
    site.shot("runs-01-first-page")
    symbol = page.get_by_role("textbox", name="Symbol")
    symbol.fill("nvda")
    symbol.press("Enter")
    page.get_by_text("Page 1 · 1 run, newest first").wait_for(timeout=30_000)
    settle(page)
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.locator("canvas").first.wait_for()
    page.wait_for_timeout(1000)
    site.shot("runs-02-filtered")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the only row's selection box (header is 35 px)
    page.wait_for_url(re.compile(rf"/run_details\?run={blocked['run_id']}$"), timeout=30_000)
    settle(page)
    page.get_by_text(blocked["trace_id"]).wait_for()


def test_a_blocked_runs_wording_names_the_check(site: Site) -> None:
    blocked = site.runs[0]
    page = site.open(f"run_details?run={blocked['run_id']}")
    why = page.get_by_text(re.compile(r"^BUY NVDA not sent — guardrail failed: max_order_notional: order \$"))
    why.wait_for()
    assert "vs limit $500.00" in why.inner_text()
    badges = page.locator('[data-testid="stMarkdownContainer"] span', has_text=re.compile(r"^BUY"))
    expect(badges.first).to_have_text("BUY blocked")
    page.get_by_role("tab", name="Consensus & guardrails").click()
    page.get_by_text("1 of 11 checks failed (max_order_notional): the order was not sent.").wait_for()
    body = page.inner_text("body")
    assert "All 11 checks passed" not in body
    site.shot("runs-03-blocked-run")
