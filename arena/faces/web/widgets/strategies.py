"""Strategy widgets: the list with on/off switches, and the create/edit form (validated by StrategySpec, stored
and audited by storage.repositories.strategies; the worker picks schedules up from the table)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import ValidationError

from arena.bootstrap.database import Database
from arena.engine.config.profile_service import field_errors
from arena.engine.config.strategies import StrategySpec
from arena.faces.web.widgets.flash import flash_and_rerun
from arena.faces.web.widgets.format import DASH, md_escape
from arena.kernel.kinds import RunMode, ScheduleKind
from arena.storage.repositories.strategies import FIELDS, list_strategies, upsert_strategy

NEW = "+ New strategy"


def load(db: Database) -> list[dict[str, Any]]:
    with db.sessions() as session:
        return [
            {"name": s.name, "id": s.id, "updated_at": s.updated_at} | {f: getattr(s, f) for f in FIELDS}
            for s in list_strategies(session=session)
        ]


def schedule_text(s: dict[str, Any]) -> str:
    return f"cron {s['cron']} (UTC)" if s["schedule_kind"] == ScheduleKind.CRON else f"every {s['interval_seconds']} s"


def render_table(strategies: list[dict[str, Any]]) -> None:
    st.dataframe(
        [
            {
                "enabled": s["enabled"],
                "name": s["name"],
                "market": s["market"],
                "symbols": ", ".join(s["symbols"]),
                "agents": ", ".join(s["agents"] or []) or "all enabled",
                "mode": s["mode"],
                "schedule": schedule_text(s),
                "execution": s["execution_enabled"],
                "updated": s["updated_at"],
            }
            for s in strategies
        ],
        hide_index=True,
        column_config={
            "enabled": st.column_config.CheckboxColumn("scheduled"),
            "execution": st.column_config.CheckboxColumn("sends orders"),
        },
    )


def _store(db: Database, values: dict[str, Any], actor: str) -> str | None:
    """Validate and save; returns the error text (nothing stored) or None."""
    try:
        spec = StrategySpec.model_validate(values)
    except ValidationError as exc:
        return "\n".join(f"- {md_escape(line)}" for line in field_errors(exc))
    with db.sessions() as session, session.begin():
        upsert_strategy(session=session, name=spec.name, values=spec.model_dump(exclude={"name"}), actor=actor)
    return None


def render_switches(db: Database, strategies: list[dict[str, Any]], actor: str) -> None:
    st.caption("Turn a strategy's schedule on or off (audited).")
    cols = st.columns(min(4, max(1, len(strategies))))
    for i, s in enumerate(strategies):
        key = f"strategy_on_{s['name']}"
        st.session_state[key] = s["enabled"]
        cols[i % len(cols)].toggle(s["name"], key=key, on_change=_switch, args=(db, s, key, actor))


def _switch(db: Database, s: dict[str, Any], key: str, actor: str) -> None:
    values = {"name": s["name"]} | {f: s[f] for f in FIELDS} | {"enabled": bool(st.session_state[key])}
    error = _store(db, values, actor)
    if error:
        st.error(f"Not saved:\n\n{error}")


def render_form(db: Database, strategies: list[dict[str, Any]], profile_names: list[str], actor: str) -> None:
    by_name = {s["name"]: s for s in strategies}
    target = st.selectbox("Create or edit", [NEW, *by_name], key="strategy_target")
    current = by_name.get(str(target))
    editing = current is not None
    c = current or {}
    with st.form(f"strategy_form_{target}"):
        a, b, m = st.columns(3)
        name = a.text_input("Name", value=c.get("name", ""), disabled=editing, help="lower-case letters, digits, _")
        market = b.text_input("Market", value=c.get("market", "us_equities"))
        modes = list(RunMode)
        mode = m.selectbox("Mode", modes, index=modes.index(c.get("mode", RunMode.COMPETITION)))
        symbols = st.text_input("Universe (symbols, comma-separated)", value=", ".join(c.get("symbols", [])))
        agents = st.multiselect(
            "Agents (empty = every enabled profile)",
            profile_names,
            default=[a for a in (c.get("agents") or []) if a in profile_names],
        )
        a, b, m = st.columns(3)
        kinds = list(ScheduleKind)
        kind = a.radio("Schedule", kinds, index=kinds.index(c.get("schedule_kind", ScheduleKind.CRON)), horizontal=True)
        cron = b.text_input("Cron (UTC, 5 fields)", value=c.get("cron") or "*/30 14-20 * * mon-fri")
        interval = m.number_input("Interval (s)", value=int(c.get("interval_seconds") or 900), step=60)
        enabled = st.checkbox("Scheduled (on)", value=c.get("enabled", False))
        execution = st.checkbox("Send orders (execution enabled)", value=c.get("execution_enabled", False))
        submitted = st.form_submit_button("Save strategy" if editing else "Create strategy", type="primary")
    if not submitted:
        return
    name = str(c["name"]) if editing else name.strip()
    if not editing and name in by_name:
        st.error(f"Not saved: a strategy named {md_escape(name)} already exists — pick it under “Create or edit”.")
        return
    values = {
        "name": name,
        "market": market.strip(),
        "symbols": [s.strip() for s in symbols.split(",") if s.strip()],
        "agents": agents or None,
        "mode": mode,
        "schedule_kind": kind,
        "cron": cron.strip() if kind == ScheduleKind.CRON else None,
        "interval_seconds": int(interval) if kind == ScheduleKind.INTERVAL else None,
        "enabled": enabled,
        "execution_enabled": execution,
    }
    error = _store(db, values, actor)
    if error:
        st.error(f"Not saved — fix these fields:\n\n{error}")
        return
    flash_and_rerun("success", f"Saved strategy {md_escape(name)} (audited as {md_escape(actor)}).")


def describe(s: dict[str, Any]) -> str:
    return f"{s['name']}: {', '.join(s['symbols'])} · {s['mode']} · {schedule_text(s)}" if s else DASH
