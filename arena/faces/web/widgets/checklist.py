"""Render the setup checklist (shown whenever there is nothing real to show yet)."""

from __future__ import annotations

import streamlit as st

from arena.engine.config.setup_checklist import build_checklist
from arena.faces.web.widgets.context import database, settings
from arena.storage.read.setup_facts import SetupFacts


def current_facts() -> SetupFacts | None:
    from arena.storage.read.setup_facts import setup_facts

    db = database()
    if db is None:
        return None
    with db.sessions() as session:
        return setup_facts(session=session)


def render_checklist(facts: SetupFacts | None) -> None:
    st.subheader("Setup checklist")
    for item in build_checklist(settings(), facts):
        mark = "✅" if item.ok else "⬜"
        st.text(f"{mark} {item.label} — {item.hint}")
