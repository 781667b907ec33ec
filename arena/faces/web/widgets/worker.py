"""Worker health as the pages show it: up when the newest heartbeat is fresher than HEARTBEAT_STALE_AFTER."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy.orm import Session

from arena.engine.config.setup_checklist import HEARTBEAT_STALE_AFTER
from arena.faces.web.widgets.format import ago, md_escape
from arena.kernel.states import WorkerRole
from arena.storage.read.dashboard import WorkerBeat, worker_heartbeats


@dataclass(frozen=True)
class WorkerHealth:
    up: bool
    summary: str
    heartbeats: list[WorkerBeat]


def worker_health(*, session: Session, now: datetime | None = None) -> WorkerHealth:
    now = now or datetime.now(UTC)
    beats = worker_heartbeats(session=session)
    if not beats:
        return WorkerHealth(False, "no worker has ever reported (start `python -m arena worker`)", beats)
    newest = beats[0]
    # a cleanly stopped worker keeps its last beat time; it is down at once, not 60 s later
    up = newest.role != WorkerRole.STOPPED and now - newest.heartbeat_at <= HEARTBEAT_STALE_AFTER
    who = md_escape(f"{newest.worker_id} on {newest.hostname} (pid {newest.pid})")
    if up:
        return WorkerHealth(True, f"{who}, last heartbeat {ago(newest.heartbeat_at, now)}", beats)
    if newest.role == WorkerRole.STOPPED:
        return WorkerHealth(False, f"{who} stopped cleanly {ago(newest.heartbeat_at, now)}", beats)
    return WorkerHealth(
        False,
        f"last heartbeat {ago(newest.heartbeat_at, now)} from {who}; "
        f"considered down after {int(HEARTBEAT_STALE_AFTER.total_seconds())} s",
        beats,
    )


def render_worker_banner(health: WorkerHealth) -> None:
    if health.up:
        st.success(f"Worker up — {health.summary}", icon=":material/check_circle:")
    else:
        st.warning(f"Worker down — {health.summary}", icon=":material/warning:")
