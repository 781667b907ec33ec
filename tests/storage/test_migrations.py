"""The Alembic history and the ORM models describe the same schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import CheckConstraint, Column, MetaData, String, inspect, text

from arena.bootstrap.database import Database
from arena.kernel import kinds, states
from arena.kernel.errors import DatabaseError
from arena.storage import migrate
from arena.storage.models import Base
from arena.storage.models.base import check_in

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


# Alembic's autogenerate does not compare CHECK constraints, so these tests do: every CHECK constraint of the
# models (the vocabulary ones rendered from the kernel StrEnums by `check_in`) against what the migrations created.


def _quoted(sql: str) -> list[str]:
    """The string literals of a CHECK expression, as each backend spells it back (PostgreSQL adds casts)."""
    return sorted(re.findall(r"'([^']*)'", sql))


def _model_checks() -> dict[tuple[str, str], str]:
    return {
        (table.name, str(c.name).removeprefix(f"ck_{table.name}_")): str(c.sqltext)
        for table in Base.metadata.tables.values()
        for c in table.constraints
        if isinstance(c, CheckConstraint)
    }


def _database_checks(database: Database) -> dict[tuple[str, str], str]:
    """(table, constraint name without the `ck_<table>_` prefix) → the CHECK text the migrations created."""
    inspector = inspect(database.engine)
    out: dict[tuple[str, str], str] = {}
    for table in Base.metadata.tables:
        for found in inspector.get_check_constraints(table):
            out[(table, str(found["name"]).removeprefix(f"ck_{table}_"))] = str(found["sqltext"])
    return out


def _drift(database: Database, models: dict[tuple[str, str], str]) -> list[str]:
    """Each model constraint whose literals or NULL allowance differ from the migrated one (empty when in sync)."""
    created = _database_checks(database)
    drift = [f"{key}: only in the database" for key in created.keys() - models.keys()]
    for key, sql in models.items():
        found = created.get(key)
        if found is None:
            drift.append(f"{key}: no such constraint in the database")
        elif _quoted(found) != _quoted(sql) or ("IS NULL" in found.upper()) != ("IS NULL" in sql.upper()):
            drift.append(f"{key}: database has {found!r}, the model has {sql!r}")
    return drift


def test_vocabulary_constraints_are_rendered_from_the_kernel_enums() -> None:
    models = _model_checks()
    assert models[("ai_arena_runs", "status")] == check_in("status", states.RunStatus)
    assert (
        models[("ai_arena_runs", "final_action")]
        == f"final_action IS NULL OR {check_in('final_action', kinds.FinalAction)}"
    )
    assert sum(" IN (" in sql for sql in models.values()) >= 20


def test_migrated_check_constraints_match_the_models(database: Database) -> None:
    assert _drift(database, _model_checks()) == []


def test_the_constraint_comparison_would_notice_a_new_enum_member(database: Database) -> None:
    """Guards the test above: a member added to an enum without a migration must show up as drift."""
    grown = StrEnum("RunStatus", {**{m.name: m.value for m in states.RunStatus}, "PAUSED": "paused"})  # type: ignore[misc]
    models = {**_model_checks(), ("ai_arena_runs", "status"): check_in("status", grown)}
    drift = _drift(database, models)
    assert len(drift) == 1 and "ai_arena_runs" in drift[0] and "paused" in drift[0]
