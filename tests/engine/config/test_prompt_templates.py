"""Prompt templates as data (issue 15), on SQLite and PostgreSQL: versions are appended, never edited; labels move;
a profile may point only at a stored version; a run asks with the stored text and records template and version."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.engine.config.profile_service import save_profile, validate_profile
from arena.engine.config.prompt_templates import diff_text, save_prompt, validate_prompt
from arena.kernel.errors import InvalidRequestError
from arena.storage.models import AgentDecision, PromptTemplateVersion, SettingsAudit
from arena.storage.read.prompts import prompt_views
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, add_profiles, make_settings, run_arena
from tests.support.llm_server import LLMServer, Reply

V2_TEXT = (
    "You are a patient trend follower on a US equities paper-trading desk. Trade only when SMA 10 is above "
    "SMA 30 and RSI 14 is below 70; otherwise answer HOLD."
)


def spec(text: str = V2_TEXT, **overrides: object) -> dict[str, object]:
    return {"template_id": "technical_analyst", "role": "technical_analyst", "role_text": text} | overrides


def versions(db: Database, template_id: str) -> list[tuple[int, list[str]]]:
    with db.sessions() as s:
        return [(v.version, v.labels) for v in prompt_views(session=s) if v.template_id == template_id]


def test_the_migration_seeds_the_built_in_templates_as_production(database: Database) -> None:
    with database.sessions() as s:
        views = prompt_views(session=s)
    assert {(v.template_id, v.version) for v in views} == {
        ("bear", 1),
        ("bull", 1),
        ("judge", 1),
        ("risk_manager", 1),
        ("technical_analyst", 1),
    }
    assert all(v.labels == ["production"] and v.created_by == "system" for v in views)


def test_an_edit_appends_a_version_and_labels_move(database: Database) -> None:
    assert save_prompt(sessions=database.sessions, spec=validate_prompt(spec(label="candidate")), actor="ops") == (
        "technical_analyst",
        2,
    )
    assert versions(database, "technical_analyst") == [(1, ["production"]), (2, ["candidate"])]
    third = validate_prompt(spec(V2_TEXT + " Size small.", label="production", notes="promoted"))
    save_prompt(sessions=database.sessions, spec=third, actor="ops")
    assert versions(database, "technical_analyst") == [(1, []), (2, ["candidate"]), (3, ["production"])]
    with database.sessions() as s:
        v1 = s.scalar(
            select(PromptTemplateVersion).where(
                PromptTemplateVersion.version == 1, PromptTemplateVersion.template_id == "technical_analyst"
            )
        )
        assert v1 is not None and "disciplined technical analyst" in v1.role_text  # never edited in place
        audited = [a.entity_key for a in s.scalars(select(SettingsAudit).where(SettingsAudit.actor == "ops"))]
    assert "technical_analyst@v2" in audited and "technical_analyst:production" in audited


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (spec("too short"), "role_text"),
        (spec(template_id="Bad Id"), "template_id"),
        (spec(role="astrologer"), "role"),
        (spec(label="Production!"), "label"),
        (spec(extra=1), "extra"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(database: Database, data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        save_prompt(sessions=database.sessions, spec=validate_prompt(data), actor="ops")
    assert caught.value.field == field
    assert versions(database, "technical_analyst") == [(1, ["production"])]


def test_a_template_keeps_its_role(database: Database) -> None:
    with pytest.raises(InvalidRequestError) as caught:
        save_prompt(sessions=database.sessions, spec=validate_prompt(spec(role="judge")), actor="ops")
    assert caught.value.field == "role" and "technical_analyst template" in str(caught.value)
    with database.sessions() as s:
        assert s.scalar(select(func.count()).select_from(PromptTemplateVersion)) == 5


def test_concurrent_saves_of_one_template_get_distinct_versions(database: Database) -> None:
    results: list[int] = []
    errors: list[Exception] = []

    def save(n: int) -> None:
        try:
            results.append(
                save_prompt(
                    sessions=database.sessions, spec=validate_prompt(spec(f"{V2_TEXT} Variant {n}.")), actor="ops"
                )[1]
            )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and sorted(results) == [2, 3, 4, 5]


def test_a_profile_may_point_only_at_a_stored_version(database: Database) -> None:
    data = {
        "name": "trend",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "role": "technical_analyst",
        "prompt_template_id": "technical_analyst",
        "prompt_version": 2,
        "api_base": "http://127.0.0.1:9/v1",  # never called: saving only
    }
    settings = make_settings()
    with pytest.raises(InvalidRequestError) as caught:
        save_profile(sessions=database.sessions, spec=validate_profile(data), actor="ops", settings=settings)
    assert caught.value.field == "prompt_template_id" and "technical_analyst@v2" in str(caught.value)
    save_prompt(sessions=database.sessions, spec=validate_prompt(spec()), actor="ops")
    result = save_profile(sessions=database.sessions, spec=validate_profile(data), actor="ops", settings=settings)
    assert result.version == 1


def test_a_run_asks_with_the_stored_version_and_records_it(database: Database) -> None:
    save_prompt(sessions=database.sessions, spec=validate_prompt(spec()), actor="ops")
    with LLMServer() as llm:
        llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8)))
        llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.8)))
        add_profiles(database, llm, cheap_tech_analyst={"prompt_version": 2})
        out = run_arena(database, make_settings())
        system = " ".join(m["content"] for m in llm.requests_for(CHEAP_A)[0].body["messages"])
        other = " ".join(m["content"] for m in llm.requests_for(CHEAP_B)[0].body["messages"])
    assert V2_TEXT in system and V2_TEXT not in other
    with database.sessions() as s:
        rows = {
            d.profile_name: (d.prompt_template_id, d.prompt_version)
            for d in s.scalars(select(AgentDecision).where(AgentDecision.run_id == out["run_id"]))
        }
    assert rows == {"cheap_tech_analyst": ("technical_analyst", 2), "cheap_risk_manager": ("risk_manager", 1)}


def test_the_diff_shows_the_changed_sentences() -> None:
    text = diff_text("Judge trend. Prefer HOLD.", "Judge trend. Prefer BUY.", old_name="t@v1", new_name="t@v2")
    assert "-Prefer HOLD." in text and "+Prefer BUY." in text and " Judge trend." in text
