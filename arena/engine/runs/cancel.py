"""Cancelling a run: an operator's request, and how the run's executor honours it.

Why the executor ends the run itself (not the web process): only the process running it can stop its LLM calls,
and only it knows whether the decision is already made. So:

* a **queued** run (no worker has started it) is abandoned at once with the reason and its request closed; a
  worker that claimed it meanwhile finds it no longer queued and skips it (the queued → running move is guarded);
* a **running** run gets a mark (`cancel_requested_at/by`). `execute_run` polls the mark every
  CANCEL_POLL_S while the agents decide; when it appears, the decision task is cancelled (in-flight LLM calls
  with it) and the run ends `abandoned` — "cancelled by <who>" — with the cost of the calls already made;
* once the decision is made the run finishes as usual (an order is never left half-sent): the cancel was too late.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from arena.kernel.clock import utcnow
from arena.kernel.states import RunStatus
from arena.storage.models import ArenaRun
from arena.storage.models.runs import RUN_ERROR_MAX_CHARS
from arena.storage.repositories import cancels, runs
from arena.storage.repositories import queue as queue_repo

T = TypeVar("T")
CANCEL_POLL_S = 0.5  # how often a deciding run looks for a cancel mark (one primary-key read)


class CancelOutcome(StrEnum):
    CANCELLED = "cancelled"  # it was queued: abandoned now
    REQUESTED = "requested"  # it is running: its executor stops it within CANCEL_POLL_S
    TOO_LATE = "too_late"  # already finished, or already asked
    UNKNOWN = "unknown"  # no such run


class RunCancelled(Exception):
    """Raised inside `execute_run` when the mark was seen: the run ends abandoned with `reason`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def cancel_reason(actor: str, *, started: bool = True) -> str:
    return f"cancelled by {actor}" + ("" if started else " before it started")


def request_cancel(*, sessions: sessionmaker[Session], run_id: str, actor: str) -> CancelOutcome:
    """Abandon a queued run, or mark a running one for its executor; every write is guarded."""
    with sessions() as session, session.begin():
        if session.get(ArenaRun, run_id) is None:
            return CancelOutcome.UNKNOWN
        if runs.move_run(
            session=session,
            run_id=run_id,
            from_status=RunStatus.QUEUED,
            to_status=RunStatus.ABANDONED,
            values={"error": cancel_reason(actor, started=False)[:RUN_ERROR_MAX_CHARS], "finished_at": utcnow()},
        ):
            queue_repo.finish_request(session=session, run_id=run_id)
            return CancelOutcome.CANCELLED
        if cancels.mark_cancel(session=session, run_id=run_id, actor=actor, now=utcnow()):
            return CancelOutcome.REQUESTED
        return CancelOutcome.TOO_LATE


def _reason_if_marked(*, sessions: sessionmaker[Session], run_id: str) -> str | None:
    """The cancel reason when the run is marked; None otherwise — also when the database is briefly away (the
    run must not fail because a poll did: it is looked at again next time)."""
    try:
        with sessions() as session:
            mark = cancels.cancel_mark(session=session, run_id=run_id)
    except SQLAlchemyError:
        return None
    return None if mark is None else cancel_reason(mark[1])


async def unless_cancelled(
    sessions: sessionmaker[Session], run_id: str, work: Coroutine[Any, Any, T], *, poll_s: float = CANCEL_POLL_S
) -> T:
    """`await work`, unless the run's cancel mark appears first: then `work` is cancelled and RunCancelled raised.

    A slow poll never delays the result: the work finishing wins over a poll still under way.
    """
    task = asyncio.ensure_future(work)
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=poll_s)
            if task.done():
                break
            poll = asyncio.ensure_future(asyncio.to_thread(_reason_if_marked, sessions=sessions, run_id=run_id))
            await asyncio.wait({task, poll}, return_when=asyncio.FIRST_COMPLETED)
            if task.done() or not poll.done():
                continue  # the poll's thread ends on its own; its answer no longer matters
            reason = poll.result()
            if reason is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                if task.cancelled():  # else it decided just before the cancel landed: too late, keep the result
                    raise RunCancelled(reason)
        return task.result()
    finally:
        if not task.done():  # we were cancelled ourselves (the worker let go of the run): take the work along
            task.cancel()
