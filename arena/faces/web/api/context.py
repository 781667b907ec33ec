"""What every handler needs: the settings and the database, opened once per process on first use.

Tests hand in their own Settings and Database; the web process lets the context load settings from the
environment and open (and migrate) the configured database lazily, so a bad DATABASE_URL answers 503 with one
line instead of stopping the dashboard from starting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from arena.bootstrap.database import Database, open_database
from arena.engine.config.settings import Settings, cached_settings
from arena.faces.web.api.errors import ApiError
from arena.kernel.errors import ConfigurationError, DatabaseError

T = TypeVar("T")


class ApiContext:
    def __init__(
        self,
        *,
        settings: Settings | None = None,
        database: Database | None = None,
        load_settings: Callable[[], Settings] = cached_settings,
    ) -> None:
        self._settings = settings
        self._database = database
        self._load_settings = load_settings
        self._lock = threading.Lock()

    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = self._load_settings()
            except ConfigurationError as exc:
                raise ApiError(503, "not_configured", str(exc)) from None
        return self._settings

    def database(self) -> Database:
        """The process's database; 503 (not cached, so a later request retries) when it cannot be opened."""
        with self._lock:
            if self._database is None:
                try:
                    self._database = open_database(self.settings())
                except (DatabaseError, ConfigurationError) as exc:
                    raise ApiError(503, "database_unavailable", str(exc)) from None
            return self._database

    async def read(self, query: Callable[[Session], T]) -> T:
        """Run a read-only query function in the thread pool with a fresh session."""

        def call() -> T:
            with self.database().sessions() as session:
                return query(session)

        return await run_in_threadpool(call)

    async def call(self, func: Callable[[], T]) -> T:
        """Run blocking work (a service call that opens its own transaction) in the thread pool."""
        return await run_in_threadpool(func)


def context(request: Request) -> ApiContext:
    ctx = request.app.state.arena
    assert isinstance(ctx, ApiContext)
    return ctx
