"""Sign-in, session cookie, failed-auth throttling and forwarded headers on a real `python -m arena serve`.

Each test talks from its own loopback address (127.0.0.x) so their failure counters stay apart: the throttle is
per client address, and a client that is not a trusted proxy cannot pick its address with X-Forwarded-For.
"""

from __future__ import annotations

import base64
import http.client
import os
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from arena.engine.access import mint_session, mint_token
from tests.faces.web.api.processes import arena_server

TOKEN = "served-signin-Token-7f3a"
WINDOW_S = 3  # ARENA_AUTH_FAILURE_WINDOW_S, short so the refusal can be seen to end
MAX_FAILURES = 3
SIGNIN_FORM = 'name="token" type="password"'
STREAMLIT_PAGE = 'id="root"'  # Streamlit's index.html


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    tmp_path = tmp_path_factory.mktemp("signin-served")
    env = {
        "ARENA_ADMIN_TOKEN": TOKEN,
        "ARENA_AUTH_MAX_FAILURES": str(MAX_FAILURES),
        "ARENA_AUTH_FAILURE_WINDOW_S": str(WINDOW_S),
        "ARENA_SESSION_TTL_S": "600",
        "ARENA_SIGNIN_LINK_TTL_S": "300",
    }
    with arena_server(tmp_path, **env) as base:
        yield base, tmp_path / "serve.log"


class Reply:
    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.getheaders()
        self.text = response.read().decode("utf-8", "replace")

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)

    def cookie(self) -> str | None:
        """The `arena_session=<value>` pair this reply sets, if any."""
        raw = self.header("set-cookie")
        return raw.split(";", 1)[0] if raw and raw.startswith("arena_session=") else None


def call(
    base: str,
    path: str,
    *,
    source: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: str | None = None,
) -> Reply:
    """One request from loopback address `source` (no redirects followed)."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10, source_address=(source, 0))
    try:
        conn.request(method, path, body=body, headers=headers or {})
        return Reply(conn.getresponse())
    finally:
        conn.close()


def form(token: str, next_path: str = "/admin/arena/leaderboard") -> str:
    return f"token={quote(token)}&next={quote(next_path)}"


def origin(base: str) -> dict[str, str]:
    return {"Origin": base, "Content-Type": "application/x-www-form-urlencoded"}


def test_a_link_signs_in_once_and_the_cookie_keeps_reloads_tabs_and_deep_links(served: tuple[str, Path]) -> None:
    base, _ = served
    src = "127.0.0.11"
    deep = "/admin/arena/run_details?run=abc123"
    link = mint_token(TOKEN)

    # no cookie: a deep link shows the sign-in form (which returns to the deep link), not the dashboard
    bare = call(base, deep, source=src)
    assert bare.status == 200 and SIGNIN_FORM in bare.text and STREAMLIT_PAGE not in bare.text
    assert 'value="/admin/arena/run_details?run=abc123"' in bare.text

    first = call(base, f"{deep}&auth={link}", source=src)
    assert first.status == 303 and first.header("location") == deep  # `auth` is gone from the URL
    set_cookie = first.header("set-cookie") or ""
    attributes = {a.strip().split("=")[0].lower() for a in set_cookie.split(";")}
    assert {"httponly", "path", "max-age"} <= attributes and "samesite=lax" in set_cookie.lower()
    assert "Path=/admin/arena" in set_cookie and "Secure" not in set_cookie  # plain http here
    cookie = first.cookie()
    assert cookie is not None

    # the cookie is the session: a reload, another tab, a pasted deep link all get the dashboard
    for path in ("/admin/arena/", deep, "/admin/arena/leaderboard"):
        page = call(base, path, source=src, headers={"Cookie": cookie})
        assert page.status == 200 and STREAMLIT_PAGE in page.text and SIGNIN_FORM not in page.text, path

    # the same link a second time (another browser, no cookie) is refused
    again = call(base, f"/admin/arena/?auth={link}", source="127.0.0.12")
    assert again.status == 401 and "already used" in again.text and again.cookie() is None


def test_expired_too_long_lived_and_forged_links_are_refused(served: tuple[str, Path]) -> None:
    base, _ = served
    src = "127.0.0.13"
    expired = mint_token(TOKEN, ttl_s=300, now=time.time() - 301)
    too_long = mint_token(TOKEN, ttl_s=3600)  # longer than ARENA_SIGNIN_LINK_TTL_S=300
    forged = mint_token("not-the-admin-token")
    for link in (expired, too_long, forged):
        reply = call(base, f"/admin/arena/?auth={link}", source=src)
        assert reply.status == 401 and reply.cookie() is None and SIGNIN_FORM in reply.text


def test_forged_and_expired_cookies_are_refused_and_the_websocket_needs_a_valid_one(
    served: tuple[str, Path],
) -> None:
    base, _ = served
    src = "127.0.0.14"
    valid = mint_session(TOKEN, ttl_s=600)
    forged = mint_session("not-the-admin-token", ttl_s=600)
    expired = mint_session(TOKEN, ttl_s=600, now=time.time() - 601)
    tampered = valid.replace("s1." + valid.split(".")[1], "s1." + str(int(valid.split(".")[1]) + 9999))
    for value in (forged, expired, tampered, "garbage"):
        page = call(base, "/admin/arena/leaderboard", source=src, headers={"Cookie": f"arena_session={value}"})
        assert SIGNIN_FORM in page.text and STREAMLIT_PAGE not in page.text, value
        assert websocket_status(base, src, f"arena_session={value}") == 403
    assert websocket_status(base, src, None) == 403
    assert websocket_status(base, src, f"arena_session={valid}") == 101


def test_a_cookie_past_half_its_life_is_renewed(served: tuple[str, Path]) -> None:
    base, _ = served
    src = "127.0.0.15"
    fresh = mint_session(TOKEN, ttl_s=600)
    assert call(base, "/admin/arena/", source=src, headers={"Cookie": f"arena_session={fresh}"}).cookie() is None
    old = mint_session(TOKEN, ttl_s=600, now=time.time() - 400)  # 200 s left of 600
    renewed = call(base, "/admin/arena/", source=src, headers={"Cookie": f"arena_session={old}"})
    assert renewed.status == 200 and renewed.cookie() not in (None, f"arena_session={old}")
    assert "Max-Age=600" in (renewed.header("set-cookie") or "")


def test_the_sign_in_form_sets_the_cookie_and_refuses_cross_site_posts_and_open_redirects(
    served: tuple[str, Path],
) -> None:
    base, _ = served
    src = "127.0.0.16"
    cross = call(
        base,
        "/admin/arena/_arena/signin",
        source=src,
        method="POST",
        body=form(TOKEN),
        headers={"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert cross.status == 403 and cross.cookie() is None
    ok = call(base, "/admin/arena/_arena/signin", source=src, method="POST", body=form(TOKEN), headers=origin(base))
    assert ok.status == 303 and ok.header("location") == "/admin/arena/leaderboard" and ok.cookie()
    away = call(
        base,
        "/admin/arena/_arena/signin",
        source=src,
        method="POST",
        body=form(TOKEN, "https://evil.example/phish"),
        headers=origin(base),
    )
    assert away.status == 303 and away.header("location") == "/admin/arena/"
    out = call(base, "/admin/arena/_arena/signout", source=src, headers={"Cookie": ok.cookie() or "", "Referer": base})
    assert out.status == 303 and "Max-Age=0" in (out.header("set-cookie") or "")


def test_wrong_sign_ins_are_throttled_even_for_the_right_token_then_released(served: tuple[str, Path]) -> None:
    base, log = served
    src = "127.0.0.17"
    guesses = [f"guess-number-{i}-xyz" for i in range(MAX_FAILURES)]
    for guess in guesses:
        wrong = call(
            base, "/admin/arena/_arena/signin", source=src, method="POST", body=form(guess), headers=origin(base)
        )
        assert wrong.status == 401 and "not the admin token" in wrong.text
    right = call(base, "/admin/arena/_arena/signin", source=src, method="POST", body=form(TOKEN), headers=origin(base))
    assert right.status == 429 and right.cookie() is None
    retry_after = int(right.header("retry-after") or "0")
    assert 1 <= retry_after <= WINDOW_S
    link = call(base, f"/admin/arena/?auth={mint_token(TOKEN)}", source=src)
    assert link.status == 429 and link.cookie() is None  # links too, while throttled
    # another address is not affected
    other = call(
        base, "/admin/arena/_arena/signin", source="127.0.0.18", method="POST", body=form(TOKEN), headers=origin(base)
    )
    assert other.status == 303
    time.sleep(retry_after + 0.2)
    after = call(base, "/admin/arena/_arena/signin", source=src, method="POST", body=form(TOKEN), headers=origin(base))
    assert after.status == 303 and after.cookie()

    text = log.read_text()
    failures = [line for line in text.splitlines() if "authentication failed from 127.0.0.17" in line]
    assert len(failures) == MAX_FAILURES and all("WARNING" in line and "wrong admin token" in line for line in failures)
    assert not any(guess in text for guess in guesses) and TOKEN not in text


def test_wrong_bearer_tokens_are_throttled_even_for_the_right_token_then_released(served: tuple[str, Path]) -> None:
    base, log = served
    src = "127.0.0.19"
    runs = "/api/admin/arena/runs"
    guesses = [f"bearer-guess-{i}-abc" for i in range(MAX_FAILURES)]
    for guess in guesses:
        assert call(base, runs, source=src, headers={"Authorization": f"Bearer {guess}"}).status == 401
    refused = call(base, runs, source=src, headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused.status == 429 and '"error":"too_many_failures"' in refused.text.replace(" ", "")
    retry_after = int(refused.header("retry-after") or "0")
    assert 1 <= retry_after <= WINDOW_S
    # X-Forwarded-For from a client that is not a trusted proxy does not buy a fresh address
    spoofed = call(base, runs, source=src, headers={"Authorization": f"Bearer {TOKEN}", "X-Forwarded-For": "10.1.2.3"})
    assert spoofed.status == 429
    assert call(base, runs, source="127.0.0.20", headers={"Authorization": f"Bearer {TOKEN}"}).status == 200
    time.sleep(retry_after + 0.2)
    assert call(base, runs, source=src, headers={"Authorization": f"Bearer {TOKEN}"}).status == 200

    text = log.read_text()
    failures = [line for line in text.splitlines() if "authentication failed from 127.0.0.19" in line]
    assert len(failures) == MAX_FAILURES and all(
        "WARNING" in line and "wrong bearer token" in line for line in failures
    )
    assert not any(guess in text for guess in guesses)


def websocket_status(base: str, source: str, cookie: str | None) -> int:
    """The status of a WebSocket handshake to Streamlit's stream (101 accepted, 403 refused)."""
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
        "Origin": base,
    }
    if cookie:
        headers["Cookie"] = cookie
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10, source_address=(source, 0))
    try:
        conn.request("GET", "/admin/arena/_stcore/stream", headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()
