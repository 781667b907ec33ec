"""Shared fixtures: real SQLite and PostgreSQL databases (never faked)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st

from arena.bootstrap.database import Database
from arena.storage.session import make_engine, session_factory
from tests.support.databases import TemplateDatabases
from tests.support.llm_server import LOOPBACK_API_BASES


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TemplateDatabases]:
    tpl = TemplateDatabases(tmp_path_factory.mktemp("db-templates"))
    yield tpl
    tpl.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, templates: TemplateDatabases, tmp_path: Path) -> Iterator[str]:
    """A migrated empty database, once on SQLite and once on PostgreSQL."""
    with templates.fresh(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def sqlite_url(templates: TemplateDatabases, tmp_path: Path) -> Iterator[str]:
    with templates.fresh("sqlite", tmp_path) as url:
        yield url


@pytest.fixture
def pg_db_url(templates: TemplateDatabases, tmp_path: Path) -> Iterator[str]:
    with templates.fresh("postgres", tmp_path) as url:
        yield url


def _database(url: str) -> Iterator[Database]:
    engine = make_engine(url)
    try:
        yield Database(engine=engine, sessions=session_factory(engine))
    finally:
        engine.dispose()


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """A migrated Database on both backends (parametrised through db_url)."""
    yield from _database(db_url)


@pytest.fixture
def sqlite_database(sqlite_url: str) -> Iterator[Database]:
    yield from _database(sqlite_url)


@pytest.fixture
def pg_database(pg_db_url: str) -> Iterator[Database]:
    yield from _database(pg_db_url)


# What the dashboard would otherwise pick up from the shell running the tests.
APP_ENV_NAMES = (
    "OPENAI_API_KEY",
    "OPENROUTER_API_KEY",
    "ALPACA_API_KEY",
    "ALPACA_SECRET_KEY",
    "ALPACA_TRADING_URL",
    "ALPACA_DATA_URL",
    "ARENA_ADMIN_TOKEN",
    "ARENA_EXECUTION",
)


@pytest.fixture
def app_env(db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    """The dashboard reads this test's database; no key configured; nothing cached from another test."""
    monkeypatch.setenv("DATABASE_URL", db_url)
    for name in APP_ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    # the tests' profiles point at loopback LLM servers: let the dashboard save them (keys still unset)
    monkeypatch.setenv("ARENA_ALLOWED_API_BASES", LOOPBACK_API_BASES)
    monkeypatch.chdir(tmp_path)  # no repository .env
    st.cache_resource.clear()
    st.cache_data.clear()
    yield db_url
    st.cache_resource.clear()
    st.cache_data.clear()
