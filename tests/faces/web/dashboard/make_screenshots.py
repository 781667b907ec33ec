"""Regenerate docs/screenshots/*.png from REAL data: `python -m tests.faces.web.dashboard.make_screenshots`.

A fresh SQLite database is migrated and filled by real arena runs (the engine, litellm over HTTP to the loopback
LLM server, orders to the loopback Alpaca paper server, reconciled to fills). Then `python -m arena serve` starts
with its worker, one more run is queued from the browser and carried out by that worker, and Debian chromium
photographs the pages. Nothing is inserted by hand.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from arena.bootstrap.database import Database
from arena.engine.config.settings import PROJECT_ROOT
from arena.storage import migrate
from arena.storage.session import make_engine, session_factory
from tests.faces.web.dashboard.browser import (
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
from tests.support.llm_server import LLMServer

OUT = PROJECT_ROOT / "docs" / "screenshots"
WIDTH = 1400


def whole_page(page: Any, path: Path) -> None:
    """Streamlit scrolls inside its main section: grow the viewport to the content, then photograph it."""
    settle(page)
    page.wait_for_timeout(2500)  # charts and grids draw after the run ends
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": WIDTH, "height": min(max(int(height) + 40, 900), 4000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": WIDTH, "height": 1000})
    print(f"wrote {path.relative_to(PROJECT_ROOT)}")


def main() -> int:
    require_chromium()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'arena.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        db = Database(engine=engine, sessions=session_factory(engine))
        with LLMServer() as llm, AlpacaServer(hang_seconds=2.0) as broker:
            runs = populate(db, llm, broker)
            open_market(broker, ("AAPL", "MSFT", "NVDA"))
            script_agents(llm, delay_s=1.0)
            with serve(url, workdir, live_env(llm.base_url, broker.url), worker=True) as base, browser_page() as page:
                page.goto(signed(base, ""))
                page.get_by_text("Worker up").wait_for(timeout=WORKER_START_S * 1000)

                page.goto(signed(base, "manual_run"))
                settle(page)
                page.get_by_role("textbox", name="Symbols (comma-separated)").fill("AAPL, MSFT")
                page.get_by_role("button", name="Queue run").click()
                page.get_by_text(re.compile(r"^Completed: final action")).wait_for(timeout=90_000)
                whole_page(page, OUT / "manual_run.png")

                page.goto(signed(base, ""))
                page.get_by_text("Recent runs").wait_for()
                whole_page(page, OUT / "overview.png")

                escalated = runs[1]
                page.goto(signed(base, f"run_details?run={escalated['run_id']}"))
                page.get_by_text(escalated["trace_id"]).wait_for()
                whole_page(page, OUT / "run_details.png")

                page.goto(signed(base, "profiles"))
                page.get_by_text("Version history").wait_for()
                whole_page(page, OUT / "profiles.png")

                page.goto(signed(base, "guardrails"))
                page.get_by_text("Audit log").wait_for()
                whole_page(page, OUT / "guardrails.png")

                for path, marker, name in (
                    ("orders", "Open positions", "orders.png"),
                    ("runs", "Arena — Runs", "runs.png"),
                    ("leaderboard", "Arena — Leaderboard", "leaderboard.png"),
                    ("evaluation", "Cost vs quality", "evaluation.png"),
                ):
                    page.goto(signed(base, path))
                    page.get_by_text(marker).first.wait_for()
                    whole_page(page, OUT / name)

                # embedded as AdminHub frames it: top navigation, no Arena sidebar
                page.goto(signed(base, "?embed=1"))
                page.get_by_text("Account (paper)").wait_for()
                whole_page(page, OUT / "embedded_overview.png")
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
