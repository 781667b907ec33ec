"""The worker ranks the leaderboard with ARENA_LEADERBOARD_MIN_SAMPLE, not a code constant."""

from __future__ import annotations

from sqlalchemy import select

from arena.bootstrap.database import Database
from arena.bootstrap.services import build_services
from arena.storage.models import LeaderboardSnapshot
from arena.worker.periodic import JobContext, periodic_jobs
from tests.engine.harness import make_settings


def test_score_and_rank_materialises_with_the_configured_minimum_sample(sqlite_database: Database) -> None:
    settings = make_settings(ARENA_LEADERBOARD_MIN_SAMPLE=7)
    ctx = JobContext(
        settings=settings,
        sessions=sqlite_database.sessions,
        worker_id="test",
        ports=build_services(settings, sqlite_database).ports,
    )
    jobs = {job.name: job for job in periodic_jobs()}
    jobs["score_and_rank"].fn(ctx)  # nothing to score yet (no runs): it only materialises
    with sqlite_database.sessions() as s:
        samples = [row.payload["min_sample"] for row in s.scalars(select(LeaderboardSnapshot))]
    assert len(samples) == 9 and set(samples) == {7}
