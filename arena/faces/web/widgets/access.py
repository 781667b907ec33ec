"""The dashboard's sign-in, as the script sees it: no page renders without a valid session cookie.

Signing in happens before the script runs, in the web process's SignInGate (arena/faces/web/signin_gate.py): a
sign-in link or the sign-in form is exchanged there for an HttpOnly cookie, and the WebSocket is refused without
one. The script checks the cookie again (signature and expiry) on every run, so a session whose cookie expires
while the tab stays open ends at its next rerun. A session that has no browser behind it (Streamlit's AppTest)
can only be signed in by setting SESSION_KEY in its session state.
"""

from __future__ import annotations

import streamlit as st

from arena.engine.access import session_expiry
from arena.faces.web.session_cookie import COOKIE_NAME, SIGNIN_PATH, SIGNOUT_PATH
from arena.faces.web.signin_page import LOCKED
from arena.faces.web.widgets.context import settings

SESSION_KEY = "arena_signed_in"


def _secret() -> str:
    configured = settings().admin_token
    return configured.get_secret_value().strip() if configured is not None else ""


def _cookie() -> str | None:
    try:
        value = st.context.cookies.get(COOKIE_NAME)
    except Exception:  # no browser behind this session
        return None
    return value if isinstance(value, str) and value else None


def signed_in() -> bool:
    """True when this session's cookie is signed with the admin token and unexpired."""
    cookie = _cookie()
    if cookie is not None:
        valid = session_expiry(_secret(), cookie) is not None
        st.session_state[SESSION_KEY] = valid
        return valid
    return bool(st.session_state.get(SESSION_KEY))


def sign_in_page() -> None:
    """Why the dashboard is locked, or where to sign in; always ends the script run."""
    st.title("Arena — sign in")
    if not _secret():
        st.error(LOCKED)
        st.stop()
    st.warning("Your session has ended or is not signed in.")
    st.markdown(f'<a href="{SIGNIN_PATH}" target="_self">Sign in again</a>', unsafe_allow_html=True)
    st.stop()


def sign_out_link() -> None:
    """A sidebar link that clears the session cookie (signin_gate.py) and returns to the sign-in form."""
    st.sidebar.markdown(f'<a href="{SIGNOUT_PATH}" target="_self">Sign out</a>', unsafe_allow_html=True)
