"""Real Chromium against a real `serve`: one sign-in link keeps the browser signed in across a reload, a new tab
and a pasted deep link (the HttpOnly cookie); a browser that sends its own X-Forwarded-User straight to Arena (not
through a trusted proxy) is audited as the default actor; sign-out ends the session."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faces.web.dashboard.browser import require_chromium, serve, settle, signed
from tests.support.chromium import CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SPOOFED = "alice.ceo@corp.example"
TIMEOUT_MS = 30_000


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db_file = tmp_path / "arena.db"
    with serve(f"sqlite:///{db_file}", tmp_path) as base:
        yield base, db_file


def heading(page: Any) -> str:
    settle(page)
    return str(page.locator("h1").first.inner_text())


def test_one_link_keeps_reload_tab_and_deep_link_signed_in_and_spoofed_users_are_ignored(
    site: tuple[str, Path],
) -> None:
    from playwright.sync_api import expect, sync_playwright

    base, db_file = site
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=require_chromium(), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(extra_http_headers={"X-Forwarded-User": SPOOFED})
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            page.goto(signed(base, ""))
            assert "Overview" in heading(page)
            assert "auth=" not in page.url
            [cookie] = [c for c in context.cookies() if c["name"] == "arena_session"]
            assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax" and cookie["path"] == "/admin/arena"
            assert page.evaluate("document.cookie").find("arena_session") == -1  # scripts cannot read it

            page.reload()
            assert "Overview" in heading(page)
            tab = context.new_page()
            tab.goto(f"{base}/leaderboard")
            assert "Leaderboard" in heading(tab)

            # a pasted deep link, then a real audited action: the halt
            tab.goto(f"{base}/guardrails")
            assert "Guardrails" in heading(tab)
            tab.get_by_role("button", name="Kill switch: HALT now").click()
            expect(tab.get_by_text("Saved trading_state")).to_be_visible()

            tab.get_by_role("link", name="Sign out").click()
            expect(tab.get_by_label("Admin token")).to_be_visible()
            page.goto(f"{base}/overview")
            expect(page.get_by_label("Admin token")).to_be_visible()
        finally:
            browser.close()

    with sqlite3.connect(db_file) as conn:
        actors = conn.execute("SELECT actor FROM ai_settings_audit WHERE entity_key = 'trading_state'").fetchall()
    assert actors == [("dashboard",)]  # not SPOOFED: the browser is no trusted proxy
