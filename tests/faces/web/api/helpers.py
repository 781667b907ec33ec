"""Rows for API tests, written through the same repository functions the product uses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from arena.bootstrap.database import Database
from arena.engine.config.profiles import ProfileSpec
from arena.storage.models import ArenaRun, RunRequest
from arena.storage.repositories.profiles import upsert_profile
from arena.storage.repositories.runs import create_run

LLM_BASE = "http://127.0.0.1:9/v1"  # never called: POST /run only enqueues


def add_profile(db: Database, name: str, **values: Any) -> None:
    spec = ProfileSpec.model_validate(
        {
            "name": name,
            "provider": "openai",
            "model": "cheap-model",
            "role": "technical_analyst",
            "prompt_template_id": "technical_analyst",
            "api_base": LLM_BASE,
        }
        | values
    )
    with db.sessions() as session, session.begin():
        upsert_profile(session=session, name=name, values=spec.model_dump(exclude={"name"}), actor="test")


def add_run(db: Database, *, created_at: datetime | None = None, symbols: list[str] | None = None) -> str:
    with db.sessions() as session, session.begin():
        run = create_run(
            session=session, trigger="manual", mode="competition", symbols=symbols or ["AAPL"], agents=None
        )
        if created_at is not None:
            run.created_at = created_at
        return run.id


def counts(db: Database) -> tuple[int, int]:
    """(runs, queued requests): both must stay 0 after a rejected POST /run."""
    with db.sessions() as session:
        runs = session.scalar(select(func.count()).select_from(ArenaRun)) or 0
        requests = session.scalar(select(func.count()).select_from(RunRequest)) or 0
    return runs, requests
