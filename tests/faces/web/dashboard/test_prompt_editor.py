"""The prompt editor on the Profiles page (AppTest, both databases): an edit saves version 2 with its label and a
diff, a profile switched to it records `prompt_version: 2` on its next decision, and Run Details shows the
messages that model saw."""

from __future__ import annotations

from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.storage.models import AgentDecision, AgentProfile, AgentProfileVersion
from arena.storage.read.prompts import prompt_views
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, add_profiles, make_settings, run_arena
from tests.faces.web.dashboard.conftest import button, open_page, texts
from tests.support.llm_server import LLMServer, Reply

V2 = (
    "You are a patient trend follower on a US equities paper-trading desk. Trade only when SMA 10 is above SMA 30; "
    "otherwise answer HOLD."
)


def test_edit_a_template_point_a_profile_at_it_and_see_its_messages(
    app_env: str, database: Database, llm: LLMServer
) -> None:
    add_profiles(database, llm)
    at = open_page("screens/profiles.py")
    at.selectbox(key="pt_template").select("technical_analyst").run()
    assert "disciplined technical analyst" in at.text_area(key="pt_text").value  # the latest version, to edit

    at.text_area(key="pt_text").input("too short")
    button(at, "Save as new version").click().run()
    assert "Not saved" in texts(at, "error") and "role_text" in texts(at, "error")

    at.text_area(key="pt_text").input(V2)
    at.selectbox(key="pt_label").select("candidate")
    at.text_input(key="pt_notes").input("fewer trades")
    button(at, "Save as new version").click().run()
    assert "Saved technical_analyst as version 2." in texts(at, "success")
    with database.sessions() as s:
        stored = {(v.template_id, v.version): v for v in prompt_views(session=s)}
    assert stored[("technical_analyst", 2)].labels == ["candidate"]
    assert stored[("technical_analyst", 2)].created_by == "dashboard"
    diff = "\n".join(str(c.value) for c in at.code)
    assert "+You are a patient trend follower" in diff and "-You are a disciplined technical analyst" in diff

    at.selectbox(key="pf_target").select("cheap_tech_analyst").run()
    assert "technical_analyst@v2" in at.selectbox(key="pf_template").options
    at.selectbox(key="pf_template").select("technical_analyst@v2")
    button(at, "Save new version").click().run()
    assert "Saved cheap_tech_analyst as version 2." in texts(at, "success")
    with database.sessions() as s:
        current = s.scalar(
            select(AgentProfileVersion)
            .join(AgentProfile, AgentProfile.id == AgentProfileVersion.profile_id)
            .where(AgentProfile.name == "cheap_tech_analyst")
            .order_by(AgentProfileVersion.version.desc())
        )
    assert current is not None and current.prompt_version == 2

    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.8)))
    out = run_arena(database, make_settings())
    with database.sessions() as s:
        analyst = s.scalar(
            select(AgentDecision).where(
                AgentDecision.run_id == out["run_id"], AgentDecision.profile_name == "cheap_tech_analyst"
            )
        )
    assert analyst is not None and (analyst.prompt_template_id, analyst.prompt_version) == ("technical_analyst", 2)

    details = open_page("screens/run_details.py", query={"run": out["run_id"]})
    shown = "\n".join(str(c.value) for c in details.code)
    assert V2 in shown  # the messages the model saw, system and user, with the market data
    assert "AAPL" in shown
    assert any("technical_analyst@v2" in str(e.label) for e in details.expander)
