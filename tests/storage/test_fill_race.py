"""Two transactions booking the same broker fill at once (a run's own order lookup and the worker's
reconciliation): exactly one row, and the loser's transaction still commits the rest of its work."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.storage.models import BrokerOrder, Fill
from arena.storage.repositories.orders import add_fill


def book(session, fill_id: str) -> Fill | None:  # type: ignore[no-untyped-def]
    return add_fill(
        session=session,
        broker_fill_id=fill_id,
        client_order_id="arena-cid-1",
        symbol="AAPL",
        side="buy",
        qty=Decimal("1"),
        price=Decimal("100"),
        filled_at=datetime(2025, 3, 14, 15, tzinfo=UTC),
    )


def test_the_same_fill_booked_by_two_transactions_at_once_is_one_row(database: Database) -> None:
    with database.sessions() as session, session.begin():
        session.add(BrokerOrder(client_order_id="arena-cid-1", symbol="AAPL", side="buy", status="filled"))
    outcome: dict[str, object] = {}

    def second() -> None:
        try:
            with database.sessions() as session, session.begin():
                outcome["duplicate"] = book(session, "fill-1")  # waits for the first transaction, then loses
                outcome["other"] = book(session, "fill-2")  # and its transaction carries on
        except Exception as exc:  # pragma: no cover - the failure this test exists for
            outcome["error"] = exc

    with database.sessions() as first, first.begin():
        assert book(first, "fill-1") is not None
        racer = threading.Thread(target=second)
        racer.start()
        time.sleep(0.5)  # the second transaction is now blocked on the first one's row or lock
    racer.join(timeout=30)

    assert "error" not in outcome, outcome.get("error")
    assert outcome["duplicate"] is None and outcome["other"] is not None
    with database.sessions() as s:
        ids = sorted(s.scalars(select(Fill.broker_fill_id)))
        assert ids == ["fill-1", "fill-2"]
        assert s.scalar(select(func.count()).select_from(Fill)) == 2
