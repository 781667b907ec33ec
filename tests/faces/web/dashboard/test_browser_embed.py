"""Debian chromium against one `python -m arena serve` (with its worker, loopback LLM and Alpaca) for the module:

* embedded mode: Arena inside a host page with its own sidebar (tests/support/adminhub_host.html, served at the
  dashboard's origin as AdminHub's reverse proxy does) at 1280 px has no second sidebar — its pages are on top —
  and compact padding; the same browser in a plain tab gets the sidebar back; `?embed=1` asks for the embedded
  layout without a frame;
* a cancelled manual run: queued in the browser, its agents shown calling while the loopback LLM holds them, the
  Cancel button ends it abandoned with who cancelled it, and nothing stays running or claimed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.engine.access import mint_token
from arena.storage.models import ArenaRun, Consensus, RunRequest
from arena.storage.session import make_engine, session_factory
from tests.faces.web.dashboard.browser import (
    ADMIN_TOKEN,
    ARTIFACTS,
    WORKER_START_S,
    browser_page,
    live_env,
    require_chromium,
    serve,
    settle,
    signed,
)
from tests.faces.web.dashboard.populate import open_market, populate, script_agents
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOST_PAGE = Path(__file__).parents[3] / "support" / "adminhub_host.html"
WIDTH = 1280
TIMEOUT_MS = 30_000
SIDEBAR = '[data-testid="stSidebar"]'
TOP_NAV = '[data-testid="stTopNavLink"]'
HELD_S = 120.0  # the loopback LLM holds the worker's calls this long


@pytest.fixture(scope="module")
def served(
    templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Any, Database]]:
    require_chromium()
    workdir = tmp_path_factory.mktemp("browser-embed")
    with templates.fresh("sqlite", workdir) as url, LLMServer() as llm, AlpacaServer(hang_seconds=2.0) as broker:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        try:
            populate(db, llm, broker)  # real runs for the Overview's table
            open_market(broker)
            script_agents(llm, delay_s=HELD_S)  # the worker's runs wait at the LLM: only a cancel ends them sooner
            env = live_env(llm.base_url, broker.url)
            with serve(url, workdir, env, worker=True) as base, browser_page(width=WIDTH, height=900) as page:
                page.set_default_timeout(TIMEOUT_MS)
                yield base, page, db
        finally:
            engine.dispose()


def _host(base: str, page: Any) -> Any:
    """AdminHub's shell at <origin>/admin/arena (its client-side route), framing /admin/arena/?auth=… ."""
    origin = f"{urlsplit(base).scheme}://{urlsplit(base).netloc}"
    html = HOST_PAGE.read_text().replace("__ARENA_AUTH__", mint_token(ADMIN_TOKEN))
    page.route(
        lambda url: urlsplit(url).path in ("/admin", "/admin/arena"),
        lambda route: route.fulfill(status=200, content_type="text/html", body=html),
    )
    page.goto(f"{origin}/admin/arena")
    expect(page.get_by_test_id("adminhub-sidebar")).to_be_visible()
    frame = page.frame_locator("#arena-frame")
    expect(frame.locator("h1")).to_contain_text("Overview")
    frame.locator('[data-testid="stStatusWidget"]').wait_for(state="detached")
    return frame


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def test_inside_the_host_page_there_is_one_sidebar_and_the_pages_are_on_top(
    served: tuple[str, Any, Database],
) -> None:
    base, page, _ = served
    frame = _host(base, page)
    assert frame.locator(SIDEBAR).count() == 0  # AdminHub's sidebar is the only one
    expect(frame.locator(TOP_NAV).first).to_be_visible()
    frame.get_by_text("Recent runs").wait_for()
    _shot(page, "embed-01-overview-in-host")

    iframe = page.locator("#arena-frame").bounding_box()
    heading = frame.locator("h1").first.bounding_box()
    content = frame.locator('[data-testid="stMainBlockContainer"]').bounding_box()
    assert iframe and heading and content
    assert heading["y"] - iframe["y"] < 110, heading  # compact: the title sits under the top navigation
    assert content["x"] - iframe["x"] <= 20, content  # no 270 px sidebar and no wide side padding
    assert content["x"] + content["width"] <= iframe["x"] + iframe["width"] + 1  # nothing runs out of the frame
    grid = frame.locator('[data-testid="stDataFrame"]').first.bounding_box()
    assert grid and grid["x"] + grid["width"] <= iframe["x"] + iframe["width"] + 1, grid

    # the top navigation works inside the frame, and the layout stays embedded on the next page
    frame.locator(TOP_NAV, has_text="Manual Run").click()
    expect(frame.locator("h1")).to_contain_text("Manual run")
    frame.locator('[data-testid="stStatusWidget"]').wait_for(state="detached")
    assert frame.locator(SIDEBAR).count() == 0
    inner = next(f for f in page.frames if f.url.startswith(f"{base}/"))
    assert urlsplit(inner.url).path == "/admin/arena/manual_run"
    _shot(page, "embed-02-manual-run-in-host")
    page.unroute_all()


def test_a_plain_tab_keeps_the_sidebar_and_embed_1_asks_for_the_embedded_layout(
    served: tuple[str, Any, Database],
) -> None:
    base, page, _ = served
    page.goto(f"{base}/leaderboard?auth={mint_token(ADMIN_TOKEN)}")  # the same browser, after the framed visit
    settle(page)
    expect(page.locator('[data-testid="stSidebarNav"]')).to_contain_text("Manual Run")
    assert page.locator(TOP_NAV).count() == 0

    page.goto(f"{base}/leaderboard?embed=1&auth={mint_token(ADMIN_TOKEN)}")
    settle(page)
    expect(page.locator("h1")).to_contain_text("Leaderboard")
    assert any(c["name"] == "arena_embed" and c["value"] == "1" for c in page.context.cookies())
    assert page.locator(SIDEBAR).count() == 0
    expect(page.locator(TOP_NAV).first).to_be_visible()


def test_a_manual_run_cancelled_in_the_browser_ends_abandoned_with_who_cancelled_it(
    served: tuple[str, Any, Database],
) -> None:
    base, page, db = served
    page.goto(signed(base, ""))
    page.get_by_text("Worker up").wait_for(timeout=WORKER_START_S * 1000)
    page.goto(signed(base, "manual_run"))
    settle(page)
    page.get_by_role("textbox", name="Symbols (comma-separated)").fill("AAPL")
    page.get_by_role("button", name="Queue run").click()
    page.get_by_text(re.compile(r"^Running for .* asking the agents")).wait_for()  # live, no reload
    expect(page.get_by_text(re.compile(r"cheap_tech_analyst.*calling"))).to_be_visible()
    _shot(page, "cancel-01-agents-calling")
    found = re.search(r"[?&]run=([0-9a-f]{32})", page.url)
    assert found, page.url
    run_id = found.group(1)

    page.get_by_role("button", name="Cancel run").click()
    page.get_by_text("Run abandoned: cancelled by dashboard").wait_for()
    settle(page)
    page.get_by_text(re.compile(r"^Run abandoned after .* no answer recorded")).wait_for()
    expect(page.get_by_text(re.compile(r"cheap_tech_analyst.*stopped"))).to_be_visible()
    _shot(page, "cancel-02-abandoned")
    with db.sessions() as s:
        run = s.get(ArenaRun, run_id)
        state = s.scalar(select(RunRequest.state).where(RunRequest.run_id == run_id))
        decided = s.scalar(select(func.count()).select_from(Consensus).where(Consensus.run_id == run_id))
    assert run is not None and (run.status, run.error, run.cancel_requested_by, state, decided) == (
        "abandoned",
        "cancelled by dashboard",
        "dashboard",
        "done",
        0,
    )
    assert run.started_at is not None and run.finished_at is not None
    assert (run.finished_at - run.started_at).total_seconds() < HELD_S  # stopped, not waited out
    assert not [b for b in page.get_by_role("button", name="Cancel run").all() if b.is_visible()]
