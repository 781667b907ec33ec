"""The dashboard's sign-in: no page renders until the browser session is authenticated.

Two ways in: the `?auth=` token AdminHub signs for its iframe (arena.access.mint_token; checked once, then
dropped from the URL), or the admin token typed into the sign-in form. Health stays open (it is not a page).
"""

from __future__ import annotations

import streamlit as st

from arena.engine.access import check_admin_token, verify_token
from arena.faces.web.widgets.context import settings

SESSION_KEY = "arena_signed_in"


def _secret() -> str:
    configured = settings().admin_token
    return configured.get_secret_value() if configured is not None else ""


def signed_in() -> bool:
    """True when this session is signed in; a valid `?auth=` link signs it in (and leaves the URL)."""
    if st.session_state.get(SESSION_KEY):
        return True
    handed_over = st.query_params.get("auth")
    if handed_over:
        del st.query_params["auth"]
        if verify_token(_secret(), handed_over):
            st.session_state[SESSION_KEY] = True
            return True
        st.session_state["arena_bad_link"] = True
    return False


def sign_in_page() -> None:
    """Why the dashboard is locked, or the sign-in form; always ends the script run."""
    secret = _secret()
    st.title("Arena — sign in")
    if not secret:
        st.error(
            "The dashboard is locked: set ARENA_ADMIN_TOKEN (or start it with `python -m arena serve`, "
            "which creates a local token in data/admin_token)."
        )
        st.stop()
    if st.session_state.pop("arena_bad_link", False):
        st.warning("The sign-in link has expired or is not valid; sign in with the admin token.")
    with st.form("sign_in"):
        entered = st.text_input("Admin token", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if check_admin_token(secret, entered.strip()):
            st.session_state[SESSION_KEY] = True
            st.rerun()
        st.error("That is not the admin token.")
    st.stop()
