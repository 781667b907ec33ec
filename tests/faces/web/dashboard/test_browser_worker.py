"""End to end with a live worker: `python -m arena serve` (dashboard + REST + its worker) over loopback LLM and
Alpaca servers. The operator queues a run in the browser, watches it go queued → running → completed without
reloading, and follows the link to its details — order included."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.storage.models import ArenaRun
from arena.storage.session import make_engine, session_factory
from tests.faces.web.dashboard.browser import (
    WORKER_START_S,
    Site,
    browser_page,
    live_env,
    require_chromium,
    serve,
    settle,
)
from tests.faces.web.dashboard.populate import add_profiles, open_market, script_agents
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def live(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    workdir = tmp_path_factory.mktemp("live")
    with templates.fresh("sqlite", workdir) as url, LLMServer() as llm, AlpacaServer(hang_seconds=2.0) as broker:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        try:
            add_profiles(db, llm)
            open_market(broker)
            script_agents(llm, delay_s=2.0)
            with serve(url, workdir, live_env(llm.base_url, broker.url), worker=True) as base, browser_page() as page:
                yield Site(base, page, db, [])
        finally:
            engine.dispose()


def test_manual_run_goes_live_to_completion_and_links_to_details(live: Site) -> None:
    page = live.open("")
    page.get_by_text("Worker up").wait_for(timeout=WORKER_START_S * 1000)
    page = live.open("manual_run")
    page.get_by_role("textbox", name="Symbols (comma-separated)").fill("AAPL")
    page.get_by_role("button", name="Queue run").click()
    page.get_by_text(re.compile(r"^Running for")).wait_for(timeout=30_000)  # no reload: the fragment refreshes
    live.shot("10-manual-run-running")
    page.get_by_text("Completed: final action BUY").wait_for(timeout=60_000)
    run_id = re.search(r"[?&]run=([0-9a-f]{32})", page.url)
    assert run_id, page.url
    with live.db.sessions() as s:
        run: Any = s.scalar(select(ArenaRun).where(ArenaRun.id == run_id.group(1)))
    assert (run.status, run.final_action, run.trigger, run.worker_id is not None) == (
        "completed",
        "BUY",
        "manual",
        True,
    )
    page.get_by_text("Open its Run Details").click()
    page.wait_for_url(re.compile(rf"/run_details\?run={run.id}$"), timeout=30_000)
    settle(page)
    page.get_by_text(run.trace_id).wait_for()
    assert "completed" in page.inner_text("body")
    page.get_by_role("tab", name="Orders").click()
    page.get_by_text("Order → fills → positions").wait_for()
    page.get_by_role("tab", name="Consensus & guardrails").click()
    page.get_by_text("All 11 checks passed.").wait_for()
    page.get_by_role("tab", name="Agents").click()
    page.get_by_text("cheap_tech_analyst").first.wait_for()
    live.shot("11-run-details-from-worker")
