"""Guardrail widgets: trading state / kill switch and the threshold forms, saved through arena.guardrail_config
(whole config validated first — nothing saved on invalid input — then one audit row per changed key)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from pydantic import ValidationError

from arena.bootstrap.database import Database
from arena.engine.config.guardrails import GuardrailConfig, load_config, quorum_warning, update_config
from arena.engine.config.profile_service import field_errors
from arena.faces.web.widgets.flash import flash_and_rerun
from arena.faces.web.widgets.format import change, md_escape
from arena.kernel.states import TradingState
from arena.storage.read.dashboard import audit_log
from arena.storage.read.limits import LimitUsage, limit_usage

ESCALATION = (
    "disagreement_rate",
    "min_confidence",
    "high_risk_portfolio_delta_pct",
    "max_power_calls_per_day",
    "vol_threshold_pct",
    "debate_rounds",
    "blocking_risk_flags",
    "min_valid_votes",
    "role_weights",
)
EXECUTION = (
    "max_order_notional_usd",
    "max_position_pct_equity",
    "max_orders_per_day",
    "daily_llm_spend_cap_usd",
    "allowed_symbols",
    "require_market_open",
)
STATES = list(TradingState)
STATE_HELP = {
    TradingState.ACTIVE: "orders may open and close positions",
    TradingState.REDUCING: "only orders that reduce a position",
    TradingState.HALTED: "kill switch: no order is sent",
}
STATE_COLOURS = {TradingState.ACTIVE: "green", TradingState.REDUCING: "orange", TradingState.HALTED: "red"}
LABELS = {  # every setting as people read it; the stored key is in the help tip (and in errors and the audit log)
    "disagreement_rate": "Disagreement rate that escalates (0–1)",
    "min_confidence": "Minimum confidence",
    "high_risk_portfolio_delta_pct": "High-risk order size (% of equity)",
    "max_power_calls_per_day": "Powerful calls per day",
    "vol_threshold_pct": "High-volatility threshold (%)",
    "debate_rounds": "Debate rounds",
    "blocking_risk_flags": "Blocking risk flags (comma-separated)",
    "min_valid_votes": "Minimum valid votes (quorum)",
    "role_weights": "Role weights (role=weight, comma-separated)",
    "max_order_notional_usd": "Max order size (USD)",
    "max_position_pct_equity": "Max position (% of equity)",
    "max_orders_per_day": "Max orders per day",
    "daily_llm_spend_cap_usd": "Daily LLM spend cap (USD)",
    "allowed_symbols": "Allowed symbols (comma-separated; empty = any)",
    "require_market_open": "Only while the market is open",
}
LEAVING_HALTED = "confirm_leave_halted"  # session key: the state the operator asked for, awaiting confirmation


def load(db: Database) -> GuardrailConfig:
    with db.sessions() as session:
        return load_config(session=session)


def save(db: Database, changes: dict[str, Any], actor: str) -> None:
    """Apply `changes` in one transaction and redraw; when invalid, show why and store nothing."""
    try:
        with db.sessions() as session, session.begin():
            before = load_config(session=session)
            update_config(session=session, changes=changes, actor=actor)
    except ValidationError as exc:
        lines = "\n".join(f"- {md_escape(line)}" for line in field_errors(exc))
        st.error(f"Not saved — fix these fields:\n\n{lines}")
        return
    changed = [k for k, v in changes.items() if getattr(before, k) != v]
    if changed:
        flash_and_rerun("success", f"Saved {md_escape(', '.join(changed))} (audited as {md_escape(actor)}).")
    flash_and_rerun("info", "No change.")


def render_trading_state(db: Database, config: GuardrailConfig, actor: str) -> None:
    state = config.trading_state
    colour = STATE_COLOURS[state]
    st.markdown(f"Current trading state: :{colour}-badge[{state}] — {STATE_HELP[state]}")
    left, right = st.columns([3, 1])
    with left, st.form("trading_state"):
        wanted = st.radio(
            "Trading state",
            STATES,
            index=STATES.index(state),
            horizontal=True,
            format_func=lambda s: f"{s} — {STATE_HELP[s]}",
        )
        if st.form_submit_button("Apply state"):
            if state == TradingState.HALTED and wanted != TradingState.HALTED:
                st.session_state[LEAVING_HALTED] = wanted  # asked again below, in a dialog
            else:
                save(db, {"trading_state": wanted}, actor)
    pending = st.session_state.get(LEAVING_HALTED)
    if pending is not None and state == TradingState.HALTED:
        _confirm_leaving_halted(db, TradingState(pending), actor)
    else:
        st.session_state.pop(LEAVING_HALTED, None)
    if right.button(
        "Kill switch: HALT now", icon=":material/block:", type="primary", disabled=state == TradingState.HALTED
    ):
        save(db, {"trading_state": TradingState.HALTED}, actor)


def _forget_leaving() -> None:
    st.session_state.pop(LEAVING_HALTED, None)


@st.dialog("Leave HALTED?", on_dismiss=_forget_leaving)
def _confirm_leaving_halted(db: Database, wanted: TradingState, actor: str) -> None:
    """Lifting the kill switch lets orders reach the broker again: asked once more, never by accident."""
    st.markdown(
        f"Trading is **HALTED**: no order is sent. Switching to **{wanted}** means {STATE_HELP[wanted]} from the "
        "next run on — scheduled strategies included."
    )
    yes, no = st.columns(2)
    if yes.button(f"Yes, switch to {wanted}", type="primary", key="confirm_leave_halted_yes"):
        _forget_leaving()
        save(db, {"trading_state": wanted}, actor)
    if no.button("Stay HALTED", key="confirm_leave_halted_no"):
        _forget_leaving()
        st.rerun()


def render_usage(db: Database, config: GuardrailConfig) -> None:
    """Today's usage of each daily limit against its cap (UTC day), as the limits themselves count it."""
    with db.sessions() as session:
        used = limit_usage(session=session)
    cols = st.columns(3)
    for col, (label, value, cap, shown, hint) in zip(cols, _usage_rows(used, config), strict=True):
        col.progress(min(value / cap, 1.0) if cap > 0 else 1.0, text=f"**{label}**: {shown}")
        col.caption(hint)


def _usage_rows(used: LimitUsage, config: GuardrailConfig) -> list[tuple[str, float, float, str, str]]:
    spend_cap = config.daily_llm_spend_cap_usd
    return [
        (
            "Orders today",
            used.orders_today,
            config.max_orders_per_day,
            f"{used.orders_today} / {config.max_orders_per_day}",
            "order intents since UTC midnight vs max orders per day",
        ),
        (
            "LLM spend today",
            used.llm_spend_today_usd,
            spend_cap,
            f"${used.llm_spend_today_usd:,.4f} / ${spend_cap:,.2f}",
            f"{used.llm_calls_today} calls claimed today (running calls at their estimate) vs the daily spend cap",
        ),
        (
            "Powerful calls today",
            used.power_calls_today,
            config.max_power_calls_per_day,
            f"{used.power_calls_today} / {config.max_power_calls_per_day}",
            "escalation calls taken from today's cap",
        ),
    ]


def _field_input(name: str, value: Any) -> Any:
    info = GuardrailConfig.model_fields[name]
    label = LABELS[name]
    help_text = f"{info.description or label} — setting `{name}`"
    if isinstance(value, bool):
        return st.checkbox(label, value=value, help=help_text)
    if isinstance(value, dict):
        shown = ", ".join(f"{k}={v:g}" for k, v in value.items())
        raw = st.text_input(label, value=shown, help=help_text)
        return _weights(raw)
    if isinstance(value, list):
        raw = st.text_input(label, value=", ".join(value), help=help_text)
        return [v.strip() for v in raw.split(",") if v.strip()]
    if isinstance(value, int):
        return int(st.number_input(label, value=value, step=1, help=help_text))
    return float(st.number_input(label, value=float(value), step=0.01, format="%.4g", help=help_text))


def _weights(raw: str) -> dict[str, Any]:
    """`risk_manager=2, bull=1.5` → a dict; a value that is not a number is kept so validation names it."""
    out: dict[str, Any] = {}
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        role, _, weight = part.partition("=")
        try:
            out[role.strip()] = float(weight)
        except ValueError:
            out[role.strip()] = weight.strip()
    return out


def render_quorum_warning(config: GuardrailConfig, cheap_agents: int) -> None:
    """Say so when the quorum can never be met by the enabled cheap agents (a warning: saving is allowed)."""
    warning = quorum_warning(config, cheap_agents)
    if warning is not None:
        st.warning(warning)


def render_form(db: Database, config: GuardrailConfig, actor: str, *, key: str, fields: tuple[str, ...]) -> None:
    with st.form(key):
        cols = st.columns(3)
        values = {}
        for i, name in enumerate(fields):
            with cols[i % 3]:
                values[name] = _field_input(name, getattr(config, name))
        if st.form_submit_button("Save", type="primary"):
            save(db, {k: v for k, v in values.items() if v != getattr(config, k)}, actor)


def render_audit(db: Database) -> None:
    with db.sessions() as session:
        rows = audit_log(session=session, entities=["guardrail", "strategy"], limit=100)
    if not rows:
        st.info("No guardrail or strategy change recorded yet.")
        return
    st.dataframe(
        [
            {
                "when": r.at,
                "who": r.actor,
                "what": f"{r.entity}: {r.key}",
                "change": change(r.before, r.after),
            }
            for r in rows
        ],
        hide_index=True,
    )
