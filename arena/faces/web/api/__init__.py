"""Arena's REST API (DESIGN §2), served by the dashboard's own process through `st.App(routes=[...])`.

app (route table, mount) · auth (bearer token) · context (settings, database) · errors (JSON error bodies) ·
models (pydantic bodies) · runs · profiles · misc (health, leaderboard, openapi.json) · openapi (the document).
It calls engine services (runs, profiles) and the read models of `arena/storage/read/` only; it holds no SQL.
"""

from __future__ import annotations

from arena.faces.web.api.app import API_PREFIX, ROUTES, api_mount, build_api
from arena.faces.web.api.context import ApiContext

__all__ = ["API_PREFIX", "ROUTES", "ApiContext", "api_mount", "build_api"]
