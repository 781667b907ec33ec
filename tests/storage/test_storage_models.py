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
from arena.kernel.errors import ConfigurationError, IllegalTransition
from arena.kernel.lifecycles import ORDER_TRANSITIONS, RUN_TRANSITIONS
from arena.kernel.states import OrderStatus, RunStatus
from arena.storage.models import (
    AgentDecision,
    AgentProfile,
    AgentProfileVersion,
    ArenaRun,
    BrokerOrder,
    Consensus,
    OrderIntent,
)
from arena.storage.repositories import orders as order_repo
from arena.storage.repositories import runs as run_repo
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


def _status_of_run(database: Database, run_id: str) -> str:
    with database.sessions() as session:
        run = session.get(ArenaRun, run_id)
        assert run is not None
        return run.status


def test_illegal_run_moves_are_refused_by_the_repository(database: Database) -> None:
    """move_run consults the transition table before it writes: queued → completed skips running, a final
    status is final, and an unknown status is no status at all."""
    with transaction(database.sessions) as session:
        run_id = _run(session).id
    for source, target in (("queued", "completed"), ("queued", "queued"), ("queued", "exploded")):
        with pytest.raises(IllegalTransition), transaction(database.sessions) as session:
            run_repo.move_run(session=session, run_id=run_id, from_status=source, to_status=target)
        assert _status_of_run(database, run_id) == RunStatus.QUEUED
    with transaction(database.sessions) as session:
        assert run_repo.move_run(session=session, run_id=run_id, from_status="queued", to_status="running")
        assert run_repo.move_run(session=session, run_id=run_id, from_status="running", to_status="failed")
    refused = pytest.raises(IllegalTransition, match="run cannot go from failed to running")
    with refused, transaction(database.sessions) as session:
        run_repo.move_run(session=session, run_id=run_id, from_status="failed", to_status="running")
    assert _status_of_run(database, run_id) == RunStatus.FAILED


def _order(database: Database) -> str:
    """A pending intent with its broker-order row and link, as the pipeline writes them before submitting."""
    with transaction(database.sessions) as session:
        consensus = _consensus(_run(session))
        session.add(consensus)
        session.flush()
        intent, _ = order_repo.create_intent(
            session=session,
            decision_id=consensus.decision_id,
            trace_id=consensus.trace_id,
            client_order_id=f"arena-{consensus.decision_id}",
            symbol="AAPL",
            side="buy",
            qty=1,
        )
        return intent.client_order_id


def _order_status(database: Database, client_order_id: str) -> tuple[str, str | None, bool]:
    with database.sessions() as session:
        row = order_repo.broker_order(session=session, client_order_id=client_order_id)
        link = order_repo.link_for_order(session=session, client_order_id=client_order_id)
        assert row is not None and link is not None
        return row.status, link.order_status, link.final


def test_illegal_order_moves_are_refused_by_the_repository(database: Database) -> None:
    cid = _order(database)
    assert _order_status(database, cid) == (OrderStatus.PENDING, OrderStatus.PENDING, False)

    def move(target: str) -> None:
        with transaction(database.sessions) as session:
            row = order_repo.broker_order(session=session, client_order_id=cid)
            link = order_repo.link_for_order(session=session, client_order_id=cid)
            assert row is not None
            order_repo.move_order(session=session, row=row, to_status=target, link=link)

    for illegal in ("pending", "exploded"):
        with pytest.raises(IllegalTransition):
            move(illegal)
    move("partially_filled")
    with pytest.raises(IllegalTransition, match="order cannot go from partially_filled to new"):
        move("new")  # filled quantity only grows
    move("filled")
    assert _order_status(database, cid) == (OrderStatus.FILLED, OrderStatus.FILLED, True)
    with pytest.raises(IllegalTransition):
        move("canceled")  # final is final
    assert _order_status(database, cid) == (OrderStatus.FILLED, OrderStatus.FILLED, True)


def test_transition_tables_name_every_state_and_only_known_ones() -> None:
    assert set(RUN_TRANSITIONS) == set(RunStatus)
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)


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
