"""The Alembic history and the ORM models describe the same schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, MetaData, String, inspect, text

from arena.bootstrap.database import Database
from arena.kernel.errors import DatabaseError
from arena.storage import migrate
from arena.storage.models import Base

BRIEF_TABLES = {
    "ai_agent_profiles",
    "ai_arena_runs",
    "ai_arena_agent_decisions",
    "ai_arena_consensus",
    "ai_cost_telemetry",
    "ai_outcome_links",
}


def _schema_diff(database: Database, metadata: MetaData = Base.metadata) -> list[object]:
    """What `alembic revision --autogenerate` would write for this database (empty when in sync)."""
    with database.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        return list(compare_metadata(ctx, metadata))


def _tables(database: Database) -> set[str]:
    return set(inspect(database.engine).get_table_names()) - {"alembic_version"}


def test_models_and_migrations_agree(database: Database) -> None:
    assert migrate.current_revision(database.engine) == migrate.head_revision()
    assert _schema_diff(database) == []


def test_the_comparison_would_notice_a_model_change(database: Database) -> None:
    """Guards the test above: a column added to the models but not migrated must show up as a diff."""
    drifted = MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(drifted)
    drifted.tables["ai_arena_runs"].append_column(Column("unmigrated_note", String(20), nullable=True))

    diff = _schema_diff(database, drifted)
    assert [(d[0], d[3].name) for d in diff if isinstance(d, tuple)] == [("add_column", "unmigrated_note")]


def test_every_model_table_and_the_brief_tables_exist(database: Database) -> None:
    tables = _tables(database)
    assert set(Base.metadata.tables) == tables
    assert tables >= BRIEF_TABLES


def test_upgrade_downgrade_base_upgrade_round_trip(database: Database) -> None:
    migrate.downgrade(database.engine, "base")
    assert _tables(database) == set()
    assert migrate.current_revision(database.engine) is None

    migrate.upgrade(database.engine)
    assert migrate.current_revision(database.engine) == migrate.head_revision()
    assert _tables(database) == set(Base.metadata.tables)
    assert _schema_diff(database) == []


def test_upgrade_at_head_is_a_no_op(database: Database) -> None:
    migrate.upgrade(database.engine)
    migrate.upgrade(database.engine)
    assert migrate.current_revision(database.engine) == migrate.head_revision()


def test_database_from_newer_code_is_refused_and_left_alone(database: Database) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    before = _tables(database)

    with pytest.raises(DatabaseError, match="ffff_from_the_future"):
        migrate.upgrade(database.engine)
    with pytest.raises(DatabaseError, match="does not know"):
        migrate.check_not_newer(database.engine)

    assert migrate.current_revision(database.engine) == "ffff_from_the_future"
    assert _tables(database) == before
