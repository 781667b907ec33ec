"""The money view in Debian chromium: `python -m arena serve` WITH its worker, against the loopback Alpaca server
holding a position and the orders real runs sent (filled). The worker's own reconciliation pass at start records
the broker's account; the Overview shows it without a reload, and the Orders & positions page downloads the fills.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.storage.models import Fill
from arena.storage.session import make_engine, session_factory
from tests.faces.web.dashboard.browser import (
    WORKER_START_S,
    Site,
    browser_page,
    live_env,
    require_chromium,
    serve,
)
from tests.faces.web.dashboard.populate import populate
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LLMServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HELD = [{"symbol": "MSFT", "qty": 12.0, "market_value": 1234.56, "avg_entry_price": 100.0, "side": "long"}]
EQUITY = "$100,987.65"  # only the broker's account after the runs: shown once the worker has reconciled


@pytest.fixture(scope="module")
def money_site(templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    require_chromium()
    workdir = tmp_path_factory.mktemp("money")
    with templates.fresh("sqlite", workdir) as url, LLMServer() as llm, AlpacaServer(hang_seconds=2.0) as broker:
        engine = make_engine(url)
        db = Database(engine=engine, sessions=session_factory(engine))
        try:
            runs = populate(db, llm, broker)  # real runs; their orders filled at the loopback broker, reconciled
            broker.set_positions(HELD)  # what the broker holds now; no snapshot in the database has it yet
            broker.set_account(100_987.65, 40_000, 80_000)
            with serve(url, workdir, live_env(llm.base_url, broker.url), worker=True) as base, browser_page() as page:
                yield Site(base, page, db, runs)
        finally:
            engine.dispose()


def test_overview_shows_the_brokers_account_live_then_orders_page_downloads_the_fills(
    money_site: Site, tmp_path: Path
) -> None:
    page = money_site.open("")
    page.get_by_text("Account (paper)").wait_for()
    page.get_by_text("Worker up").wait_for(timeout=WORKER_START_S * 1000)
    page.get_by_text(EQUITY).wait_for(timeout=30_000)  # the worker's snapshot, drawn by the live fragment
    metrics = {
        m.locator('[data-testid="stMetricLabel"]').inner_text().strip(): m.locator('[data-testid="stMetricValue"]')
        .inner_text()
        .strip()
        for m in page.locator('[data-testid="stMetric"]').all()
    }
    assert metrics["Account equity"] == EQUITY
    assert metrics["Unrealised P&L"] == "+$34.56"  # 1,234.56 − 12 × 100.00
    assert metrics["Open positions / orders"] == "1 / 0"
    assert metrics["Cash"] == "$40,000.00"
    money_site.shot("20-overview-money")

    page = money_site.open("orders")
    page.get_by_text("Fills of these orders").wait_for()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download fills (CSV)").click()
    saved = tmp_path / "fills.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text())))
    with money_site.db.sessions() as s:
        stored = {f.broker_fill_id: f for f in s.scalars(select(Fill))}
    assert rows and {r["broker fill id"] for r in rows} == set(stored)
    for r in rows:
        fill = stored[r["broker fill id"]]
        assert (r["symbol"], r["side"], float(r["qty"])) == (fill.symbol, fill.side, float(fill.qty))
    money_site.shot("21-orders-and-positions")
