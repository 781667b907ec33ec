"""The Evaluation page through AppTest (app.py frame → page) on runs the real engine recorded, both backends: the
scenarios table and the frontier chart, a bad value refused, and a scenario applied to the guardrails (audited)."""

from __future__ import annotations

from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import load_config
from arena.storage.models import SettingsAudit
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, add_profiles, make_settings, run_arena
from tests.faces.web.dashboard.conftest import button, open_page, texts
from tests.support.llm_server import LLMServer, Reply

PAGE = "screens/evaluation.py"


def test_evaluation_page_table_chart_and_apply(app_env: str, database: Database, llm: LLMServer) -> None:
    add_profiles(database, llm)
    for a, b in ((0.8, 0.75), (0.66, 0.64)):
        llm.on(CHEAP_A, Reply(content=decision_json("BUY", a), cost=0.001))
        llm.on(CHEAP_B, Reply(content=decision_json("BUY", b), cost=0.001))
        run_arena(database, make_settings())

    at = open_page(PAGE)
    assert not at.error, [e.value for e in at.error]
    assert "2 runs re-decided" in texts(at, "caption")
    table = at.dataframe[0].value
    assert list(table["scenario"]) == [
        "actual (what happened)",
        "min_confidence=0.55",
        "no change (current settings)",
        "min_confidence=0.7",
    ]
    by_name = table.set_index("scenario")
    assert by_name.loc["no change (current settings)", "decisions changed"] == 0
    assert by_name.loc["min_confidence=0.7", "unknown"] == 1  # the 0.65 run would need an unrecorded power answer
    assert len(at.get("plotly_chart")) == 1

    [box] = [t for t in at.text_input if t.label == "min confidence"]
    box.set_value("0.62,7").run()
    assert "min_confidence=0.62,7" in texts(at, "error")

    box.set_value("0.62,0.7").run()
    at.selectbox(key="ev_pick").set_value(0).run()  # the only other scenario: min_confidence=0.7
    button(at, "Apply to guardrails").click().run()
    assert "Saved min_confidence" in texts(at, "success")
    with database.sessions() as s:
        assert load_config(session=s).min_confidence == 0.7
        audit = s.scalars(select(SettingsAudit).where(SettingsAudit.entity_key == "min_confidence")).all()
    assert [(r.actor, r.before, r.after) for r in audit] == [("dashboard", 0.62, 0.7)]
