"""Engine and session factory for SQLite (zero setup) and PostgreSQL; no global session anywhere."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from arena.kernel.errors import ConfigurationError

SQLITE_BUSY_TIMEOUT_S = 30
PG_CONNECT_TIMEOUT_S = 5


def parse_database_url(raw: str, *, base_dir: Path | None = None) -> URL:
    """Validate DATABASE_URL and normalise it (psycopg 3 driver, absolute SQLite path)."""
    try:
        url = make_url(raw.strip())
    except (ArgumentError, ValueError):
        raise ConfigurationError(f"DATABASE_URL is malformed: {redact_url(raw)!r}") from None
    if url.get_backend_name() == "postgres":  # the common Heroku-style spelling
        url = url.set(drivername="postgresql+psycopg")
    backend = url.get_backend_name()
    if backend == "postgresql":
        if url.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
            url = url.set(drivername="postgresql+psycopg")
        if not url.database:
            raise ConfigurationError("DATABASE_URL names no PostgreSQL database")
        return url
    if backend == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:"):
            raise ConfigurationError("DATABASE_URL must name a SQLite file (sqlite:///path/arena.db)")
        path = Path(database)
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        return url.set(database=str(path))
    raise ConfigurationError(f"DATABASE_URL backend {backend!r} is not supported (use sqlite or postgresql)")


def redact_url(raw: str) -> str:
    """Mask the password of a URL that may not even parse, so an error line never leaks it."""
    return re.sub(r"(://[^:/@\s]*:)\S*@", r"\1***@", raw)


def make_engine(raw_url: str, *, base_dir: Path | None = None, echo: bool = False) -> Engine:
    """Create an engine; SQLite gets its folder, WAL, foreign keys and a busy timeout."""
    url = parse_database_url(raw_url, base_dir=base_dir)
    if url.get_backend_name() == "sqlite":
        assert url.database is not None
        folder = Path(url.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigurationError(f"cannot create the SQLite folder {folder}: {exc.strerror}") from None
        engine = create_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        connect_args={"connect_timeout": PG_CONNECT_TIMEOUT_S},
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Let SQLAlchemy own transactions (pysqlite's implicit BEGIN breaks BEGIN IMMEDIATE).
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
    cur.close()


def _sqlite_begin_immediate(conn: Any) -> None:
    # Writers take the lock up front so two processes never deadlock upgrading a read lock.
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits together or not at all."""
    with factory() as session, session.begin():
        yield session
