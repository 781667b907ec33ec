"""Render the setup checklist (shown whenever there is nothing real to show yet)."""

from __future__ import annotations

import streamlit as st

from arena.setup_checklist import build_checklist
from storage.queries import SetupFacts
from ui.context import database, settings


def current_facts() -> SetupFacts | None:
    from storage.queries import setup_facts

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
