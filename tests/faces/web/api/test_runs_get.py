"""GET /runs (keyset pages that stay exact while runs arrive) and GET /runs/{id} (everything, or 404)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from arena.bootstrap.database import Database
from arena.storage.models import BrokerOrder, Fill, OutcomeLink
from tests.engine.factories import decision_json
from tests.engine.harness import CHEAP_A, CHEAP_B, add_profiles, make_settings, run_arena
from tests.faces.web.api.conftest import AUTH, CheckedClient
from tests.faces.web.api.helpers import add_run
from tests.support.llm_server import LLMServer, Reply

BASE = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_an_empty_database_lists_nothing(client: CheckedClient) -> None:
    response = client.get("/runs", headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {"items": [], "next_cursor": None}


def _walk(client: CheckedClient, limit: int, between_pages: Iterator[None]) -> list[str]:
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get("/runs", params=params, headers=AUTH)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        seen.extend(item["run_id"] for item in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        next(between_pages, None)


def test_pages_have_no_duplicates_or_gaps_while_runs_are_inserted(client: CheckedClient, database: Database) -> None:
    # 23 runs, three of them sharing one timestamp with another so the id breaks the tie
    stamps = [BASE + timedelta(minutes=i) for i in range(20)] + [BASE + timedelta(minutes=7)] * 3
    originals = [(at, add_run(database, created_at=at)) for at in stamps]
    expected = [run_id for _, run_id in sorted(originals, reverse=True)]
    inserted: list[str] = []

    def insert_newer_runs() -> Iterator[None]:
        while True:  # newer runs (as the worker and API keep adding) plus one at the same instant as a page edge
            inserted.append(add_run(database))
            inserted.append(add_run(database, created_at=BASE + timedelta(minutes=7)))
            yield

    seen = _walk(client, 5, insert_newer_runs())
    assert len(seen) == len(set(seen)), "a run appeared twice"
    late_same_instant = set(inserted[1::2])
    assert [r for r in seen if r in set(expected)] == expected, "a run was skipped or out of order"
    assert not set(inserted[0::2]) & set(seen), "newer runs must not leak into older pages"
    assert inserted and late_same_instant  # the tie rows land wherever their id sorts; never twice
    first = client.get("/runs", params={"limit": 1}, headers=AUTH).json()["items"][0]
    assert first["run_id"] == inserted[-2]  # the newest run leads the next first page


def test_item_shape(client: CheckedClient, database: Database) -> None:
    run_id = add_run(database, symbols=["AAPL", "MSFT"])
    item = client.get("/runs", headers=AUTH).json()["items"][0]
    assert item["run_id"] == run_id and item["status"] == "queued" and item["symbols"] == ["AAPL", "MSFT"]
    for key in ("trace_id", "decision_id", "final_action", "cost_usd", "created_at", "trigger", "mode"):
        assert key in item


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "-3"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # valid base64 of "[]"
        ({"cursor": "x" * 600}, "cursor"),
        ({"page": "2"}, "page"),
    ],
)
def test_invalid_listing_parameters_are_422(
    client: CheckedClient, database: Database, query: dict[str, str], field: str
) -> None:
    add_run(database)
    response = client.get("/runs", params=query, headers=AUTH)
    assert response.status_code == 422, response.text
    assert field in response.json()["fields"]


def test_unknown_run_is_404(client: CheckedClient) -> None:
    for run_id in ("0" * 32, "nope", "x" * 500):
        response = client.get(f"/runs/{run_id}", headers=AUTH)
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


@pytest.fixture
def llm() -> Iterator[LLMServer]:
    with LLMServer() as server:
        yield server


def test_run_details_carry_everything_the_run_details_page_shows(
    client: CheckedClient, database: Database, llm: LLMServer
) -> None:
    llm.on(CHEAP_A, Reply(content=decision_json("BUY", 0.8), cost=0.0011, delay_s=0.05))
    llm.on(CHEAP_B, Reply(content=decision_json("BUY", 0.7), cost=0.0007))
    add_profiles(database, llm)
    summary = run_arena(database, make_settings())
    run_id, decision_id = summary["run_id"], summary["decision_id"]
    with database.sessions() as session, session.begin():
        session.add(
            BrokerOrder(
                client_order_id="arena-c1",
                broker_order_id="brk-1",
                symbol="AAPL",
                side="buy",
                qty=Decimal("3"),
                status="filled",
                filled_qty=Decimal("3"),
            )
        )
        session.flush()
        session.add(
            Fill(
                broker_fill_id="fill-1",
                client_order_id="arena-c1",
                symbol="AAPL",
                side="buy",
                qty=Decimal("3"),
                price=Decimal("190.5"),
                filled_at=BASE,
            )
        )
        session.add(
            OutcomeLink(
                decision_id=decision_id,
                trace_id=summary["trace_id"],
                client_order_id="arena-c1",
                broker_order_id="brk-1",
                order_status="filled",
                final=True,
                fill_ids=["fill-1", "fill-unknown"],
            )
        )

    response = client.get(f"/runs/{run_id}", headers=AUTH)
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["run_id"] == run_id and run["decision_id"] == decision_id
    assert run["trace_id"] == summary["trace_id"] and run["status"] == "completed" and run["final_action"] == "BUY"
    assert run["cost_usd"] == pytest.approx(0.0018)
    assert {a["profile"] for a in run["agents"]} == {"cheap_tech_analyst", "cheap_risk_manager"}
    assert all(d["rationale"] and d["action"] == "BUY" for d in run["decisions"])
    calls = run["llm_calls_detail"]
    assert {c["model"] for c in calls} == {CHEAP_A, CHEAP_B}
    assert all(c["latency_ms"] is not None and c["cost_usd"] is not None for c in calls)
    assert run["consensus"]["decision_id"] == decision_id and run["consensus"]["trace"]
    assert run["decided_by"] == "cheap_consensus" and run["consensus"]["decided_by"] == "cheap_consensus"
    assert run["quorum"] == {"valid": 2, "required": 2} and run["veto"] is None and run["judge"] is None
    assert run["debate"] == [] and {a["round"] for a in run["agents"]} == {1}
    assert run["order"] == {"client_order_id": "arena-c1", "broker_order_id": "brk-1", "status": "filled"}
    (link,) = run["outcome_links"]
    assert (link["client_order_id"], link["broker_order_id"], link["final"]) == ("arena-c1", "brk-1", True)
    assert link["fills"] == [
        {
            "broker_fill_id": "fill-1",
            "client_order_id": "arena-c1",
            "symbol": "AAPL",
            "side": "buy",
            "qty": 3.0,
            "price": 190.5,
            "filled_at": BASE.isoformat(),
        }
    ]
    listed = client.get("/runs", headers=AUTH).json()["items"][0]
    assert listed["run_id"] == run_id and listed["decision_id"] == decision_id
