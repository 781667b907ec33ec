"""The script's side of embedded mode (arena/faces/web/embed_mode.py): top navigation, compact padding, and no
Arena sidebar inside AdminHub, which has its own."""

from __future__ import annotations

import streamlit as st

from arena.faces.web.embed_mode import EMBED_COOKIE

# Streamlit's default main padding (6 rem on top, 5 rem at the sides) is for a full tab, not a frame in a shell.
COMPACT_CSS = """<style>
[data-testid="stMainBlockContainer"] { padding: 3.75rem 1rem 1rem 1rem; max-width: 100%; }
</style>"""


def embedded() -> bool:
    """Framed or `?embed=1` on this session's page load (the cookie), or Streamlit's own `?embed=true`."""
    try:
        if st.context.is_embedded:
            return True
        return st.context.cookies.get(EMBED_COOKIE) == "1"
    except Exception:  # no browser behind this session (AppTest)
        return False


def compact_padding() -> None:
    st.html(COMPACT_CSS)
