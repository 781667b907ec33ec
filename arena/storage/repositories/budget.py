"""The daily powerful-call cap, claimed with one guarded UPDATE so concurrent runs can never exceed it."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from arena.storage.models import PowerCallBudget


def claim_power_call(*, session: Session, day: str, cap: int) -> bool:
    """Take one powerful call for `day` if fewer than `cap` were taken; the caller commits."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(PowerCallBudget).values(day=day, used=0).on_conflict_do_nothing(index_elements=["day"]))
    result = session.execute(
        update(PowerCallBudget)
        .where(PowerCallBudget.day == day, PowerCallBudget.used < cap)
        .values(used=PowerCallBudget.used + 1)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def power_calls_used(*, session: Session, day: str) -> int:
    return session.scalar(select(PowerCallBudget.used).where(PowerCallBudget.day == day)) or 0
