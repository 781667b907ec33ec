"""Profiles widgets: the current profiles with today's usage, enable/disable, the create/edit form, history.

Every save goes through arena.engine.config.profile_service (validate → new version → audit); invalid input saves
nothing. Profiles are read as `ProfileView`s (arena/storage/read/profiles.py), the same rows `GET /profiles` shows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import streamlit as st

from arena.bootstrap.database import Database
from arena.engine.config.profile_service import save_profile, validate_profile
from arena.engine.config.profiles import ROLES
from arena.engine.config.settings import Settings
from arena.engine.tools.catalog import ToolName
from arena.faces.web.widgets.context import settings as app_settings
from arena.faces.web.widgets.flash import flash_and_rerun
from arena.faces.web.widgets.format import change, md_escape, table
from arena.kernel.errors import InvalidRequestError
from arena.kernel.kinds import OutputMode, ProfileMode, Provider, Role, ToolPolicy
from arena.storage.read.dashboard import ProfileUsage, audit_log, day_start, profile_usage
from arena.storage.read.profiles import ProfileView, profile_versions, profile_views
from arena.storage.repositories.profiles import VERSIONED_FIELDS

NO_USAGE = ProfileUsage()  # a profile without calls in the period
NEW = "+ New profile"
CUSTOM = "custom"
K = "pf_"  # session-state prefix of the form's widgets
AUTO = "auto (capability table)"
DEFAULTS: dict[str, Any] = {
    "name": "",
    "provider": Provider.OPENAI,
    "api_base": "",
    "model": "",
    "role": Role.TECHNICAL_ANALYST,
    "template": "technical_analyst@v1",
    "max_tokens": 800,
    "temperature": 0.2,
    "tool_policy": ToolPolicy.NONE,
    "tools_allowed": [],
    "tool_max_rounds": 3,
    "tool_max_seconds": 20.0,
    "mode": ProfileMode.CHEAP_FIRST,
    "enabled": True,
    "daily_budget_usd": "",
    "daily_call_limit": "",
    "timeout_s": 30.0,
    "output_mode": AUTO,
}


def load_profiles(db: Database) -> list[ProfileView]:
    """The current version of every profile, by name."""
    with db.sessions() as session:
        return profile_views(session=session)


def _share(used: float, limit: float | None) -> float | None:
    """How much of a daily limit is used (0…1, capped), or None when there is no limit."""
    if limit is None:
        return None
    return min(used / limit, 1.0) if limit > 0 else 1.0


def render_table(db: Database, profiles: list[ProfileView]) -> None:
    """The profiles with today's spend and calls (all versions) against their daily limits, usage first."""
    with db.sessions() as session:
        usage = profile_usage(session=session, since=day_start(datetime.now(UTC)))
    rows = []
    for p in profiles:
        used = usage.get(p.name, NO_USAGE)
        rows.append(
            {
                "enabled": p.enabled,
                "name": p.name,
                "budget used": _share(used.cost_usd, p.daily_budget_usd),
                "spent today": used.cost_usd,
                "daily budget": p.daily_budget_usd,
                "calls used": _share(used.calls, p.daily_call_limit),
                "calls today": used.calls,
                "daily call limit": p.daily_call_limit,
                "version": p.version,
                "mode": str(p.mode),
                "provider": str(p.provider),
                "model": p.model,
                "role": p.role,
                "template": f"{p.prompt_template_id}@v{p.prompt_version}",
                "max tokens": p.max_tokens,
                "temperature": p.temperature,
                "timeout (s)": p.timeout_s,
            }
        )
    st.dataframe(
        rows,
        hide_index=True,
        column_config={
            "enabled": st.column_config.CheckboxColumn("Enabled"),
            "name": st.column_config.TextColumn("Name", pinned=True),
            "budget used": st.column_config.ProgressColumn(
                "Budget used today", format="percent", min_value=0, max_value=1, help="empty = no daily budget"
            ),
            "spent today": st.column_config.NumberColumn("Spent today", format="$%.4f"),
            "daily budget": st.column_config.NumberColumn("Daily budget", format="$%.2f", help="empty = no budget"),
            "calls used": st.column_config.ProgressColumn(
                "Calls used today", format="percent", min_value=0, max_value=1, help="empty = no daily call limit"
            ),
            "calls today": st.column_config.NumberColumn("Calls today"),
            "daily call limit": st.column_config.NumberColumn("Daily call limit", help="empty = no limit"),
            "version": st.column_config.NumberColumn("Version"),
            "mode": st.column_config.TextColumn("Mode"),
            "provider": st.column_config.TextColumn("Provider"),
            "model": st.column_config.TextColumn("Model"),
            "role": st.column_config.TextColumn("Role"),
            "template": st.column_config.TextColumn("Prompt template"),
            "max tokens": st.column_config.NumberColumn("Max tokens"),
            "temperature": st.column_config.NumberColumn("Temperature"),
            "timeout (s)": st.column_config.NumberColumn("Timeout (s)"),
        },
    )


def spec_dict(p: ProfileView, **changes: Any) -> dict[str, Any]:
    return {"name": p.name} | {f: getattr(p, f) for f in VERSIONED_FIELDS} | changes


def render_toggles(db: Database, profiles: list[ProfileView], actor: str) -> None:
    st.caption("Enable or disable an agent (saved at once as a new version, audited).")
    cols = st.columns(min(4, max(1, len(profiles))))
    for i, p in enumerate(profiles):
        key = f"enable_{p.name}"
        st.session_state[key] = p.enabled  # always show what is stored, not a stale click
        cols[i % len(cols)].toggle(p.name, key=key, on_change=_toggle, args=(db, p, key, actor))


def _toggle(db: Database, p: ProfileView, key: str, actor: str) -> None:
    wanted = bool(st.session_state[key])
    try:
        result = save_profile(
            sessions=db.sessions,
            spec=validate_profile(spec_dict(p, enabled=wanted)),
            actor=actor,
            settings=app_settings(),
        )
    except InvalidRequestError as exc:
        st.error(f"Not saved: {md_escape(exc)}")
        return
    st.toast(f"{p.name} {'enabled' if wanted else 'disabled'} (version {result.version})")


def presets(settings: Settings) -> dict[str, dict[str, Any]]:
    """Model router presets from settings (ARENA_CHEAP_*/ARENA_POWER_* model ids)."""
    return {
        f"cheap · OpenAI · {settings.cheap_openai_model}": {
            "provider": Provider.OPENAI,
            "model": settings.cheap_openai_model,
            "mode": ProfileMode.CHEAP_FIRST,
        },
        f"cheap · OpenRouter · {settings.cheap_openrouter_model}": {
            "provider": Provider.OPENROUTER,
            "model": settings.cheap_openrouter_model,
            "mode": ProfileMode.CHEAP_FIRST,
        },
        f"powerful · OpenRouter · {settings.power_openrouter_model}": {
            "provider": Provider.OPENROUTER,
            "model": settings.power_openrouter_model,
            "mode": ProfileMode.ESCALATION_ONLY,
            "role": Role.JUDGE,
            "template": "judge@v1",
            "max_tokens": 1200,
        },
    }


def _load_into_form(values: dict[str, Any]) -> None:
    for key, value in values.items():
        st.session_state[K + key] = value


def _pick_profile(profiles: dict[str, ProfileView]) -> None:
    chosen = st.session_state[K + "target"]
    if chosen == NEW:
        _load_into_form(DEFAULTS)
        return
    p = profiles[chosen]
    _load_into_form(
        {
            **{
                k: getattr(p, k)
                for k in ("name", "provider", "model", "role", "max_tokens", "tool_policy", "mode", "enabled")
            },
            "api_base": p.api_base or "",
            "template": f"{p.prompt_template_id}@v{p.prompt_version}",
            "temperature": p.temperature,
            "timeout_s": p.timeout_s,
            "daily_budget_usd": "" if p.daily_budget_usd is None else f"{p.daily_budget_usd:g}",
            "daily_call_limit": "" if p.daily_call_limit is None else str(p.daily_call_limit),
            "output_mode": p.output_mode or AUTO,
            "tools_allowed": list(p.tools_allowed or []),
            "tool_max_rounds": p.tool_max_rounds,
            "tool_max_seconds": p.tool_max_seconds,
        }
    )


def _apply_preset(table: dict[str, dict[str, Any]]) -> None:
    name = st.session_state[K + "preset"]
    if name != CUSTOM:
        _load_into_form(table[name])


def render_form(
    db: Database, settings: Settings, profiles: list[ProfileView], actor: str, templates: list[str]
) -> None:
    """The create/edit form; `templates` are the stored prompt versions (`template@vN`) a profile can point at."""
    by_name = {p.name: p for p in profiles}
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(K + key, value)
    table = presets(settings)
    left, right = st.columns(2)
    target = left.selectbox(
        "Create or edit", [NEW, *by_name], key=K + "target", on_change=_pick_profile, args=(by_name,)
    )
    right.selectbox(
        "Model preset",
        [CUSTOM, *table],
        key=K + "preset",
        on_change=_apply_preset,
        args=(table,),
        help="Fills provider, model and mode from ARENA_CHEAP_*/ARENA_POWER_* settings",
    )
    editing = target != NEW
    with st.form("profile_form"):
        a, b, c = st.columns(3)
        a.text_input("Name", key=K + "name", disabled=editing, help="2-64 lower-case letters, digits or _")
        b.selectbox("Provider", list(Provider), key=K + "provider")
        c.text_input("Model id", key=K + "model")
        a.selectbox("Role", list(ROLES), key=K + "role")
        if st.session_state[K + "template"] not in templates:
            templates = [st.session_state[K + "template"], *templates]  # shown as stored, refused at save
        b.selectbox("Prompt template", templates, key=K + "template", help="any stored version (see below)")
        c.selectbox("Mode", list(ProfileMode), key=K + "mode")
        a.number_input("Max tokens", step=100, key=K + "max_tokens")
        b.number_input("Temperature", step=0.1, key=K + "temperature")
        c.number_input("Timeout (s)", step=5.0, key=K + "timeout_s")
        a.text_input("Daily budget (USD)", key=K + "daily_budget_usd", help="blank = no budget")
        b.text_input("Daily call limit", key=K + "daily_call_limit", help="blank = no limit")
        c.selectbox("Tool policy", list(ToolPolicy), key=K + "tool_policy", help="read_only: may call the tools below")
        a.multiselect("Allowed tools", list(ToolName), key=K + "tools_allowed", help="none selected = every tool")
        b.number_input("Tool rounds (max)", min_value=0, max_value=8, step=1, key=K + "tool_max_rounds")
        c.number_input("Tool time (s, max)", min_value=1.0, max_value=120.0, step=5.0, key=K + "tool_max_seconds")
        a.selectbox(
            "Output mode",
            [AUTO, *OutputMode],
            key=K + "output_mode",
            help="json_schema: the provider enforces the schema; json_object: JSON mode; prompt: plain text, "
            "the JSON object is extracted. Auto follows the capability table; a rejected mode steps down by itself.",
        )
        st.text_input("API base URL (optional)", key=K + "api_base", help="an OpenAI-compatible endpoint")
        st.checkbox("Enabled", key=K + "enabled")
        submitted = st.form_submit_button("Save new version" if editing else "Create profile", type="primary")
    if submitted:
        _save(db, by_name, editing, actor)


def _blank_none(value: str) -> str | None:
    return value.strip() or None


def _save(db: Database, existing: dict[str, ProfileView], editing: bool, actor: str) -> None:
    s = st.session_state
    template_id, _, version = str(s[K + "template"]).partition("@v")
    data = {
        "name": str(s[K + "name"]).strip(),
        "provider": s[K + "provider"],
        "api_base": _blank_none(s[K + "api_base"]),
        "model": str(s[K + "model"]).strip(),
        "role": s[K + "role"],
        "prompt_template_id": template_id,
        "prompt_version": int(version),
        "max_tokens": s[K + "max_tokens"],
        "temperature": s[K + "temperature"],
        "tool_policy": s[K + "tool_policy"],
        "tools_allowed": list(s[K + "tools_allowed"]) or None,
        "tool_max_rounds": s[K + "tool_max_rounds"],
        "tool_max_seconds": s[K + "tool_max_seconds"],
        "mode": s[K + "mode"],
        "enabled": s[K + "enabled"],
        "daily_budget_usd": _blank_none(s[K + "daily_budget_usd"]),
        "daily_call_limit": _blank_none(s[K + "daily_call_limit"]),
        "timeout_s": s[K + "timeout_s"],
        "output_mode": None if s[K + "output_mode"] == AUTO else s[K + "output_mode"],
    }
    if not editing and data["name"] in existing:
        st.error(
            f"Not saved: a profile named {md_escape(data['name'])} already exists — pick it under “Create or edit”."
        )
        return
    try:
        spec = validate_profile(data)
    except InvalidRequestError as exc:
        lines = "\n".join(f"- {md_escape(line)}" for line in str(exc).split("; "))
        st.error(f"Not saved — fix these fields:\n\n{lines}")
        return
    try:
        result = save_profile(sessions=db.sessions, spec=spec, actor=actor, settings=app_settings())
    except InvalidRequestError as exc:
        st.error(f"Not saved: {md_escape(exc)}")
        return
    if result.changed:
        flash_and_rerun("success", f"Saved {md_escape(spec.name)} as version {result.version}.")
    flash_and_rerun("info", f"No change: {md_escape(spec.name)} stays at version {result.version}.")


def render_history(db: Database, name: str) -> None:
    with db.sessions() as session:
        versions = profile_versions(session=session, name=name)
        changes = audit_log(session=session, entities=["profile"], key=name, limit=50)
    st.dataframe(table(versions), hide_index=True)
    st.caption("Audit trail (who, when, before → after)")
    st.dataframe(
        [{"when": c.at, "who": c.actor, "change": change(c.before, c.after)} for c in changes],
        hide_index=True,
    )
