"""The dashboard's sign-in gate: nothing renders without the admin token or a valid signed AdminHub link."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from arena.engine.access import mint_token
from arena.faces.web.paths import APP_SCRIPT

ROOT = Path(__file__).resolve().parents[4]
TOKEN = "dashboard-admin-token-for-tests-123"


@pytest.fixture
def app_env(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ARENA_ADMIN_TOKEN", TOKEN)
    st.cache_resource.clear()
    yield
    st.cache_resource.clear()


def app() -> AppTest:
    return AppTest.from_file(str(APP_SCRIPT), default_timeout=30)


def shows_dashboard(at: AppTest) -> bool:
    return any("Overview" in t.value for t in at.title)


def test_without_sign_in_only_the_form_is_shown(app_env: None) -> None:
    at = app().run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Arena — sign in"]
    assert not shows_dashboard(at) and not at.dataframe and not at.metric
    assert "Setup checklist" not in " ".join(s.value for s in at.subheader)


def test_wrong_token_is_refused_and_the_right_one_lets_in(app_env: None) -> None:
    at = app().run()
    at.text_input[0].input("guess")
    at.button[0].click().run()
    assert "That is not the admin token." in [e.value for e in at.error]
    assert not shows_dashboard(at)
    at.text_input[0].input(TOKEN)
    at.button[0].click().run()
    assert shows_dashboard(at), [t.value for t in at.title]


def test_a_signed_adminhub_link_signs_in_and_leaves_the_url(app_env: None) -> None:
    at = app()
    at.query_params["auth"] = mint_token(TOKEN)
    at.run()
    assert shows_dashboard(at)
    assert "auth" not in at.query_params


@pytest.mark.parametrize("link", [mint_token("some-other-secret"), mint_token(TOKEN, now=1_000_000), "v1.garbage"])
def test_forged_or_expired_links_do_not(app_env: None, link: str) -> None:
    at = app()
    at.query_params["auth"] = link
    at.run()
    assert not shows_dashboard(at)
    assert any("expired or is not valid" in w.value for w in at.warning)


def test_no_configured_token_locks_the_dashboard(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.delenv("ARENA_ADMIN_TOKEN", raising=False)
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    st.cache_resource.clear()
    at = app().run()
    assert any("locked" in e.value for e in at.error)
    assert not at.text_input and not shows_dashboard(at)
