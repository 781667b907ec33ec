"""The real `python -m arena serve --no-worker`: the API answers on the dashboard's own port, in its process."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.faces.web.api.processes import arena_server, http

pytestmark = pytest.mark.slow

TOKEN = "served-Admin-Token-0b7e21"
KEYS = {
    "OPENAI_API_KEY": "sk-served-openai-2c9d",
    "OPENROUTER_API_KEY": "sk-or-served-8f1a",
    "ALPACA_API_KEY": "PKSERVED7781",
    "ALPACA_SECRET_KEY": "alpaca-served-secret-55e0",
}
SECRETS = [TOKEN, *KEYS.values()]


def test_api_and_dashboard_share_one_process(tmp_path: Path) -> None:
    with arena_server(tmp_path, ARENA_ADMIN_TOKEN=TOKEN, **KEYS) as base:
        api = f"{base}/api/admin/arena"
        seen: list[str] = []

        def call(path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
            status, headers, text = http(f"{api}{path}", **kwargs)
            seen.append(text + json.dumps(headers))
            return status, json.loads(text)

        status, page_headers, _ = http(f"{base}/admin/arena/")
        assert status == 200  # the dashboard, same port
        # only AdminHub's origin (the same one by default) may frame the dashboard or the API
        assert page_headers["content-security-policy"] == "frame-ancestors 'self'"
        assert http(f"{api}/health")[1]["content-security-policy"] == "frame-ancestors 'self'"
        status, health = call("/health")
        assert status == 200 and health["database"] is True and health["api_enabled"] is True

        assert call("/runs")[0] == 401
        assert call("/runs", token="wrong")[0] == 401
        assert call("/runs", token=TOKEN) == (200, {"items": [], "next_cursor": None})

        profile = {
            "name": "cheap_served",
            "provider": "openai",
            "model": "gpt-4o-mini",
            "role": "technical_analyst",
            "prompt_template_id": "technical_analyst",
        }
        status, saved = call("/profiles", method="POST", body=profile, token=TOKEN)
        assert status == 201 and saved["version"] == 1
        status, invalid = call("/run", method="POST", body={"symbols": ["$$$"]}, token=TOKEN)
        assert status == 422 and "symbols" in invalid["fields"]
        status, headers, text = http(f"{api}/run", method="POST", body={"symbols": ["AAPL"]}, token=TOKEN)
        seen.append(text + json.dumps(headers))
        accepted = json.loads(text)
        assert status == 202 and accepted["status"] == "queued"
        assert headers["location"] == f"/api/admin/arena/runs/{accepted['run_id']}"
        status, page = call("/runs", token=TOKEN)
        assert [item["run_id"] for item in page["items"]] == [accepted["run_id"]]
        status, run = call(f"/runs/{accepted['run_id']}", token=TOKEN)
        assert status == 200 and run["trigger"] == "api" and run["trace_id"] == accepted["trace_id"]
        assert call("/runs/does-not-exist", token=TOKEN)[0] == 404
        assert call("/leaderboard?window=7d", token=TOKEN)[1]["status"] == "not_enough_data"
        assert call("/leaderboard?window=1y", token=TOKEN)[0] == 422
        status, doc = call("/openapi.json", token=TOKEN)
        assert status == 200 and "/runs/{run_id}" in doc["paths"]

        for text in seen:
            for secret in SECRETS:
                assert secret not in text


def test_without_a_configured_token_serve_makes_one_and_the_api_requires_it(tmp_path: Path) -> None:
    """Zero setup still means no anonymous access: serve writes a local token (0600) and the API demands it."""
    with arena_server(tmp_path) as base:
        api = f"{base}/api/admin/arena"
        token_file = tmp_path / "admin_token"
        token = token_file.read_text().strip()
        assert len(token) >= 32 and (token_file.stat().st_mode & 0o777) == 0o600
        assert http(f"{api}/health")[0] == 200
        assert json.loads(http(f"{api}/health")[2])["api_enabled"] is True
        assert http(f"{api}/runs")[0] == 401
        assert http(f"{api}/runs", token="anything")[0] == 401
        assert http(f"{api}/runs", token=token)[0] == 200
