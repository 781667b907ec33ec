"""Dashboard fixtures: the app pointed at a real test database, filled (when asked) by real arena runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from arena.bootstrap.database import Database
from arena.faces.web.paths import APP_SCRIPT
from arena.faces.web.widgets.access import SESSION_KEY
from arena.storage.session import make_engine, session_factory
from tests.conftest import APP_ENV_NAMES
from tests.faces.web.dashboard.populate import populate
from tests.support.alpaca_server import AlpacaServer
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LOOPBACK_API_BASES, LLMServer

CONFIGURED = {
    "OPENAI_API_KEY": "sk-test-openai-key-123",
    "OPENROUTER_API_KEY": "sk-or-test-key-456",
    "ALPACA_API_KEY": "PKTEST",
    "ALPACA_SECRET_KEY": "secret-test",
    "ALPACA_TRADING_URL": "http://127.0.0.1:9",
    "ALPACA_DATA_URL": "http://127.0.0.1:9",
    "ARENA_ALLOWED_API_BASES": LOOPBACK_API_BASES,
}


@pytest.fixture
def configured(app_env: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Provider keys and broker credentials set (the broker itself unreachable: the worker is not running)."""
    for name, value in CONFIGURED.items():
        monkeypatch.setenv(name, value)
    return app_env


@pytest.fixture
def llm() -> Iterator[LLMServer]:
    with LLMServer() as server:
        yield server


@pytest.fixture
def broker() -> Iterator[AlpacaServer]:
    with AlpacaServer(hang_seconds=2.0) as server:
        yield server


@pytest.fixture
def populated(database: Database, app_env: str, llm: LLMServer, broker: AlpacaServer) -> list[dict[str, Any]]:
    """Real arena runs (engine + litellm → loopback LLM, orders → loopback Alpaca), oldest first; for tests
    that change the database."""
    return populate(database, llm, broker)


@dataclass(frozen=True)
class Shared:
    url: str
    db: Database
    runs: list[dict[str, Any]]


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shared_populated(
    request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Shared]:
    """One populated database per backend for the whole session — only for tests that never write to it."""
    folder = tmp_path_factory.mktemp(f"shared-{request.param}")
    with templates.fresh(request.param, folder) as url, LLMServer() as llm, AlpacaServer(hang_seconds=2.0) as broker:
        engine = make_engine(url)
        try:
            db = Database(engine=engine, sessions=session_factory(engine))
            yield Shared(url, db, populate(db, llm, broker))
        finally:
            engine.dispose()


@pytest.fixture
def read_only(shared_populated: Shared, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Shared:
    """The dashboard pointed at the shared populated database (read-only tests)."""
    monkeypatch.setenv("DATABASE_URL", shared_populated.url)
    for name in APP_ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    st.cache_resource.clear()
    st.cache_data.clear()
    return shared_populated


def open_page(page: str, *, query: dict[str, str] | None = None) -> AppTest:
    """Run the frame, switch to `page` (with query params), and fail on any exception."""
    at = AppTest.from_file(str(APP_SCRIPT), default_timeout=60)
    at.session_state[SESSION_KEY] = True  # signed in (widgets/access.py), as AdminHub's sign-in link would do
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def texts(at: AppTest, *kinds: str) -> str:
    """What the elements say, with Markdown escapes removed (pages escape every interpolated value)."""
    kinds = kinds or ("title", "subheader", "info", "warning", "success", "error", "text", "markdown", "caption")
    return "\n".join(re.sub(r"\\(.)", r"\1", str(e.value)) for kind in kinds for e in at.get(kind))


def button(at: AppTest, label: str) -> Any:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r}: {[b.label for b in at.button]}"
    return matches[0]


def query_param(at: AppTest, name: str) -> str:
    value = at.query_params[name]
    return value[0] if isinstance(value, list) else str(value)
