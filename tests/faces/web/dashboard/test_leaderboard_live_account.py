"""The Leaderboard's paper account is read live, on the page and in `GET /leaderboard`: a fill that lands after the
worker's leaderboard snapshot is counted at once (issue 19: never 15 minutes stale)."""

from __future__ import annotations

from decimal import Decimal

from arena.bootstrap.database import Database
from arena.engine.outcomes.leaderboard import materialize
from arena.kernel.clock import utcnow
from arena.storage.models import BrokerOrder
from arena.storage.repositories.orders import add_fill
from tests.faces.web.api.conftest import AUTH, api_settings, checked_client
from tests.faces.web.dashboard.conftest import open_page, texts


def test_a_fill_after_the_snapshot_shows_at_once(app_env: str, database: Database, db_url: str) -> None:
    materialize(sessions=database.sessions)  # the worker's snapshot: no fill yet
    at = open_page("screens/leaderboard.py")
    assert "Real (paper) account" not in texts(at)  # nothing traded: no panel of zeros
    with database.sessions() as session, session.begin():
        session.add(BrokerOrder(client_order_id="arena-live-1", symbol="AAPL", side="buy", status="filled"))
        session.flush()
        add_fill(
            session=session,
            broker_fill_id="fill-live-1",
            client_order_id="arena-live-1",
            symbol="AAPL",
            side="buy",
            qty=Decimal("2"),
            price=Decimal("101.5"),
            filled_at=utcnow(),
        )
    at = open_page("screens/leaderboard.py")
    shown = texts(at)
    assert "Real (paper) account" in shown and "fills 1" in shown
    with checked_client(api_settings(db_url), database) as client:
        board = client.get("/leaderboard", params={"window": "7d"}, headers=AUTH).json()
    assert board["real_account"]["fills"] == 1
