"""Alembic driven from code: upgrade at start, refuse a database newer than this code."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from arena.kernel.errors import DatabaseError

log = logging.getLogger("arena.storage.migrate")

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise DatabaseError(f"database unreachable: {_short(exc)}") from None


def check_not_newer(engine: Engine) -> None:
    """A revision this code does not know means the database was migrated by newer code."""
    current = current_revision(engine)
    if current is None:
        return
    script = ScriptDirectory.from_config(alembic_config())
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        raise DatabaseError(
            f"database is at migration {current}, which this code does not know "
            f"(its newest is {head_revision()}); upgrade Arena instead of the database"
        )


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade and say so in one line when anything changed (Alembic's own chatter is kept at WARNING)."""
    before = current_revision(engine)
    _run(engine, "upgrade", revision)
    after = current_revision(engine)
    if after != before:
        log.info("database migrated from %s to %s", before or "empty", after)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)


def _run(engine: Engine, verb: str, revision: str) -> None:
    check_not_newer(engine)
    cfg = alembic_config()
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            getattr(command, verb)(cfg, revision)
    except OperationalError as exc:
        raise DatabaseError(f"database unreachable: {_short(exc)}") from None
    except SQLAlchemyError as exc:
        raise DatabaseError(f"migration failed: {_short(exc)}") from None


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "orig", exc) or exc).strip()
    return text.splitlines()[0] if text else exc.__class__.__name__
