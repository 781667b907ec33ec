"""The real thing: `python -m arena serve --no-worker` over a database filled by real arena runs, driven by Debian
chromium through playwright. A missing chromium FAILS these tests (see browser.require_chromium), never skips.

Screenshots of each step go to test-artifacts/dashboard/ (git-ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.engine.runs.service import start_run
from arena.storage.models import AgentProfile, ArenaRun, RunRequest
from arena.storage.session import make_engine, session_factory
from tests.engine.harness import make_settings
from tests.faces.web.dashboard.browser import Site, browser_page, require_chromium, serve, settle
from tests.faces.web.dashboard.populate import populate
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LOOPBACK_API_BASES, LLMServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SERVE_ENV = {
    "OPENAI_API_KEY": "sk-test-openai-key-123",
    "OPENROUTER_API_KEY": "sk-or-test-key-456",
    "ALPACA_API_KEY": "PKTEST",
    "ALPACA_SECRET_KEY": "secret-test",
    "ALPACA_TRADING_URL": "http://127.0.0.1:9",
    "ALPACA_DATA_URL": "http://127.0.0.1:9",
    "ARENA_ALLOWED_API_BASES": LOOPBACK_API_BASES,
}


@pytest.fixture(scope="module")
def site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()  # before anything slow: a missing browser is a clear failure
    workdir = tmp_path_factory.mktemp("browser")
    with templates.fresh("sqlite", workdir) as url:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        try:
            with LLMServer() as llm, AlpacaServer(hang_seconds=2.0) as broker:
                runs = populate(db, llm, broker)
            with serve(url, workdir, SERVE_ENV) as base, browser_page() as page:
                yield Site(base, page, db, runs)
        finally:
            engine.dispose()


def _sidebar(page: Any) -> str:
    return str(page.locator('[data-testid="stSidebarNav"]').inner_text())


def test_first_visit_by_deep_link_lands_framed_on_that_run(site: Site) -> None:
    """The first request after start is a deep link: it still gets app.py's navigation and the run."""
    run = site.runs[1]
    page = site.open(f"run_details?run={run['run_id']}")
    page.get_by_text(run["trace_id"]).wait_for()
    assert run["decision_id"] in page.inner_text("body")
    page.get_by_role("tab", name="Consensus & guardrails").click()
    page.get_by_text("Consensus trace").wait_for()
    nav = _sidebar(page)
    assert "Manual Run" in nav and "Guardrails & schedules" in nav, nav
    site.shot("01-deep-link-run-details")


def test_overview_click_a_run_and_see_its_details(site: Site) -> None:
    page = site.open("")  # the default page lives at the root (/admin/arena/)
    page.get_by_text("Recent runs").wait_for()
    grid = page.locator('[data-testid="stDataFrame"]').first
    grid.locator("canvas").first.wait_for()
    grid.scroll_into_view_if_needed()  # below the money section
    page.wait_for_timeout(1000)
    site.shot("02-overview")
    box = grid.bounding_box()
    assert box is not None
    newest = site.runs[-1]
    page.mouse.click(box["x"] + 18, box["y"] + 35 + 17)  # the first row's selection box (header is 35 px)
    page.wait_for_url(re.compile(rf"/run_details\?run={newest['run_id']}$"), timeout=30_000)
    settle(page)
    page.get_by_text(newest["trace_id"]).wait_for()
    body = page.inner_text("body")
    assert newest["trace_id"] in body and newest["decision_id"] in body
    page.get_by_role("tab", name="Agents").click()
    page.get_by_text("Cheap agents (round 1)").wait_for()
    assert "cheap_tech_analyst" in page.inner_text("body")
    site.shot("03-run-details-after-click")


def test_overview_shows_a_new_run_without_a_reload(site: Site) -> None:
    page = site.open("")
    runs_today = page.locator('[data-testid="stMetric"]', has_text="Runs today").locator(
        '[data-testid="stMetricValue"]'
    )
    runs_today.wait_for()
    before = int(runs_today.inner_text())
    start_run(  # what the REST API or another operator does meanwhile
        sessions=site.db.sessions,
        settings=make_settings(),
        symbols=["NVDA"],
        agents=None,
        mode="competition",
        trigger="api",
        enqueue=True,
        requested_by="test",
    )
    expect(runs_today).to_have_text(str(before + 1), timeout=20_000)  # the fragment refreshes every 5 s
    assert page.get_by_text("Recent runs").is_visible()


def test_manual_run_is_queued_and_the_down_worker_is_named(site: Site) -> None:
    page = site.open("manual_run")
    page.get_by_role("textbox", name="Symbols (comma-separated)").fill("AAPL, MSFT")
    page.get_by_role("button", name="Queue run").click()
    page.get_by_text("status: queued").wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"the worker is down .* The run stays queued")).wait_for()  # said, not spun
    run_id = re.search(r"[?&]run=([0-9a-f]{32})", page.url)
    assert run_id, page.url
    with site.db.sessions() as s:
        run = s.get(ArenaRun, run_id.group(1))
        state = s.scalar(select(RunRequest.state).where(RunRequest.run_id == run_id.group(1)))
    assert run is not None and (run.status, run.trigger, run.symbols, state) == (
        "queued",
        "manual",
        ["AAPL", "MSFT"],
        "queued",
    )
    site.shot("04-manual-run-queued")
    page.get_by_text("Open its Run Details").click()
    page.wait_for_url(re.compile(rf"/run_details\?run={run.id}$"), timeout=30_000)
    settle(page)
    page.get_by_text("This run is queued").wait_for()


def test_invalid_profile_shows_the_error_and_saves_nothing(site: Site) -> None:
    with site.db.sessions() as s:
        before = s.scalar(select(func.count()).select_from(AgentProfile))
    page = site.open("profiles")
    page.get_by_role("textbox", name="Name", exact=True).fill("Bad Name!")
    page.get_by_role("textbox", name="Model id", exact=True).fill("gpt-4o-mini")
    page.get_by_role("button", name="Create profile").click()
    error = page.locator('[data-testid="stAlertContentError"]')
    error.wait_for(timeout=30_000)
    text = error.inner_text()
    assert "Not saved" in text and "name" in text and "lower-case letters" in text
    with site.db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AgentProfile)) == before == 3
    site.shot("05-profile-invalid")


def test_a_prompt_edit_in_the_browser_saves_version_2_with_its_diff(site: Site) -> None:
    from arena.storage.read.prompts import prompt_views

    new_text = (
        "You are a careful swing trader on a US equities paper-trading desk. Buy only on a pullback within an "
        "uptrend (SMA 10 above SMA 30); otherwise answer HOLD."
    )
    page = site.open("profiles?template=technical_analyst")  # the link Run Details gives each answer's template
    page.get_by_text("Prompt templates").wait_for()
    editor = page.get_by_role("textbox", name="Role text")
    expect(editor).to_have_value(re.compile("disciplined technical analyst"))
    editor.fill(new_text)
    page.get_by_role("textbox", name="Why this version (notes)").fill("pullbacks only")
    page.get_by_role("button", name="Save as new version").click()
    page.get_by_text("Saved technical_analyst as version 2.").wait_for(timeout=30_000)
    settle(page)
    page.get_by_text("Changes from v1 to v2").wait_for()
    with site.db.sessions() as s:
        saved = [v for v in prompt_views(session=s) if v.template_id == "technical_analyst"]
    assert [(v.version, v.role_text, v.notes) for v in saved][-1] == (2, new_text, "pullbacks only")
    assert saved[0].role_text.startswith("You are a disciplined technical analyst")  # v1 untouched
    site.shot("06-prompt-version-2")
