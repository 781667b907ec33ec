"""The worker's built-in periodic jobs: reconciliation and scoring/ranking, run as the worker runs them."""

from __future__ import annotations

from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.bootstrap.services import build_broker, build_services
from arena.engine.execution.pipeline import submit_idempotently
from arena.kernel.ids import client_order_id
from arena.storage.models import Consensus, LeaderboardSnapshot
from arena.storage.repositories import orders, runs
from arena.worker.periodic import JobContext, periodic_jobs
from tests.support.alpaca_server import AlpacaServer, settings_for


def test_reconcile_and_rank_are_scheduled_and_do_their_work(sqlite_database: Database) -> None:
    jobs = {job.name: job for job in periodic_jobs()}
    assert jobs["reconcile_orders"].seconds == 30 and "score_and_rank" in jobs
    db = sqlite_database
    with AlpacaServer() as broker:
        broker.set_asset("AAPL")
        broker.set_account(100_000, 100_000, 200_000)
        settings = settings_for(broker)
        with db.sessions() as s, s.begin():
            run = runs.create_run(session=s, trigger="manual", mode="competition", symbols=["AAPL"], agents=None)
            c = Consensus(
                run_id=run.id,
                trace_id=run.trace_id,
                final_action="BUY",
                outcome="executed",
                symbol="AAPL",
                rule="unanimous",
                trace={},
            )
            runs.add_consensus(session=s, row=c)
            cid = client_order_id(c.decision_id)
            orders.create_intent(
                session=s,
                decision_id=c.decision_id,
                trace_id=run.trace_id,
                client_order_id=cid,
                symbol="AAPL",
                side="buy",
                qty=2,
            )
        submit_idempotently(
            sessions=db.sessions, broker=build_broker(settings), client_order_id=cid, symbol="AAPL", side="buy", qty=2
        )
        ctx = JobContext(
            settings=settings,
            sessions=db.sessions,
            worker_id="test",
            ports=build_services(settings, db).ports,
        )
        jobs["reconcile_orders"].fn(ctx)
        with db.sessions() as s:
            order = orders.broker_order(session=s, client_order_id=cid)
            assert order is not None and order.status == "partially_filled"
        jobs["score_and_rank"].fn(ctx)
    with db.sessions() as s:
        assert s.scalar(select(func.count()).select_from(LeaderboardSnapshot)) == 9  # 3 windows × 3 groupings
