"""The broker's word wins over the run's: reconciliation that saw the order rejected while the run was still
finishing is not overwritten by the run's own `executed` (the submit had been accepted)."""

from __future__ import annotations

from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.engine.execution.pipeline import ExecutionResult, store_outcome
from arena.kernel.states import ExecutionOutcome
from arena.storage.models import Consensus
from arena.storage.repositories.orders import mark_decision_refused
from arena.storage.repositories.runs import create_run


def consensus_for(db: Database, outcome: ExecutionOutcome) -> tuple[str, str]:
    with db.sessions() as session, session.begin():
        run = create_run(session=session, trigger="manual", mode="competition", symbols=["AAPL"], agents=None)
        row = Consensus(
            run_id=run.id, trace_id=run.trace_id, final_action="BUY", outcome=outcome, rule="unanimous", trace={}
        )
        session.add(row)
        session.flush()
        return run.id, row.decision_id


def outcome_of(db: Database, run_id: str) -> str:
    with db.sessions() as s:
        return str(s.scalar(select(Consensus.outcome).where(Consensus.run_id == run_id)))


def test_a_rejection_seen_by_reconciliation_survives_the_runs_own_outcome(database: Database) -> None:
    run_id, decision_id = consensus_for(database, ExecutionOutcome.EXECUTABLE)
    with database.sessions() as session, session.begin():
        mark_decision_refused(session=session, decision_id=decision_id)  # the worker saw `rejected` first
    store_outcome(sessions=database.sessions, run_id=run_id, result=ExecutionResult(ExecutionOutcome.EXECUTED))
    assert outcome_of(database, run_id) == "refused"


def test_the_runs_outcome_is_stored_otherwise(database: Database) -> None:
    run_id, _ = consensus_for(database, ExecutionOutcome.EXECUTABLE)
    store_outcome(sessions=database.sessions, run_id=run_id, result=ExecutionResult(ExecutionOutcome.EXECUTED))
    assert outcome_of(database, run_id) == "executed"
    store_outcome(sessions=database.sessions, run_id=run_id, result=ExecutionResult(ExecutionOutcome.BLOCKED))
    assert outcome_of(database, run_id) == "blocked"
