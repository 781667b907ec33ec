"""The trading-state banner, drawn by the frame above every page while trading is not ACTIVE: an operator who
halted trading (or left it reducing) must not forget it on a page that does not show the guardrails."""

from __future__ import annotations

import streamlit as st

from arena.engine.config.guardrails import load_config
from arena.faces.web.widgets.context import _database
from arena.kernel.errors import ArenaError
from arena.kernel.states import TradingState

MESSAGES = {
    TradingState.HALTED: "Trading HALTED — the kill switch is on: no order is sent.",
    TradingState.REDUCING: "Trading REDUCING — only orders that reduce a position are sent.",
}
WHERE = " Change it on the Guardrails & schedules page."


def render_trading_banner() -> None:
    """Nothing while ACTIVE (or while the database cannot be read: the page itself says why)."""
    try:
        db = _database()  # the cached database; its failure is the page's to explain, once
    except ArenaError:
        return
    with db.sessions() as session:
        state = load_config(session=session).trading_state
    if state == TradingState.HALTED:
        st.error(MESSAGES[state] + WHERE, icon=":material/block:")
    elif state == TradingState.REDUCING:
        st.warning(MESSAGES[state] + WHERE, icon=":material/trending_down:")
