"""API test fixtures: the API app over a real database, and a client that checks every response for secrets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from sqlalchemy.engine import make_url
from starlette.testclient import TestClient

from arena.bootstrap.database import Database
from arena.engine.config.settings import Settings
from arena.faces.web.api import ApiContext, build_api
from tests.engine.harness import make_settings

TOKEN = "adm-Tok3n-5ecret-7f3a9c"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def secrets_of(settings: Settings) -> list[str]:
    """Every secret value the process knows: none may ever appear in a response."""
    values = [
        s.get_secret_value()
        for s in (
            settings.admin_token,
            settings.openai_api_key,
            settings.openrouter_api_key,
            settings.alpaca_api_key,
            settings.alpaca_secret_key,
        )
        if s is not None and s.get_secret_value()
    ]
    password = make_url(settings.database_url).password
    if password:
        values.append(str(password))
    return values


def assert_no_secret(response: httpx.Response, secrets: list[str]) -> None:
    text = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for secret in secrets:
        assert secret not in text, f"{response.request.method} {response.request.url} leaked a secret"
    assert "Traceback" not in text and 'File "' not in text


class CheckedClient(TestClient):
    """A TestClient that fails the test if any response carries a secret or a stack trace."""

    secrets: list[str]

    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        response = super().request(*args, **kwargs)
        assert_no_secret(response, self.secrets)
        return response


def api_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"DATABASE_URL": db_url, "ARENA_ADMIN_TOKEN": TOKEN}
    values.update(overrides)
    return make_settings(**values)


def checked_client(settings: Settings, database: Database | None) -> CheckedClient:
    client = CheckedClient(build_api(ApiContext(settings=settings, database=database)), raise_server_exceptions=False)
    client.secrets = secrets_of(settings)
    return client


@pytest.fixture
def settings(db_url: str) -> Settings:
    return api_settings(db_url)


@pytest.fixture
def client(settings: Settings, database: Database) -> Iterator[CheckedClient]:
    """The API over a migrated database, once on SQLite and once on PostgreSQL."""
    with checked_client(settings, database) as c:
        yield c


@pytest.fixture
def sqlite_client(sqlite_url: str, sqlite_database: Database) -> Iterator[CheckedClient]:
    """The API over SQLite only, for behaviour that does not depend on the database backend (auth, errors)."""
    with checked_client(api_settings(sqlite_url), sqlite_database) as c:
        yield c
