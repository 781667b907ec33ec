"""The dashboard script's side of the sign-in: nothing renders without a signed-in session (the cookie)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from arena.faces.web.paths import APP_SCRIPT
from arena.faces.web.session_cookie import SIGNIN_PATH, SIGNOUT_PATH
from arena.faces.web.widgets.access import SESSION_KEY

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


def test_a_session_without_a_valid_cookie_is_sent_to_the_sign_in_form(app_env: None) -> None:
    """The form and the links are handled before Streamlit (tests/faces/web/test_signin_served.py); the script
    itself only says where to sign in."""
    at = app().run()
    assert any("not signed in" in w.value for w in at.warning)
    assert any(SIGNIN_PATH in m.value for m in at.markdown)
    assert not at.text_input and not shows_dashboard(at)


def test_a_signed_in_session_sees_the_dashboard_and_a_sign_out_link(app_env: None) -> None:
    at = app()
    at.session_state[SESSION_KEY] = True
    at.run()
    assert shows_dashboard(at)
    assert any(SIGNOUT_PATH in m.value for m in at.sidebar.markdown)


def test_no_configured_token_locks_the_dashboard(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.delenv("ARENA_ADMIN_TOKEN", raising=False)
    monkeypatch.chdir(ROOT / "tests")  # no .env here
    st.cache_resource.clear()
    at = app().run()
    assert any("locked" in e.value for e in at.error)
    assert not at.text_input and not shows_dashboard(at)
