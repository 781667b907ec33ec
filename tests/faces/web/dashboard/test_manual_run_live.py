"""Manual Run, agent by agent: the `st.status` box while a run waits and once it recorded its answers, the cancel
of a queued run, and the setup checklist drawn with icons and code, never emoji or literal backticks."""

from __future__ import annotations

from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.storage.models import AgentDecision, ArenaRun, RunRequest
from tests.engine.harness import add_profiles
from tests.faces.web.dashboard.conftest import Shared, button, open_page, query_param, texts
from tests.support.llm_server import LLMServer


def test_a_queued_run_lists_its_waiting_agents_and_a_cancel_abandons_it(
    configured: str, database: Database, llm: LLMServer
) -> None:
    add_profiles(database, llm)
    at = open_page("screens/manual_run.py")
    at.text_input[0].input("AAPL")
    at.multiselect[0].select("cheap_tech_analyst").select("power_macro_judge")
    button(at, "Queue run").click().run()
    run_id = query_param(at, "run")

    box = at.status[0]
    assert box.state == "running" and box.label.startswith("Waiting for the worker — queued"), box.label
    lines = texts(at, "markdown")
    assert "**cheap_tech_analyst** · cheap round · **waiting**" in lines, lines
    assert "**power_macro_judge** · escalation · **waiting**" in lines, lines
    assert "cheap_risk_manager" not in lines  # not asked by this run
    assert "asked only if needed" in texts(at, "caption")

    button(at, "Cancel run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    with database.sessions() as s:
        run = s.get(ArenaRun, run_id)
        state = s.scalar(select(RunRequest.state).where(RunRequest.run_id == run_id))
    assert run is not None and (run.status, run.error, state) == (
        "abandoned",
        "cancelled by dashboard before it started",
        "done",
    )
    assert "Run abandoned: cancelled by dashboard before it started" in texts(at, "error")
    assert not [b for b in at.button if b.label == "Cancel run"]  # nothing left to cancel
    assert at.status[0].state == "error"


def test_a_recorded_run_shows_each_answers_check(read_only: Shared) -> None:
    repaired = read_only.runs[4]  # populate's scenario with an answer repaired by the cheap model
    at = open_page("screens/manual_run.py", query={"run": repaired["run_id"]})
    with read_only.db.sessions() as s:
        decisions = list(s.scalars(select(AgentDecision).where(AgentDecision.run_id == repaired["run_id"])))
    box = at.status[0]
    assert box.state == "complete" and box.label.startswith("Run completed after"), box.label
    assert f"{len(decisions)} answer(s)" in box.label
    lines = [line for line in texts(at, "markdown").splitlines() if " · " in line]
    for d in decisions:
        assert any(f"**{d.profile_name}**" in line and f"**{d.status}**" in line for line in lines), (d, lines)
    assert {d.status for d in decisions} >= {"repaired"}
    assert not [b for b in at.button if b.label == "Cancel run"]  # a finished run has no cancel


def test_the_setup_checklist_uses_icons_and_renders_its_commands_as_code(app_env: str, database: Database) -> None:
    at = open_page("screens/manual_run.py")  # no profile yet: the page shows the checklist
    assert "Setup checklist" in texts(at, "subheader")
    markdown = [str(e.value) for e in at.markdown]
    items = [m for m in markdown if ":material/" in m]
    assert len(items) >= 5, markdown  # database, provider key, broker, profiles, worker
    assert any(":material/check_circle:" in m and "Database reachable" in m for m in items)
    assert any(":material/radio_button_unchecked:" in m and "Agent profiles" in m for m in items)
    assert any("`python -m arena profiles init`" in m for m in items)  # Markdown code, drawn as code
    everything = "\n".join(markdown + [str(e.value) for e in at.text])
    assert "✅" not in everything and "⬜" not in everything
    assert not [e.value for e in at.text if "`" in str(e.value)]  # no backticks shown literally as text
