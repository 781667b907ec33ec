"""Issue 19's money view and limits through AppTest, on SQLite and PostgreSQL: the Overview opens on the paper
account (equity, P&L, positions, open orders) read live from what reconciliation stored, the Orders & positions
page lists every order with its decision, run and fills, the trading-state banner follows every page while not
ACTIVE, and the Guardrails page shows each daily limit's usage and asks before leaving HALTED.

Every order, fill and snapshot here is written by the real engine and reconciliation against the loopback Alpaca
server (tests/support/alpaca_server.py); only the broker's account and positions are scripted, as a broker would
report them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import load_config, update_config
from arena.engine.outcomes.real_account import real_account
from arena.faces.web.widgets.money import realised_since
from arena.faces.web.widgets.orders import to_csv
from arena.faces.web.widgets.runs_table import run_link
from arena.kernel.clock import utc_day_start
from arena.kernel.kinds import Side
from arena.storage.models import BrokerOrder, Consensus, Fill, OrderIntent
from arena.storage.read.limits import limit_usage
from arena.storage.read.run_fills import FillView
from arena.storage.repositories.budget import spend_of
from tests.faces.web.dashboard.conftest import Shared, button, open_page, texts
from tests.faces.web.dashboard.populate import broker_settings, populate
from tests.support.alpaca_server import AlpacaServer
from tests.support.llm_server import LLMServer

HELD = [{"symbol": "AAPL", "qty": 10.0, "market_value": 1012.5, "avg_entry_price": 100.0, "side": "long"}]


def _fill(symbol: str, side: Side, qty: float, price: float, at: datetime) -> FillView:
    return FillView(f"f-{at.timestamp()}-{side}", "c", symbol, side, qty, price, at)


def test_realised_today_is_fifo_over_the_whole_history() -> None:
    """A lot bought yesterday and sold today realises today; a fill that only opens realises nothing."""
    today = utc_day_start(datetime.now(UTC))
    fills = [
        _fill("AAPL", Side.BUY, 10, 100.0, today - timedelta(hours=5)),
        _fill("AAPL", Side.SELL, 4, 110.0, today + timedelta(minutes=1)),  # +40
        _fill("AAPL", Side.SELL, 6, 90.0, today + timedelta(minutes=2)),  # -60
        _fill("MSFT", Side.SELL, 3, 50.0, today + timedelta(minutes=3)),  # opens a short: 0
    ]
    assert realised_since(fills, today) == (-20.0, 3)
    assert realised_since(fills[:1], today) == (0.0, 0)


def test_csv_has_a_header_and_one_line_per_row() -> None:
    assert to_csv([]) == ""
    assert to_csv([{"a": 1, "b": "x,y"}, {"a": 2, "b": None}]).splitlines() == ["a,b", '1,"x,y"', "2,"]


@pytest.fixture
def money(database: Database, app_env: str) -> Iterator[tuple[Database, AlpacaServer]]:
    """Real runs whose orders went to the loopback broker — the first one left open there — reconciled; then the
    broker reports a position and a new equity, and one more reconciliation pass records them."""
    from arena.bootstrap.services import build_broker, build_market_data
    from arena.engine.execution.reconcile import reconcile_orders

    with LLMServer() as llm, AlpacaServer(hang_seconds=2.0) as broker:
        broker.next_order_flow("hold")  # the first order stays accepted: an open order
        populate(database, llm, broker)
        settings = broker_settings(broker)
        broker.set_positions(HELD)
        broker.set_account(100_512.34, 60_000, 120_000)
        reconcile_orders(sessions=database.sessions, broker=build_broker(settings), market=build_market_data(settings))
        yield database, broker


def _metrics(at: Any) -> dict[str, str]:
    return {m.label: str(m.value) for m in at.metric}


def test_overview_opens_on_the_money(money: tuple[Database, AlpacaServer]) -> None:
    db, _ = money
    at = open_page("screens/overview.py")
    assert not at.error, [e.value for e in at.error]
    m = _metrics(at)
    assert m["Account equity"] == "$100,512.34"
    assert m["Unrealised P&L"] == "+$12.50"  # 1012.50 market value − 10 × 100.00
    assert m["Cash"] == "$60,000.00"
    assert m["Open positions / orders"] == "1 / 1"
    now = datetime.now(UTC)
    with db.sessions() as s:
        engine_view = real_account(session=s, since=utc_day_start(now), until=now)
        fills_today = s.scalar(select(func.count(Fill.id)))
    realised = engine_view["realized_pnl_usd"]
    assert m["Realised P&L today"] == (f"+${realised:,.2f}" if realised > 0 else f"${abs(realised):,.2f}")
    assert fills_today and engine_view["fills"] == fills_today  # the fills landed today, and count
    body = texts(at)
    assert texts(at).index("Account (paper)") < body.index("LLM cost and outcomes") < body.index("Recent runs")
    frames = {tuple(f.value.columns)[:2]: f.value for f in at.dataframe}
    positions = frames[("symbol", "side")]
    assert list(positions["symbol"]) == ["AAPL"] and list(positions["qty"]) == [10.0]
    assert list(positions["unrealised P&L"]) == [12.5]
    open_orders = frames[("created (UTC)", "symbol")]
    with db.sessions() as s:
        (still_open,) = s.scalars(select(BrokerOrder).where(BrokerOrder.status == "accepted")).all()
    assert list(open_orders["client order id"]) == [still_open.client_order_id]
    assert len(at.get("plotly_chart")) == 3  # equity curve, cost per day, decision mix


def test_overview_without_a_snapshot_says_how_one_is_made(app_env: str) -> None:
    at = open_page("screens/overview.py")
    assert "No account snapshot yet" in texts(at, "info")
    assert "Account equity" not in _metrics(at)


def test_orders_page_lists_every_order_with_decision_run_and_fills(read_only: Shared) -> None:
    at = open_page("screens/orders.py")
    assert not at.error, [e.value for e in at.error]
    with read_only.db.sessions() as s:
        expected = s.execute(
            select(BrokerOrder.client_order_id, BrokerOrder.status, Consensus.run_id, Consensus.final_action)
            .join(OrderIntent, OrderIntent.client_order_id == BrokerOrder.client_order_id)
            .join(Consensus, Consensus.decision_id == OrderIntent.decision_id)
        ).all()
        fills = dict(s.execute(select(Fill.client_order_id, func.count(Fill.id)).group_by(Fill.client_order_id)).all())
    assert len(expected) >= 2  # populate's BUY and SELL runs sent orders
    orders = next(f.value for f in at.dataframe if "client order id" in f.value.columns and "run" in f.value.columns)
    by_id = {row["client order id"]: row for _, row in orders.iterrows()}
    assert set(by_id) == {cid for cid, *_ in expected}
    for cid, status, run_id, action in expected:
        row = by_id[cid]
        assert (row["status"], row["run"], row["decision"]) == (status, run_link(run_id), action)
        assert row["fills"] == fills.get(cid, 0)
    fill_table = next(f.value for f in at.dataframe if "broker fill id" in f.value.columns)
    assert len(fill_table) == sum(fills.values()) > 0 and set(fill_table["client order id"]) <= set(by_id)

    at.selectbox(key="orders_side").select("sell").run()
    rows = next(f.value for f in at.dataframe if "client order id" in f.value.columns and "run" in f.value.columns)
    assert set(rows["side"]) == {"sell"} and len(rows) == sum(1 for *_, a in expected if a == "SELL")
    at.multiselect(key="orders_status").select("canceled").run()
    assert "No order matches these filters." in texts(at, "info")


def test_orders_page_on_an_empty_database(app_env: str) -> None:
    at = open_page("screens/orders.py")
    assert not at.error
    assert "No order has been sent yet." in texts(at, "info")
    assert "No account snapshot yet" in texts(at, "info")
    assert all(len(f.value) == 0 for f in at.dataframe)


@pytest.mark.parametrize("page", ["screens/overview.py", "screens/run_details.py", "screens/orders.py"])
def test_trading_banner_on_every_page_while_not_active(app_env: str, database: Database, page: str) -> None:
    assert "Trading" not in texts(open_page(page), "error", "warning").replace("Worker", "")
    for state, kind, words in (("HALTED", "error", "Trading HALTED"), ("REDUCING", "warning", "Trading REDUCING")):
        with database.sessions() as s, s.begin():
            update_config(session=s, changes={"trading_state": state}, actor="test")
        assert words in texts(open_page(page), kind)


def test_guardrails_usage_against_caps(read_only: Shared) -> None:
    at = open_page("screens/guardrails.py")
    bars = {str(p.proto.text).split("**: ")[0].strip("*"): p.proto for p in at.get("progress")}
    with read_only.db.sessions() as s:
        used = limit_usage(session=s)
        config = load_config(session=s)
        intents = s.scalar(select(func.count(OrderIntent.id)))
        calls, spent = spend_of(session=s, day=used.day, scope="global")
    assert used.orders_today == intents and intents >= 2 and calls >= 10
    assert bars["Orders today"].text.endswith(f"{intents} / {config.max_orders_per_day}")
    assert bars["Orders today"].value == round(100 * intents / config.max_orders_per_day)
    assert bars["Powerful calls today"].text.endswith(f"2 / {config.max_power_calls_per_day}")
    assert bars["LLM spend today"].text.endswith(f"${float(spent):,.4f} / ${config.daily_llm_spend_cap_usd:,.2f}")


def test_leaving_halted_asks_first(app_env: str, database: Database) -> None:
    at = open_page("screens/guardrails.py")
    button(at, "Kill switch: HALT now").click().run()
    radio = next(r for r in at.radio if r.label == "Trading state")
    radio.set_value("ACTIVE")
    button(at, "Apply state").click().run()
    assert "Switching to **ACTIVE**" in "".join(str(md.value) for md in at.markdown)
    with database.sessions() as s:
        assert load_config(session=s).trading_state == "HALTED"  # not yet: the dialog asks
    button(at, "Stay HALTED").click().run()
    with database.sessions() as s:
        assert load_config(session=s).trading_state == "HALTED"
    assert not [b for b in at.button if b.label == "Yes, switch to ACTIVE"]

    radio = next(r for r in at.radio if r.label == "Trading state")
    radio.set_value("ACTIVE")
    button(at, "Apply state").click().run()
    button(at, "Yes, switch to ACTIVE").click().run()
    with database.sessions() as s:
        assert load_config(session=s).trading_state == "ACTIVE"
    assert "Trading HALTED" not in texts(at, "error")


def test_profiles_show_spend_and_calls_against_their_limits(read_only: Shared) -> None:
    at = open_page("screens/profiles.py")
    table = at.dataframe[0].value.set_index("name")
    tech, risk = table.loc["cheap_tech_analyst"], table.loc["cheap_risk_manager"]
    assert tech["budget used"] == pytest.approx(tech["spent today"] / 1.0)  # daily budget $1.00
    assert risk["calls used"] == pytest.approx(risk["calls today"] / 200)  # daily call limit 200
    assert risk["budget used"] != risk["budget used"]  # NaN: no budget, no bar
    assert list(table.columns[:3]) == ["enabled", "budget used", "spent today"]


def test_every_guardrail_setting_has_a_label_for_people(app_env: str) -> None:
    from arena.engine.config.guardrails import GuardrailConfig
    from arena.faces.web.widgets.guardrails import ESCALATION, EXECUTION, LABELS

    assert set(ESCALATION + EXECUTION) == set(LABELS) == set(GuardrailConfig.model_fields) - {"trading_state"}
    at = open_page("screens/guardrails.py")
    shown = {w.label for kind in ("number_input", "text_input", "checkbox") for w in at.get(kind)}
    assert set(LABELS.values()) <= shown
    assert not any("_" in label for label in shown)  # no stored key passes for a label
