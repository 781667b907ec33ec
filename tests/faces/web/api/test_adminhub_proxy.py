"""The documented AdminHub recipe, proven: nginx (deploy/nginx/arena.conf) in front of a real Arena and a
stand-in AdminHub; real Chromium signs in to AdminHub, opens the Arena sidebar item and uses the iframe; the API
answers through the same proxy with and without the token. Arena trusts the proxy (ARENA_TRUSTED_PROXIES=127.0.0.1)
and audits a halt under AdminHub's user, never under the X-Forwarded-User the browser itself sends."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.faces.web.api.adminhub_stub import AdminHubStub
from tests.faces.web.api.nginx_proxy import nginx_in_front
from tests.faces.web.api.processes import arena_server, http
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TOKEN = "proxy-Admin-Token-4d1c88"
TIMEOUT_MS = 30_000
SPOOFED = "alice.ceo@corp.example"  # what a browser claims to be; nginx must overwrite it


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, AdminHubStub, Path]]:
    tmp_path = tmp_path_factory.mktemp("adminhub-proxy")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing; this test needs Debian's chromium: `apt-get install -y chromium`")
    with (
        arena_server(tmp_path, ARENA_ADMIN_TOKEN=TOKEN, ARENA_TRUSTED_PROXIES="127.0.0.1") as arena,
        AdminHubStub(arena_token=TOKEN) as adminhub,
        nginx_in_front(tmp_path, arena_port=urlsplit(arena).port or 0, adminhub_port=adminhub.port) as (proxy, log),
    ):
        yield proxy, log, adminhub, tmp_path / "arena.db"


def test_api_answers_through_the_proxy_with_and_without_the_token(
    stack: tuple[str, Path, AdminHubStub, Path],
) -> None:
    proxy, _, _, _ = stack
    api = f"{proxy}/api/admin/arena"
    assert http(f"{api}/health")[0] == 200
    status, headers, text = http(f"{api}/runs")
    assert status == 401 and json.loads(text)["error"] == "unauthorized"
    assert headers["www-authenticate"].startswith("Bearer")
    assert http(f"{api}/runs", token="wrong")[0] == 401
    status, _, text = http(f"{api}/runs", token=TOKEN)
    assert status == 200 and json.loads(text) == {"items": [], "next_cursor": None}
    status, _, text = http(f"{api}/run", method="POST", body={"symbols": ["??"]}, token=TOKEN)
    assert status == 422 and "symbols" in json.loads(text)["fields"]
    # the dashboard itself needs an AdminHub session; the API does not (it has its own token)
    assert http(f"{proxy}/admin/arena/")[0] == 401


def test_arena_renders_and_works_inside_adminhub(stack: tuple[str, Path, AdminHubStub, Path]) -> None:
    from playwright.sync_api import expect, sync_playwright

    proxy, access_log, adminhub, db_file = stack
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # every request of this browser claims to be someone else; nginx replaces it with AdminHub's user
            page = browser.new_context(extra_http_headers={"X-Forwarded-User": SPOOFED}).new_page()
            page.set_default_timeout(TIMEOUT_MS)
            refused = page.goto(f"{proxy}/admin/arena/")
            assert refused is not None and refused.status == 401  # no AdminHub session, no Arena

            page.goto(f"{proxy}/admin/login")  # AdminHub signs us in and lands on /admin
            assert page.url == f"{proxy}/admin"
            expect(page.locator("#adminhub-home")).to_be_visible()
            page.get_by_role("link", name="Arena").click()
            assert page.url == f"{proxy}/admin/arena"

            frame = page.frame_locator("#arena-frame")
            expect(frame.locator("h1")).to_contain_text("Overview", timeout=TIMEOUT_MS)
            frame.locator('[data-testid="stStatusWidget"]').wait_for(state="detached")
            # embedded: Arena's pages are a top navigation, AdminHub's sidebar is the only one (embed_mode.py)
            expect(frame.locator('[data-testid="stTopNav"]')).to_contain_text("Leaderboard")
            assert frame.locator('[data-testid="stSidebar"]').count() == 0

            # it works, not just renders: navigate inside the iframe (a rerun over the proxied WebSocket)
            frame.locator('[data-testid="stTopNavLink"]', has_text="Leaderboard").click()
            expect(frame.locator("h1")).to_contain_text("Leaderboard", timeout=TIMEOUT_MS)
            frame.locator('[data-testid="stStatusWidget"]').wait_for(state="detached")
            inner = next(f for f in page.frames if f.url.startswith(f"{proxy}/admin/arena/"))
            assert urlsplit(inner.url).path == "/admin/arena/leaderboard"

            # a reload of AdminHub's /admin/arena route comes back to AdminHub with Arena inside
            page.reload()
            expect(page.frame_locator("#arena-frame").locator("h1")).to_contain_text("Overview")

            # a halt from the Guardrails page is audited as AdminHub's signed-in user
            frame = page.frame_locator("#arena-frame")
            frame.locator('[data-testid="stTopNavLink"]', has_text="Guardrails").click()
            expect(frame.locator("h1")).to_contain_text("Guardrails", timeout=TIMEOUT_MS)
            frame.locator('[data-testid="stStatusWidget"]').wait_for(state="detached")
            frame.get_by_role("button", name="Kill switch: HALT now").click()
            expect(frame.get_by_text("Saved trading_state")).to_be_visible(timeout=TIMEOUT_MS)

            # the API from the AdminHub page: same origin, token required
            statuses = page.evaluate(
                """async (token) => {
                    const api = '/api/admin/arena';
                    const bare = await fetch(api + '/runs');
                    const auth = await fetch(api + '/runs', {headers: {Authorization: 'Bearer ' + token}});
                    const health = await fetch(api + '/health');
                    return [bare.status, auth.status, health.status];
                }""",
                TOKEN,
            )
            assert statuses == [401, 200, 200]
        finally:
            browser.close()

    with sqlite3.connect(db_file) as conn:
        actors = conn.execute("SELECT actor FROM ai_settings_audit WHERE entity_key = 'trading_state'").fetchall()
    assert actors == [(adminhub.user,)]

    log = access_log.read_text()
    assert re.search(r'"GET /admin/arena/_stcore/stream HTTP/1\.1" 101 ', log), "no WebSocket upgrade went through"
    assert any(uri.startswith("/admin/arena/") and ok for uri, ok in adminhub.session_checks)
    assert any(uri.startswith("/admin/arena/") and not ok for uri, ok in adminhub.session_checks)
