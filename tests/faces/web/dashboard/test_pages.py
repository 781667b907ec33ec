"""Every page through AppTest (app.py frame → page), on an empty and on a populated database, both backends."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.storage.models import AgentProfile, AgentProfileVersion, ArenaRun, RunRequest
from tests.engine.harness import make_settings, run_arena
from tests.faces.web.dashboard.conftest import Shared, button, open_page, query_param, texts
from tests.faces.web.dashboard.populate import CHEAP_OPENAI, CHEAP_OR, add_profiles, decision
from tests.support.llm_server import LLMServer, Reply

PAGES = [
    "screens/overview.py",
    "screens/run_details.py",
    "screens/manual_run.py",
    "screens/leaderboard.py",
    "screens/profiles.py",
    "screens/guardrails.py",
]


@pytest.mark.parametrize("page", PAGES, ids=[p.split("/")[1][:-3] for p in PAGES])
def test_every_page_on_an_empty_database_shows_no_rows_and_no_error(app_env: str, page: str) -> None:
    at = open_page(page)
    assert not at.error, [e.value for e in at.error]
    for frame in at.dataframe:
        if "labels" in frame.value.columns:  # prompt versions: the built-in templates the migration seeds
            assert set(frame.value["by"]) == {"system"} and set(frame.value["notes"]) == {"built-in"}
            continue
        assert len(frame.value) == 0, f"{page} shows rows on an empty database"
    assert not at.metric or all(str(m.value) in ("0", "—", "") for m in at.metric)
    if page != "screens/guardrails.py":  # guardrails shows the defaults it would apply, and the empty lists
        assert "Setup checklist" in texts(at)


def test_overview_populated_shows_tiles_runs_and_chart(read_only: Shared) -> None:
    populated = read_only.runs
    at = open_page("screens/overview.py")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Runs today"] == "5"
    assert metrics["Powerful calls today"] == "2 / 25"
    assert metrics["Escalation rate (7 d)"] == "40%"
    assert metrics["NO_TRADE rate (7 d)"] == "20%"
    assert metrics["Failed rate (7 d)"] == "0%"
    assert metrics["Cost today (UTC)"].startswith("$0.02")
    runs = at.dataframe[0].value
    assert len(runs) == 5
    newest_first = [r["final_action"] for r in reversed(populated)]
    assert list(runs["final action"]) == newest_first
    assert list(runs["link"]) == [f"run_details?run={r['run_id']}" for r in reversed(populated)]
    assert at.get("plotly_chart"), "cost-over-time chart"
    assert "Worker down" in texts(at, "warning")  # no worker runs in tests, and the page says so
    assert "Setup checklist" not in texts(at)


def test_run_details_of_an_escalated_run(read_only: Shared) -> None:
    populated = read_only.runs
    run = populated[1]
    assert run["escalated"]
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    assert not at.error
    lines = [line.rsplit("  ", 1) for c in at.code[:3] for line in str(c.value).splitlines()]
    facts = {k.strip(): v.strip() for k, v in lines}
    assert facts["trace id"] == run["trace_id"] and facts["decision id"] == run["decision_id"]
    assert len(facts["market snapshot"]) == 64 and facts["trigger / mode"] == "manual / competition (execution on)"
    body = texts(at)
    assert "disagreement, low_confidence" in body
    assert "Escalation (powerful models)" in body and "power_macro_judge" in body
    assert "Signals conflict and neither case is strong; wait for confirmation." in texts(at, "text")
    assert "decided by: escalation" in body
    assert "No order: the decision did not lead to one." in body  # HOLD: no order, said honestly
    calls = at.dataframe[-1].value
    assert len(calls) == run["llm_calls"] == 3 and set(calls["purpose"]) == {"agent", "escalation"}
    assert len(at.get("plotly_chart")) == 2  # latency waterfall + cost breakdown


def test_run_details_order_fills_and_guardrails(read_only: Shared) -> None:
    populated = read_only.runs
    run = populated[0]
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    body = texts(at)
    assert "All 11 checks passed." in body
    frames = [df.value for df in at.dataframe]
    orders = next(f for f in frames if "filled_avg_price" in f.columns)
    assert list(orders["status"]) == ["filled"] and orders["client_order_id"][0] == run["order"]["client_order_id"]
    fills = next(f for f in frames if "broker_fill_id" in f.columns)
    assert fills["qty"].sum() == orders["filled_qty"][0]


def test_run_details_debate_rounds_and_repair(read_only: Shared) -> None:
    populated = read_only.runs
    debate = open_page("screens/run_details.py", query={"run": populated[2]["run_id"]})
    assert "Debate rounds (1)" in [e.label for e in debate.expander]
    assert "Agree after debate: trend broke." in texts(debate, "text")
    repaired = open_page("screens/run_details.py", query={"run": populated[4]["run_id"]})
    assert "repaired" in texts(repaired, "markdown")
    assert any('"confidence": "high"' in str(c.value) for c in repaired.code)  # the raw reply, as code text


def test_model_text_is_never_rendered_as_markdown_or_html(app_env: str, database: Database, llm: LLMServer) -> None:
    hostile = '<img src=x onerror="alert(1)"> **bold** [click](http://evil.example) ![t](http://evil.example/t.png)'
    add_profiles(database, llm)
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.8, rationale=hostile, flags=["<script>x</script>"])))
    llm.on(CHEAP_OR, Reply(decision("BUY", 0.8, rationale=hostile), cost=0.0001))
    run = run_arena(database, make_settings())
    at = open_page("screens/run_details.py", query={"run": run["run_id"]})
    assert hostile in texts(at, "text")
    for kind in ("markdown", "caption", "info", "warning", "success", "error", "title", "subheader"):
        for element in at.get(kind):
            assert "evil.example" not in str(element.value), (kind, element.value)
            assert "<img" not in str(element.value) and "<script" not in str(element.value), (kind, element.value)


def test_run_details_says_which_rule_decided(app_env: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.8)))
    llm.on(CHEAP_OR, Reply(decision("SELL", 0.75, flags=["veto"]), cost=0.0001))
    vetoed = run_arena(database, make_settings())
    at = open_page("screens/run_details.py", query={"run": vetoed["run_id"]})
    shown = texts(at, "text")
    assert "cheap_risk_manager (risk_manager) raised the blocking flag 'veto'" in shown
    assert "decisive" not in shown
    llm.on(CHEAP_OR, Reply(status=503, error_message="down"))
    lonely = run_arena(database, make_settings())
    at = open_page("screens/run_details.py", query={"run": lonely["run_id"]})
    assert "no quorum (1 of 2 required valid cheap votes)" in texts(at, "text")


def test_run_details_unknown_run_and_picker(read_only: Shared) -> None:
    populated = read_only.runs
    at = open_page("screens/run_details.py", query={"run": "0" * 32})
    assert "Run not found" in texts(at, "warning")
    picker = open_page("screens/run_details.py")
    assert len(picker.selectbox[0].options) == 5
    picker.selectbox[0].select_index(0).run()
    assert query_param(picker, "run") == populated[-1]["run_id"]


def test_run_details_of_a_queued_run_says_so(configured: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    at = open_page("screens/manual_run.py")
    at.text_input[0].input("AAPL, msft")
    button(at, "Queue run").click().run()
    run_id = query_param(at, "run")
    details = open_page("screens/run_details.py", query={"run": run_id})
    assert "This run is queued" in texts(details, "info")
    assert "No consensus recorded" in texts(details, "info")


def test_manual_run_queues_and_reports_a_down_worker(configured: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    at = open_page("screens/manual_run.py")
    at.text_input[0].input("AAPL, msft")
    at.multiselect[0].select("cheap_tech_analyst").select("cheap_risk_manager")
    button(at, "Queue run").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    run_id = query_param(at, "run")
    with database.sessions() as s:
        run = s.get(ArenaRun, run_id)
        request = s.scalar(select(RunRequest).where(RunRequest.run_id == run_id))
    assert run is not None and request is not None
    assert (run.status, run.trigger, run.symbols, request.state, request.requested_by) == (
        "queued",
        "manual",
        ["AAPL", "MSFT"],
        "queued",
        "dashboard",
    )
    assert run.requested_agents == ["cheap_tech_analyst", "cheap_risk_manager"]
    progress = texts(at)
    assert "status: queued" in progress and "the worker is down" in progress
    assert any(link.label == "Open its Run Details →" for link in at.get("page_link"))


def test_manual_run_invalid_request_stores_nothing(configured: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    at = open_page("screens/manual_run.py")
    at.text_input[0].input("AAPL, not a symbol!")
    button(at, "Queue run").click().run()
    assert "Not queued" in texts(at, "error")
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ArenaRun)) == 0


def test_manual_run_without_provider_keys_says_what_to_set(app_env: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    at = open_page("screens/manual_run.py")
    at.text_input[0].input("AAPL")
    button(at, "Queue run").click().run()
    assert "OPENAI_API_KEY" in texts(at, "error")
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(ArenaRun)) == 0


def test_leaderboard_is_honest_about_missing_scores(read_only: Shared) -> None:
    at = open_page("screens/leaderboard.py")
    assert "Not enough data" in texts(at, "info")
    assert "5 runs, 5 decisions" in texts(at, "caption")
    assert "Setup checklist" not in texts(at)
    at.selectbox[2].select("megacap_momentum").run()  # strategy filter: manual runs have no strategy
    assert "0 runs, 0 decisions" in texts(at, "caption")
    at.segmented_control[0].set_value("7d").run()
    assert not at.exception


def _profile_versions(db: Database, name: str) -> list[AgentProfileVersion]:
    with db.sessions() as s:
        return list(
            s.scalars(
                select(AgentProfileVersion)
                .join(AgentProfile)
                .where(AgentProfile.name == name)
                .order_by(AgentProfileVersion.version)
            )
        )


def test_profile_create_invalid_then_valid(app_env: str, database: Database) -> None:
    at = open_page("screens/profiles.py")
    at.text_input(key="pf_name").input("Bad Name!")
    at.text_input(key="pf_model").input("gpt-4o-mini")
    at.text_input(key="pf_daily_budget_usd").input("lots")
    button(at, "Create profile").click().run()
    errors = texts(at, "error")
    assert "Not saved" in errors and "name" in errors and "daily_budget_usd" in errors
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(AgentProfile)) == 0

    at.text_input(key="pf_name").input("swing_analyst")
    at.text_input(key="pf_daily_budget_usd").input("0.5")
    at.text_input(key="pf_daily_call_limit").input("40")
    button(at, "Create profile").click().run()
    assert not at.error
    assert "Saved swing_analyst as version 1." in texts(at, "success")
    (v1,) = _profile_versions(database, "swing_analyst")
    assert (v1.model, float(v1.daily_budget_usd or 0), v1.daily_call_limit, v1.created_by) == (
        "gpt-4o-mini",
        0.5,
        40,
        "dashboard",
    )
    assert len(at.dataframe[0].value) == 1


def test_profile_edit_preset_toggle_and_history(app_env: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    at = open_page("screens/profiles.py")
    table = at.dataframe[0].value
    assert list(table["name"]) == ["cheap_risk_manager", "cheap_tech_analyst", "power_macro_judge"]
    at.selectbox(key="pf_target").select("cheap_tech_analyst").run()
    assert at.text_input(key="pf_model").value == CHEAP_OPENAI
    presets = at.selectbox(key="pf_preset").options
    powerful = next(p for p in presets if p.startswith("powerful"))
    at.selectbox(key="pf_preset").select(powerful).run()
    assert at.text_input(key="pf_model").value == "anthropic/claude-sonnet-4"
    assert at.selectbox(key="pf_mode").value == "escalation_only"
    at.selectbox(key="pf_preset").select(next(p for p in presets if "OpenAI" in p)).run()
    at.number_input(key="pf_temperature").set_value(0.5)
    button(at, "Save new version").click().run()
    assert "as version 2" in texts(at, "success")
    versions = _profile_versions(database, "cheap_tech_analyst")
    assert [v.version for v in versions] == [1, 2] and versions[1].temperature == 0.5

    at.number_input(key="pf_temperature").set_value(5.0)
    button(at, "Save new version").click().run()
    assert "temperature" in texts(at, "error")
    assert len(_profile_versions(database, "cheap_tech_analyst")) == 2

    at.toggle(key="enable_cheap_risk_manager").set_value(False).run()
    versions = _profile_versions(database, "cheap_risk_manager")
    assert [v.enabled for v in versions] == [True, False]
    with database.sessions() as s:
        assert s.scalar(select(AgentProfile.enabled).where(AgentProfile.name == "cheap_risk_manager")) is False

    at.selectbox(key="history_profile").select("cheap_risk_manager").run()
    history = at.dataframe[1].value
    assert list(history["version"]) == [2, 1]
    audit = at.dataframe[2].value
    assert list(audit["who"]) == ["dashboard", "populate"]
    assert audit["change"][0] == "enabled: True → False" and audit["change"][1].startswith("created: provider=")


def test_guardrails_save_validate_kill_switch_and_audit(app_env: str, database: Database) -> None:
    from arena.engine.config.guardrails import load_config

    at = open_page("screens/guardrails.py")
    inputs = {n.label: n for n in at.number_input}
    inputs["Minimum confidence"].set_value(0.7)
    inputs["Powerful calls per day"].set_value(10)
    button(at, "Save").click().run()
    assert "Saved" in texts(at, "success")
    with database.sessions() as s:
        config = load_config(session=s)
    assert (config.min_confidence, config.max_power_calls_per_day) == (0.7, 10)

    inputs = {n.label: n for n in at.number_input}
    inputs["Minimum confidence"].set_value(1.5)
    button(at, "Save").click().run()
    assert "min_confidence" in texts(at, "error")
    with database.sessions() as s:
        assert load_config(session=s).min_confidence == 0.7

    button(at, "Kill switch: HALT now").click().run()
    with database.sessions() as s:
        assert load_config(session=s).trading_state == "HALTED"
    assert "HALTED" in texts(at, "markdown")
    audit = at.dataframe[-1].value
    assert audit["what"][0] == "guardrail: trading_state"  # newest first
    assert sorted(audit["what"]) == [
        "guardrail: max_power_calls_per_day",
        "guardrail: min_confidence",
        "guardrail: trading_state",
    ]
    row = audit[audit["what"] == "guardrail: trading_state"].iloc[0]
    assert (row["who"], row["change"]) == ("dashboard", "ACTIVE → HALTED")


def test_strategy_create_invalid_then_valid_and_switch(app_env: str, database: Database) -> None:
    from arena.storage.repositories.strategies import list_strategies

    at = open_page("screens/guardrails.py")
    form = {t.label: t for t in at.text_input}
    form["Name"].input("tech_daily")
    form["Universe (symbols, comma-separated)"].input("AAPL, MSFT")
    form["Cron (UTC, 5 fields)"].input("not a cron")
    button(at, "Create strategy").click().run()
    assert "invalid cron expression" in texts(at, "error")
    with database.sessions() as s:
        assert list_strategies(session=s) == []

    form = {t.label: t for t in at.text_input}
    form["Cron (UTC, 5 fields)"].input("0 15 * * mon-fri")
    button(at, "Create strategy").click().run()
    assert "Saved strategy tech_daily" in texts(at, "success")
    with database.sessions() as s:
        (strategy,) = list_strategies(session=s)
        assert (strategy.symbols, strategy.cron, strategy.enabled) == (["AAPL", "MSFT"], "0 15 * * mon-fri", False)

    at.toggle(key="strategy_on_tech_daily").set_value(True).run()
    with database.sessions() as s:
        assert list_strategies(session=s)[0].enabled is True
    audit = at.dataframe[-1].value
    last = audit[audit["what"] == "strategy: tech_daily"].iloc[0]
    assert last["change"] == "enabled: False → True"
