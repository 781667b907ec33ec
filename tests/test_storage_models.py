"""The schema itself refuses bad rows, and timestamps come back aware UTC, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from arena.bootstrap.database import Database
from arena.kernel.errors import ConfigurationError
from arena.storage.models import (
    AgentDecision,
    AgentProfile,
    AgentProfileVersion,
    ArenaRun,
    BrokerOrder,
    Consensus,
    OrderIntent,
)
from arena.storage.session import make_engine, parse_database_url, redact_url, transaction


def _profile_version(session: Session) -> AgentProfileVersion:
    profile = AgentProfile(name="cheap_tech_analyst", current_version=1)
    session.add(profile)
    session.flush()
    version = AgentProfileVersion(
        profile_id=profile.id,
        version=1,
        provider="openai",
        model="gpt-4o-mini",
        role="technical_analyst",
        prompt_template_id="analyst",
        prompt_version=1,
        max_tokens=512,
        temperature=0.2,
        tool_policy="none",
        mode="cheap_first",
        timeout_s=30.0,
    )
    session.add(version)
    session.flush()
    return version


def _run(session: Session, **overrides: Any) -> ArenaRun:
    run = ArenaRun(trigger="manual", symbols=["AAPL"], **overrides)
    session.add(run)
    session.flush()
    return run


def _decision(run: ArenaRun, version: AgentProfileVersion, **overrides: Any) -> AgentDecision:
    values: dict[str, Any] = {
        "run_id": run.id,
        "profile_version_id": version.id,
        "profile_name": "cheap_tech_analyst",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "role": "technical_analyst",
        "phase": "cheap",
        "status": "valid",
        "valid": True,
        "action": "BUY",
        "confidence": 0.7,
    }
    values.update(overrides)
    return AgentDecision(**values)


def _consensus(run: ArenaRun, **overrides: Any) -> Consensus:
    values: dict[str, Any] = {
        "run_id": run.id,
        "trace_id": run.trace_id,
        "final_action": "BUY",
        "outcome": "executable",
        "rule": "majority",
        "trace": {},
    }
    values.update(overrides)
    return Consensus(**values)


def _refused(database: Database, build: Any) -> None:
    """The row built by `build(session)` is rejected by the database and nothing of the transaction stays."""
    with pytest.raises(IntegrityError), transaction(database.sessions) as session:
        build(session)
        session.flush()
    with database.sessions() as session:
        assert session.scalar(select(ArenaRun).limit(1)) is None


AGENT_DECISION_VIOLATIONS: list[dict[str, Any]] = [
    {"confidence": 1.01},
    {"confidence": -0.01},
    {"action": "YOLO"},
    {"action": "NO_TRADE"},  # a final action, never an agent's
    {"phase": "bogus"},
]
CONSENSUS_VIOLATIONS: list[dict[str, Any]] = [{"confidence": 1.5}, {"final_action": "MAYBE"}, {"outcome": "vibes"}]


def test_agent_decision_check_constraints_bite(database: Database) -> None:
    # One database per backend, each violation in its own rolled-back transaction (keeps the suite fast).
    for bad in AGENT_DECISION_VIOLATIONS:

        def build(session: Session, bad: dict[str, Any] = bad) -> None:
            session.add(_decision(_run(session), _profile_version(session), **bad))

        _refused(database, build)


def test_agent_decision_accepts_the_edges(database: Database) -> None:
    with transaction(database.sessions) as session:
        run, version = _run(session), _profile_version(session)
        for confidence in (0.0, 1.0, None):
            session.add(_decision(run, version, confidence=confidence))
    with database.sessions() as session:
        stored = session.scalars(select(AgentDecision.confidence)).all()
    assert sorted(stored, key=lambda c: -1 if c is None else c) == [None, 0.0, 1.0]


def test_consensus_check_constraints_bite(database: Database) -> None:
    for bad in CONSENSUS_VIOLATIONS:
        _refused(database, lambda session, bad=bad: session.add(_consensus(_run(session), **bad)))


def test_run_status_enum_bites(database: Database) -> None:
    _refused(database, lambda session: _run(session, status="exploded"))


def test_decision_id_is_unique(database: Database) -> None:
    def build(session: Session) -> None:
        session.add(_consensus(_run(session), decision_id="d" * 32))
        session.flush()
        session.add(_consensus(_run(session), decision_id="d" * 32))

    _refused(database, build)


def test_client_order_id_is_unique_on_intents_and_broker_orders(database: Database) -> None:
    def two_intents(session: Session) -> None:
        first = _consensus(_run(session))
        second = _consensus(_run(session))
        session.add_all([first, second])
        session.flush()
        for consensus in (first, second):
            session.add(
                OrderIntent(
                    decision_id=consensus.decision_id,
                    trace_id=consensus.trace_id,
                    client_order_id="arena-abc",
                    symbol="AAPL",
                    side="buy",
                    qty=1,
                )
            )
            session.flush()

    _refused(database, two_intents)

    def two_orders(session: Session) -> None:
        _run(session)  # so the emptiness check in _refused proves the rollback
        for _ in range(2):
            session.add(BrokerOrder(client_order_id="arena-abc", symbol="AAPL", side="buy", status="new"))
            session.flush()

    _refused(database, two_orders)


def test_foreign_keys_are_enforced(database: Database) -> None:
    def orphan(session: Session) -> None:
        version = _profile_version(session)
        _run(session)
        run = ArenaRun(id="no-such-run", trigger="manual", symbols=[])
        session.add(_decision(run, version))

    _refused(database, orphan)


def test_timestamps_come_back_timezone_aware_utc(database: Database) -> None:
    plus_five = timezone(timedelta(hours=5, minutes=30))
    started = datetime(2026, 3, 1, 15, 30, 45, 123456, tzinfo=plus_five)
    with transaction(database.sessions) as session:
        run = _run(session, started_at=started)
        run_id = run.id
    with database.sessions() as session:
        row = session.get(ArenaRun, run_id)
        assert row is not None
        for value in (row.started_at, row.created_at):
            assert value is not None
            assert value.utcoffset() == timedelta(0)
            assert value.tzinfo == UTC
        assert row.started_at == started
        assert row.started_at.hour == 10  # 15:30 at +05:30 is 10:00 UTC
        assert abs(datetime.now(UTC) - row.created_at) < timedelta(minutes=5)


def test_naive_datetimes_are_refused(database: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), transaction(database.sessions) as session:
        _run(session, started_at=datetime(2026, 3, 1, 12, 0))
    with database.sessions() as session:
        assert session.scalar(select(ArenaRun).limit(1)) is None


def test_sqlite_engine_creates_its_folder_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "arena.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30_000
        assert path.parent.is_dir()
    finally:
        engine.dispose()


def test_relative_sqlite_path_is_anchored_to_the_base_dir(tmp_path: Path) -> None:
    url = parse_database_url("sqlite:///data/arena.db", base_dir=tmp_path)
    assert url.database == str(tmp_path / "data" / "arena.db")


def test_postgres_urls_use_psycopg3() -> None:
    assert parse_database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert parse_database_url("postgres://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    "raw", ["", "not a url", "sqlite://", "sqlite:///:memory:", "mysql://u@h/db", "postgresql://u@h/"]
)
def test_unusable_urls_are_configuration_errors(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        parse_database_url(raw)


def test_malformed_url_error_hides_the_password() -> None:
    assert redact_url("postgresql://arena:s3cr@t@db:5432/x") == "postgresql://arena:***@db:5432/x"
    with pytest.raises(ConfigurationError) as caught:
        parse_database_url("postgresql://arena:hunter2@db:notaport/arena")
    assert "hunter2" not in str(caught.value)
