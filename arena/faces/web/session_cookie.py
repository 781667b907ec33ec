"""The dashboard's session cookie: name, attributes, reading it from a request and writing Set-Cookie.

HttpOnly (page scripts cannot read it), SameSite=Lax (sent in AdminHub's same-origin iframe and on top-level
navigation, not on cross-site sub-requests or POSTs), Path=/admin/arena (never sent to the API, which takes only
the bearer token), Secure when the browser came over https. Its value is signed and carries its expiry
(arena/engine/access.py `mint_session`); Max-Age matches, so the browser forgets it when the server would.
"""

from __future__ import annotations

from http.cookies import CookieError, SimpleCookie

BASE_PATH = "/admin/arena"  # server.baseUrlPath in .streamlit/config.toml
COOKIE_NAME = "arena_session"
SIGNIN_PATH = f"{BASE_PATH}/_arena/signin"  # the sign-in form (GET) and its POST
SIGNOUT_PATH = f"{BASE_PATH}/_arena/signout"


def read_cookie(cookie_header: str, name: str = COOKIE_NAME) -> str | None:
    """The cookie's value from a Cookie header, or None (absent or unparsable)."""
    if not cookie_header:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(cookie_header)
    except CookieError:
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def set_cookie(value: str, *, max_age: int, secure: bool) -> str:
    """The Set-Cookie header value that signs the browser in for `max_age` seconds."""
    attributes = [f"{COOKIE_NAME}={value}", f"Path={BASE_PATH}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)


def clear_cookie(*, secure: bool) -> str:
    """The Set-Cookie header value that signs the browser out."""
    attributes = [f"{COOKIE_NAME}=", f"Path={BASE_PATH}", "Max-Age=0", "HttpOnly", "SameSite=Lax"]
    if secure:
        attributes.append("Secure")
    return "; ".join(attributes)
