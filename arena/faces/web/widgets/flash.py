"""A message that survives the rerun after a save (so the page redraws with fresh data and still says why)."""

from __future__ import annotations

from typing import Literal

import streamlit as st

_KEY = "_flash"
Kind = Literal["success", "info", "warning"]


def flash_and_rerun(kind: Kind, text: str) -> None:
    st.session_state[_KEY] = (kind, text)
    st.rerun()


def show_flash() -> None:
    kind, text = st.session_state.pop(_KEY, (None, None))
    if kind == "success":
        st.success(text)
    elif kind == "info":
        st.info(text)
    elif kind == "warning":
        st.warning(text)
