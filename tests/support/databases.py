"""Real databases for tests: a migrated SQLite file per test, a fresh PostgreSQL database per test.

Each pytest process migrates one template (SQLite file / PostgreSQL template database) and copies it per test,
so tests are isolated and runs on the same server cannot collide (names carry the pid and a random suffix).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from arena.storage import migrate
from arena.storage.session import make_engine

PG_ADMIN_URL = os.environ.get("ARENA_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"


def pg_url(database: str) -> str:
    return make_url(PG_ADMIN_URL).set(database=database).render_as_string(hide_password=False)


def _pg_admin_engine():  # type: ignore[no-untyped-def]
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


def create_pg_database(name: str, *, template: str | None = None) -> str:
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            tpl = f" TEMPLATE {template}" if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{tpl}'))
    finally:
        admin.dispose()
    return pg_url(name)


def drop_pg_database(name: str) -> None:
    admin = _pg_admin_engine()
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class TemplateDatabases:
    """Migrated templates for one pytest process, created lazily."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._sqlite_template: Path | None = None
        self._pg_template: str | None = None

    def sqlite_template(self) -> Path:
        if self._sqlite_template is None:
            path = self.workdir / "template.db"
            engine = make_engine(f"sqlite:///{path}")
            migrate.upgrade(engine)
            engine.dispose()
            self._sqlite_template = path
        return self._sqlite_template

    def pg_template(self) -> str:
        if self._pg_template is None:
            name = unique_name("arena_tpl")
            url = create_pg_database(name)
            engine = make_engine(url)
            try:
                migrate.upgrade(engine)
            finally:
                engine.dispose()
            self._pg_template = name
        return self._pg_template

    @contextmanager
    def fresh(self, backend: str, tmp: Path) -> Iterator[str]:
        """A migrated, empty database URL for one test; removed afterwards."""
        if backend == "sqlite":
            target = tmp / "arena.db"
            shutil.copyfile(self.sqlite_template(), target)
            yield f"sqlite:///{target}"
            return
        name = unique_name("arena_t")
        url = create_pg_database(name, template=self.pg_template())
        try:
            yield url
        finally:
            drop_pg_database(name)

    def close(self) -> None:
        if self._pg_template is not None:
            drop_pg_database(self._pg_template)
