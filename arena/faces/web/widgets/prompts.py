"""Prompt templates on the Profiles page: every stored version with its labels, a new version from an edit, and the
diff against the version before. Saving goes through arena.engine.config.prompt_templates (validate → append a
version → move the label → audit); a version is never edited in place."""

from __future__ import annotations

import streamlit as st

from arena.bootstrap.database import Database
from arena.engine.config.prompt_templates import diff_text, save_prompt, validate_prompt
from arena.faces.web.widgets.flash import flash_and_rerun
from arena.faces.web.widgets.format import md_escape
from arena.kernel.errors import InvalidRequestError
from arena.kernel.kinds import Role
from arena.storage.read.prompts import PromptVersionView, prompt_views

P = "pt_"  # session-state prefix of the prompt editor
NEW_TEMPLATE = "+ New template"
NO_LABEL = "(no label)"
LABELS = (NO_LABEL, "candidate", "production")


def load_prompts(db: Database) -> list[PromptVersionView]:
    with db.sessions() as session:
        return prompt_views(session=session)


def template_choices(prompts: list[PromptVersionView]) -> list[str]:
    """`template@vN` for every stored version (what a profile can point at)."""
    return [f"{p.template_id}@v{p.version}" for p in prompts]


def _latest(prompts: list[PromptVersionView]) -> dict[str, PromptVersionView]:
    latest: dict[str, PromptVersionView] = {}
    for p in prompts:  # ordered by template, then version
        latest[p.template_id] = p
    return latest


def _load_editor(latest: dict[str, PromptVersionView]) -> None:
    chosen = st.session_state[P + "template"]
    current = latest.get(chosen)
    st.session_state[P + "text"] = current.role_text if current else ""
    st.session_state[P + "role"] = current.role if current else Role.TECHNICAL_ANALYST
    st.session_state[P + "notes"] = ""
    st.session_state.pop(P + "shown", None)


def render_prompts(db: Database, prompts: list[PromptVersionView], actor: str) -> None:
    latest = _latest(prompts)
    names = sorted(latest)
    linked = st.query_params.get("template")  # Run Details links here with ?template=<id>
    if linked in latest and st.session_state.get(P + "linked") != linked:
        st.session_state[P + "linked"] = linked
        st.session_state[P + "template"] = linked
        _load_editor(latest)
    chosen = st.selectbox(
        "Template", [*names, NEW_TEMPLATE], key=P + "template", on_change=_load_editor, args=(latest,)
    )
    if P + "text" not in st.session_state:
        _load_editor(latest)
    versions = [p for p in prompts if p.template_id == chosen]
    if versions:
        st.dataframe(
            [
                {
                    "version": p.version,
                    "labels": ", ".join(p.labels) or "",
                    "role": p.role,
                    "by": p.created_by,
                    "at": p.created_at,
                    "notes": p.notes or "",
                }
                for p in reversed(versions)
            ],
            hide_index=True,
        )
        shown = st.selectbox(
            "Show version", [p.version for p in reversed(versions)], key=P + "shown", format_func=lambda v: f"v{v}"
        )
        current = next(p for p in versions if p.version == shown)
        before = next((p for p in versions if p.version == shown - 1), None)
        st.text(current.role_text)
        if before is not None:
            st.caption(f"Changes from v{before.version} to v{current.version}")
            st.code(
                diff_text(
                    before.role_text,
                    current.role_text,
                    old_name=f"{chosen}@v{before.version}",
                    new_name=f"{chosen}@v{current.version}",
                )
                or "(same text)",
                language="diff",
            )
    with st.form("prompt_form"):
        if chosen == NEW_TEMPLATE:
            a, b = st.columns(2)
            a.text_input("Template id", key=P + "new_id", help="2-64 lower-case letters, digits or _")
            b.selectbox("Role", list(Role), key=P + "role")
        st.text_area("Role text", key=P + "text", height=180, help="what the role is asked to do")
        a, b = st.columns(2)
        a.text_input("Why this version (notes)", key=P + "notes")
        b.selectbox("Label the new version", LABELS, key=P + "label")
        submitted = st.form_submit_button("Save as new version", type="primary")
    if submitted:
        _save(db, chosen, latest, actor)


def _save(db: Database, chosen: str, latest: dict[str, PromptVersionView], actor: str) -> None:
    s = st.session_state
    new = chosen == NEW_TEMPLATE
    template_id = str(s.get(P + "new_id", "")).strip() if new else chosen
    role = s[P + "role"] if new else latest[chosen].role
    if not new and str(s[P + "text"]).strip() == latest[chosen].role_text:
        st.info("No change: the text is the latest version's; edit it to save a new version.")
        return
    data = {
        "template_id": template_id,
        "role": role,
        "role_text": s[P + "text"],
        "notes": str(s[P + "notes"]).strip() or None,
        "label": None if s[P + "label"] == NO_LABEL else s[P + "label"],
    }
    try:
        _, version = save_prompt(sessions=db.sessions, spec=validate_prompt(data), actor=actor)
    except InvalidRequestError as exc:
        st.error(f"Not saved: {md_escape(exc)}")
        return
    s.pop(P + "text", None)  # reload the editor from the new latest version, and show it with its diff
    s.pop(P + "shown", None)
    flash_and_rerun("success", f"Saved {md_escape(template_id)} as version {version}.")
