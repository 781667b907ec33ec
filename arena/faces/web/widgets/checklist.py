"""Render the setup checklist (shown whenever there is nothing real to show yet).

Material icons, not emoji: ✅/⬜ render as empty boxes where no emoji font is installed. Hints are drawn as
Markdown so a command in backticks shows as code, not as literal backticks; every hint is Arena's own text
(settings names, counts), never model output.
"""

from __future__ import annotations

import streamlit as st

from arena.engine.config.setup_checklist import ChecklistItem, build_checklist
from arena.faces.web.widgets.context import database, settings
from arena.storage.read.setup_facts import SetupFacts

DONE_ICON = ":green[:material/check_circle:]"
TODO_ICON = ":orange[:material/radio_button_unchecked:]"


def current_facts() -> SetupFacts | None:
    from arena.storage.read.setup_facts import setup_facts

    db = database()
    if db is None:
        return None
    with db.sessions() as session:
        return setup_facts(session=session)


def checklist_line(item: ChecklistItem) -> str:
    """One item as a Markdown line: icon, bold label, then the hint (its `code` spans render as code)."""
    icon = DONE_ICON if item.ok else TODO_ICON
    state = "done" if item.ok else "to do"
    return f"{icon} **{item.label}** ({state}) — {item.hint}"


def render_checklist(facts: SetupFacts | None) -> None:
    st.subheader("Setup checklist")
    for item in build_checklist(settings(), facts):
        st.markdown(checklist_line(item))
