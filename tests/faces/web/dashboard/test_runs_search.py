"""The Runs page: filters and search over the whole run history, keyset-paged (not only the newest 25), coloured
status/decision cells, an explicit "no valid agent" marker and column labels for people. SQLite and PostgreSQL.

The history is real: runs decided by the engine (litellm → the loopback LLM server) and runs queued through
`start_run`, the way the API and the Manual Run page queue them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from arena.bootstrap.database import Database
from arena.engine.runs.service import start_run
from arena.kernel.kinds import FinalAction
from arena.kernel.states import ExecutionOutcome, RunStatus
from arena.storage.read.run_listing import RunFilters, RunSearchItem, search_runs
from tests.engine.harness import make_settings, run_arena
from tests.faces.web.dashboard.conftest import button, open_page, texts
from tests.faces.web.dashboard.populate import CHEAP_OPENAI, CHEAP_OR, add_profiles, decision
from tests.support.llm_server import LLMServer, Reply

QUEUED = 26  # with the two decided runs: 28 runs, more than one page of 25


def history(db: Database, llm: LLMServer) -> dict[str, Any]:
    """Oldest first: a BUY on MSFT (blocked: the broker cannot confirm the asset), a run where every agent failed,
    then 26 queued AAPL runs — so both decided runs are older than the newest 25."""
    add_profiles(db, llm)
    llm.on(CHEAP_OPENAI, Reply(decision("BUY", 0.8, "MSFT")))
    llm.on(CHEAP_OR, Reply(decision("BUY", 0.75, "MSFT"), cost=0.0001))
    blocked = run_arena(db, make_settings(), symbols=["MSFT"])
    llm.on(CHEAP_OPENAI, Reply(status=503, error_message="down"))
    llm.on(CHEAP_OR, Reply(status=503, error_message="down"))
    agentless = run_arena(db, make_settings())
    queued = [
        start_run(
            sessions=db.sessions,
            settings=make_settings(),
            symbols=["AAPL"],
            agents=None,
            mode="competition",
            trigger="api",
            enqueue=True,
        ).run_id
        for _ in range(QUEUED)
    ]
    return {"blocked": blocked, "agentless": agentless, "queued": queued}


def every_page(db: Database, filters: RunFilters, limit: int) -> list[list[RunSearchItem]]:
    pages, cursor = [], None
    while True:
        with db.sessions() as s:
            items, cursor = search_runs(session=s, filters=filters, limit=limit, cursor=cursor)
        pages.append(items)
        if cursor is None:
            return pages


def ids(db: Database, **filters: Any) -> list[str]:
    with db.sessions() as s:
        items, _ = search_runs(session=s, filters=RunFilters(**filters), limit=200)
    return [i.run.run_id for i in items]


def test_search_filters_the_whole_history_and_pages_by_keyset(database: Database, llm: LLMServer) -> None:
    runs = history(database, llm)
    blocked, agentless = runs["blocked"]["run_id"], runs["agentless"]["run_id"]
    assert runs["blocked"]["final_action"] == "BUY" and runs["agentless"]["final_action"] == "NO_TRADE"

    pages = every_page(database, RunFilters(), limit=25)
    assert [len(p) for p in pages] == [25, 3]
    listed = [i.run.run_id for p in pages for i in p]
    assert listed == [*reversed(runs["queued"]), agentless, blocked]  # newest first, each run once

    assert ids(database, symbol="msft") == [blocked]  # the old run, found from page one of the search
    assert ids(database, symbol="MS") == [] and ids(database, symbol="%") == []  # whole tickers, no patterns
    assert ids(database, actions=(FinalAction.NO_TRADE,)) == [agentless]
    assert ids(database, statuses=(RunStatus.COMPLETED,)) == [agentless, blocked]
    assert len(ids(database, statuses=(RunStatus.QUEUED,))) == QUEUED
    assert ids(database, profile="cheap_risk_manager") == [agentless, blocked]  # queued runs have no answers yet
    assert ids(database, escalated=True) == []
    assert len(ids(database, escalated=False)) == QUEUED + 2
    assert ids(database, run_id_prefix=blocked[:6].upper()) == [blocked]
    assert ids(database, run_id_prefix="xyz%") == []
    now = datetime.now(UTC)
    assert ids(database, since=now + timedelta(days=1)) == []
    assert len(ids(database, since=now - timedelta(days=1), until=now + timedelta(days=1))) == QUEUED + 2
    assert ids(database, symbol="AAPL", actions=(FinalAction.BUY,)) == []  # filters combine

    with database.sessions() as s:
        found = {i.run.run_id: i for i in search_runs(session=s, filters=RunFilters(), limit=200)[0]}
    assert found[agentless].no_valid_agent and (found[agentless].agents, found[agentless].valid_agents) == (2, 0)
    assert not found[blocked].no_valid_agent and found[blocked].valid_agents == 2
    assert found[blocked].outcome == ExecutionOutcome.BLOCKED
    assert not found[runs["queued"][0]].no_valid_agent  # not finished: nothing to mark yet


def _column(at: Any, name: str) -> list[Any]:
    return list(at.dataframe[0].value[name])


def test_runs_page_pages_filters_colours_and_marks_agentless_runs(
    configured: str, database: Database, llm: LLMServer
) -> None:
    runs = history(database, llm)
    at = open_page("screens/runs.py")
    assert not at.error, [e.value for e in at.error]
    assert len(at.dataframe[0].value) == 25 and "Page 1" in texts(at, "caption")
    labels = str(at.dataframe[0].proto.columns)
    assert all(label in labels for label in ("Created (UTC)", "Decision", "Valid answers", "What became of it"))
    assert runs["blocked"]["run_id"] not in " ".join(_column(at, "link"))

    button(at, "Older runs →").click().run()  # the keyset's next page: the oldest queued run, then the decided two
    links = _column(at, "link")
    assert links == [
        f"run_details?run={r}" for r in (runs["queued"][0], runs["agentless"]["run_id"], runs["blocked"]["run_id"])
    ]
    assert _column(at, "answers") == ["—", "no valid agent", "2 of 2"]
    assert _column(at, "outcome") == ["—", "no_trade", "blocked"]
    assert _column(at, "status") == ["queued", "completed", "completed"]
    styles = str(at.dataframe[0].proto.arrow_data.styler.styles)
    assert "#cf222e" in styles and "#1a7f37" in styles  # red marker/blocked, green BUY/completed
    button(at, "← Newer runs").click().run()
    assert len(at.dataframe[0].value) == 25

    symbol = next(t for t in at.text_input if t.label == "Symbol")
    symbol.input("msft").run()  # a new filter starts again at the newest page
    assert _column(at, "link") == [f"run_details?run={runs['blocked']['run_id']}"]
    assert _column(at, "final action") == ["BUY"]
    assert not [b for b in at.button if b.label in ("Older runs →", "← Newer runs")]

    status = next(m for m in at.multiselect if m.label == "Status")
    status.select("queued").run()
    assert "No run matches these filters." in texts(at, "info")


def test_runs_page_on_an_empty_database_shows_the_checklist(app_env: str) -> None:
    at = open_page("screens/runs.py")
    assert not at.error and not at.dataframe
    assert "No arena runs recorded yet." in texts(at, "info") and "Setup checklist" in texts(at)


@pytest.mark.parametrize("prefix", ["not-hex", "ABCDEF0123"])
def test_a_run_id_prefix_is_matched_safely(database: Database, prefix: str) -> None:
    with database.sessions() as s:
        assert search_runs(session=s, filters=RunFilters(run_id_prefix=prefix))[0] == []
