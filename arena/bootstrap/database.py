"""Open the configured database for a process: validate the URL, migrate to head, hand back a session factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.settings import PROJECT_ROOT, Settings
from arena.kernel.errors import DatabaseError
from arena.storage import migrate
from arena.storage.session import make_engine, session_factory


@dataclass(frozen=True)
class Database:
    engine: Engine
    sessions: sessionmaker[Session]


def open_database(settings: Settings, *, upgrade: bool = True) -> Database:
    """Connect, fail with one clear line when unreachable, and upgrade the schema unless told not to."""
    engine = make_engine(settings.database_url, base_dir=PROJECT_ROOT)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        first = str(exc.orig or exc).strip().splitlines()
        raise DatabaseError(f"database unreachable: {first[0] if first else exc}") from None
    except SQLAlchemyError as exc:  # e.g. a file that is not a SQLite database
        engine.dispose()
        first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
        raise DatabaseError(f"database unusable: {first[0] if first else exc}") from None
    if upgrade:
        migrate.upgrade(engine)
    else:
        migrate.check_not_newer(engine)
    return Database(engine=engine, sessions=session_factory(engine))
