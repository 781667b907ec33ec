"""The Runs page's search: filters over the whole run history, paged by keyset (older / newer), one table.

The paging state is a stack of cursors per filter set: changing a filter starts again at the newest page, and a
run queued meanwhile never shifts the page being read (the cursor is a position, not an offset).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import streamlit as st

from arena.bootstrap.database import Database
from arena.faces.web.widgets.runs_table import render_runs_table
from arena.kernel.kinds import FinalAction
from arena.kernel.states import RunStatus
from arena.storage.read.run_listing import RunFilters, search_runs
from arena.storage.repositories.profiles import current_profiles

PAGE_SIZE = 25
STATE_KEY = "runs_search_pages"
ANY = "any"
ESCALATED = {ANY: None, "escalated": True, "not escalated": False}


def _day_start(day: date | None, *, plus: int = 0) -> datetime | None:
    return None if day is None else datetime.combine(day + timedelta(days=plus), time.min, tzinfo=UTC)


def _day(value: object) -> date | None:
    return value if isinstance(value, date) else None


def filter_form(profiles: list[str]) -> RunFilters:
    """The filter widgets, read into one RunFilters (an empty widget filters nothing)."""
    top = st.columns([2, 2, 2, 1])
    statuses = top[0].multiselect("Status", list(RunStatus), placeholder="any status")
    actions = top[1].multiselect("Decision", list(FinalAction), placeholder="any decision")
    profile = top[2].selectbox("Agent profile that answered", [ANY, *profiles])
    escalated = top[3].selectbox("Escalation", list(ESCALATED))
    low = st.columns([2, 2, 1, 1])
    prefix = low[0].text_input("Run id starts with", placeholder="e.g. 3f9a1c")
    symbol = low[1].text_input("Symbol", placeholder="e.g. AAPL")
    since = _day(low[2].date_input("Created from (UTC)", value=None))
    until = _day(low[3].date_input("Created to (UTC)", value=None))
    return RunFilters(
        statuses=tuple(statuses),
        actions=tuple(actions),
        symbol=symbol.strip() or None,
        profile=None if profile == ANY else profile,
        escalated=ESCALATED[escalated],
        since=_day_start(since),
        until=_day_start(until, plus=1),  # the whole "to" day is included
        run_id_prefix=prefix.strip() or None,
    )


def _pages(filters: RunFilters) -> list[str | None]:
    """The cursor stack for these filters (a new filter set starts again at the newest page)."""
    state = st.session_state.get(STATE_KEY)
    if not state or state[0] != filters:
        fresh: list[str | None] = [None]
        state = (filters, fresh)
        st.session_state[STATE_KEY] = state
    cursors: list[str | None] = state[1]
    return cursors


def _newer(cursors: list[str | None]) -> None:
    cursors.pop()


def _older(cursors: list[str | None], cursor: str) -> None:
    cursors.append(cursor)


def render_runs_search(db: Database) -> bool:
    """Draw the filters, the page of runs and the paging buttons; False when no run is recorded at all."""
    with db.sessions() as session:
        profiles = sorted(p.name for p, _ in current_profiles(session=session))
    filters = filter_form(profiles)
    cursors = _pages(filters)
    with db.sessions() as session:
        items, next_cursor = search_runs(session=session, filters=filters, limit=PAGE_SIZE, cursor=cursors[-1])
    if not items:
        st.info("No run matches these filters." if filters != RunFilters() else "No arena runs recorded yet.")
        return filters != RunFilters()
    st.caption(
        f"Page {len(cursors)} · {len(items)} run{'' if len(items) == 1 else 's'}, newest first · click a row to open its details. "
        '"no valid agent": every agent answer failed, so the decision is not a market judgement.'
    )
    render_runs_table(items, key=f"runs_search_{len(cursors)}")
    with st.container(horizontal=True):
        if len(cursors) > 1:
            st.button("← Newer runs", on_click=_newer, args=(cursors,))
        if next_cursor is not None:
            st.button("Older runs →", on_click=_older, args=(cursors, next_cursor))
    return True
