"""Keep every page inside the app.py frame, even on a deep link that arrives first after a (re)start.

Streamlit decides per process whether the app is a legacy `pages/`-folder app: until app.py has called
st.navigation, a folder named `pages/` next to it makes Streamlit run the requested page file on its own (no
frame, no page config, a generated sidebar). So the first visitor after a restart who opens
/admin/arena/run_details?run=… directly would get that legacy rendering. A page that finds itself run that way
runs app.py in its place — the same nesting Streamlit itself uses for the main page in that mode — so
st.navigation takes over and draws this same page (same URL path, same query) inside the frame, in this run.
"""

from __future__ import annotations

import runpy

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from arena.settings import PROJECT_ROOT

APP = PROJECT_ROOT / "app.py"


def ensure_frame() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        runpy.run_path(str(APP), run_name="__main__")
        st.stop()
