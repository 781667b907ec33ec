"""GET/POST /prompts on SQLite and PostgreSQL: a new version per POST (201), labels, refusals that save nothing."""

from __future__ import annotations

import pytest

from tests.faces.web.api.conftest import AUTH, CheckedClient

TEXT = "You are a patient trend follower on a US equities desk. Prefer HOLD when the trend is unclear."


def versions(client: CheckedClient, template_id: str) -> list[tuple[int, list[str]]]:
    items = client.get("/prompts", headers=AUTH).json()["items"]
    return [(i["version"], i["labels"]) for i in items if i["template_id"] == template_id]


def test_the_seeded_templates_are_listed(client: CheckedClient) -> None:
    items = client.get("/prompts", headers=AUTH).json()["items"]
    assert {(i["template_id"], i["version"], tuple(i["labels"])) for i in items} == {
        (t, 1, ("production",)) for t in ("bear", "bull", "judge", "risk_manager", "technical_analyst")
    }


def test_a_post_appends_a_version_and_moves_the_label(client: CheckedClient) -> None:
    body = {"template_id": "technical_analyst", "role": "technical_analyst", "role_text": TEXT, "label": "candidate"}
    saved = client.post("/prompts", json=body, headers=AUTH)
    assert saved.status_code == 201 and saved.json() == {
        "template_id": "technical_analyst",
        "version": 2,
        "label": "candidate",
    }
    again = client.post("/prompts", json=body | {"label": "production", "notes": "promoted"}, headers=AUTH)
    assert again.json()["version"] == 3
    assert versions(client, "technical_analyst") == [(1, []), (2, ["candidate"]), (3, ["production"])]
    new = client.post("/prompts", json={"template_id": "macro_view", "role": "judge", "role_text": TEXT}, headers=AUTH)
    assert new.status_code == 201 and new.json()["version"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"role_text": "short"}, "role_text"),
        ({"template_id": "Technical Analyst"}, "template_id"),
        ({"role": "oracle"}, "role"),
        ({"label": "PROD"}, "label"),
        ({"colour": "red"}, "colour"),
        ({"role": "judge"}, "role"),  # a template keeps its role
    ],
)
def test_bad_input_is_422_naming_the_field_and_saves_nothing(
    client: CheckedClient, change: dict[str, str], field: str
) -> None:
    body = {"template_id": "technical_analyst", "role": "technical_analyst", "role_text": TEXT} | change
    response = client.post("/prompts", json=body, headers=AUTH)
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"]
    assert versions(client, "technical_analyst") == [(1, ["production"])]


def test_prompts_need_the_token(client: CheckedClient) -> None:
    assert client.get("/prompts").status_code == 401
    assert client.post("/prompts", json={}).status_code == 401
