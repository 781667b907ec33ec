"""On an empty migrated database every page renders an empty state and the setup checklist, never sample rows."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from arena.faces.web.paths import APP_SCRIPT
from arena.faces.web.widgets.access import SESSION_KEY

PAGES = [
    ("screens/overview.py", "Overview"),
    ("screens/run_details.py", "Run Details"),
    ("screens/leaderboard.py", "Leaderboard"),
    ("screens/profiles.py", "Profiles"),
]


def _texts(at: AppTest) -> str:
    parts = [
        e.value
        for kind in ("title", "subheader", "info", "warning", "text", "markdown", "caption")
        for e in at.get(kind)
    ]
    return "\n".join(str(p) for p in parts)


@pytest.mark.parametrize(("page", "title"), PAGES, ids=[p[1] for p in PAGES])
def test_page_renders_empty_state_on_an_empty_database(app_env: str, page: str, title: str) -> None:
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
    at.session_state[SESSION_KEY] = True  # signed in (tests/test_sign_in.py covers the gate itself)
    at.run()
    at.switch_page(page)
    at.run()

    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert any(title in t.value for t in at.title), [t.value for t in at.title]

    assert at.info, "an empty page explains itself with an empty-state message"
    text = _texts(at)
    assert "Setup checklist" in text
    assert "Database reachable" in text
    assert "set OPENAI_API_KEY and/or OPENROUTER_API_KEY" in text  # no key configured, and the checklist says so

    for frame in at.dataframe:
        if "labels" in frame.value.columns:  # prompt versions: only the built-in templates the migration seeds
            assert set(frame.value["notes"]) == {"built-in"}, "only configuration, never trade data"
            continue
        assert len(frame.value) == 0, "an empty database must not show rows"
    for table in at.table:
        assert len(table.value) == 0, "an empty database must not show rows"


def test_unreachable_database_is_reported_not_raised(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://arena:hunter2@127.0.0.1:1/arena")
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    try:
        at = AppTest.from_file(str(APP_SCRIPT), default_timeout=30)
        at.session_state[SESSION_KEY] = True
        at.run()
    finally:
        st.cache_resource.clear()

    assert not at.exception
    errors = " ".join(e.value for e in at.error)
    assert "database unreachable" in errors
    assert "hunter2" not in errors
    assert "Setup checklist" in _texts(at)
