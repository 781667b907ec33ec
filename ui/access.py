"""The dashboard's sign-in: nothing below it renders until the browser session is authenticated.

Two ways in: the `?auth=` token AdminHub signs for its iframe (arena.access.mint_token; checked once, then
dropped from the URL), or the admin token typed into the sign-in form. Health stays open (it is not a page).
"""

from __future__ import annotations

import streamlit as st

from arena.access import check_admin_token, verify_token
from ui.context import settings

SESSION_KEY = "arena_signed_in"


def require_sign_in() -> None:
    """Return when the session may see the dashboard; otherwise show why / the sign-in form and stop."""
    if st.session_state.get(SESSION_KEY):
        return
    configured = settings().admin_token
    secret = configured.get_secret_value() if configured is not None else ""
    if not secret:
        st.error(
            "The dashboard is locked: set ARENA_ADMIN_TOKEN (or start it with `python -m arena serve`, "
            "which creates a local token in data/admin_token)."
        )
        st.stop()
    handed_over = st.query_params.get("auth")
    if handed_over:
        del st.query_params["auth"]
        if verify_token(secret, handed_over):
            st.session_state[SESSION_KEY] = True
            return
        st.warning("The sign-in link has expired or is not valid; sign in with the admin token.")
    st.title("Arena — sign in")
    with st.form("sign_in"):
        entered = st.text_input("Admin token", type="password")
        submitted = st.form_submit_button("Sign in")
    if submitted:
        if check_admin_token(secret, entered.strip()):
            st.session_state[SESSION_KEY] = True
            st.rerun()
        st.error("That is not the admin token.")
    st.stop()
