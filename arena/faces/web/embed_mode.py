"""Embedded mode: is this page load framed (AdminHub's iframe) or asked for with `?embed=1`?

Why a cookie set here: the Streamlit script only sees its WebSocket, which carries neither the page's query string
(Streamlit hides `embed` from `st.query_params`) nor how the page was loaded. The browser says that on the page
request itself — `Sec-Fetch-Dest: iframe` inside a frame, `document` in a tab — so each page load under
/admin/arena/ sets `arena_embed=1` (framed, or `?embed=1` / `?embed=true`) or clears it, and the script reads the
cookie its WebSocket brought (widgets/embed.py). Browsers send Sec-Fetch-* only to secure origins (https,
localhost); elsewhere AdminHub's iframe should add `?embed=1`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from arena.faces.web.frame_policy import ASGIApp, Message, Receive, Scope, Send
from arena.faces.web.proxy import came_over_https, header_values
from arena.faces.web.session_cookie import BASE_PATH

EMBED_COOKIE = "arena_embed"
EMBED_PARAM = "embed"
EMBED_VALUES = frozenset({"1", "true"})
# Requests that are not page loads (assets, the WebSocket, Arena's own endpoints) leave the cookie alone.
NOT_PAGES = (f"{BASE_PATH}/_", f"{BASE_PATH}/static/", f"{BASE_PATH}/media/", f"{BASE_PATH}/component/")


def wants_embed(scope: Scope) -> bool:
    """Framed (Sec-Fetch-Dest: iframe) or asked for in the query string."""
    if any(v.strip().lower() == "iframe" for v in header_values(scope, b"sec-fetch-dest")):
        return True
    query = scope.get("query_string", b"").decode("latin-1")
    return any(k == EMBED_PARAM and v.lower() in EMBED_VALUES for k, v in parse_qsl(query, keep_blank_values=True))


NAVIGATIONS = frozenset({"document", "iframe", "frame"})  # Sec-Fetch-Dest of a page load (a fetch says "empty")


def is_page_load(scope: Scope) -> bool:
    """A browser navigation to a dashboard page — never the page's own fetches, which must not reset the mark."""
    path = scope.get("path", "")
    if not (
        scope["type"] == "http"
        and scope.get("method") == "GET"
        and (path == BASE_PATH or path.startswith(f"{BASE_PATH}/"))
        and not path.startswith(NOT_PAGES)
    ):
        return False
    dest = [v.strip().lower() for v in header_values(scope, b"sec-fetch-dest")]
    if dest:
        return dest[0] in NAVIGATIONS
    return any("text/html" in v for v in header_values(scope, b"accept"))  # a browser without Sec-Fetch-*


def embed_cookie(embedded: bool, *, secure: bool) -> str:
    value, age = ("1", "") if embedded else ("", "; Max-Age=0")
    return f"{EMBED_COOKIE}={value}; Path={BASE_PATH}{age}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")


class EmbedMarker:
    """ASGI middleware: every dashboard page load says, in a cookie, whether it is embedded."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_page_load(scope):
            await self.app(scope, receive, send)
            return
        cookie = embed_cookie(wants_embed(scope), secure=came_over_https(scope)).encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"set-cookie", cookie)]}
            await send(message)

        await self.app(scope, receive, send_with_cookie)
