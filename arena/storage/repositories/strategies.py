"""Strategy rows: upsert by name (audited) and the list the worker schedules from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.storage.models import SettingsAudit, Strategy

FIELDS = (
    "market",
    "symbols",
    "agents",
    "mode",
    "schedule_kind",
    "cron",
    "interval_seconds",
    "enabled",
    "execution_enabled",
)


def upsert_strategy(*, session: Session, name: str, values: dict[str, Any], actor: str) -> Strategy:
    row = session.scalar(select(Strategy).where(Strategy.name == name))
    wanted = {k: values[k] for k in FIELDS}
    if row is None:
        row = Strategy(name=name, **wanted)
        session.add(row)
        session.add(SettingsAudit(entity="strategy", entity_key=name, before=None, after=wanted, actor=actor))
    else:
        before = {k: getattr(row, k) for k in FIELDS}
        if before != wanted:
            for key, value in wanted.items():
                setattr(row, key, value)
            session.add(SettingsAudit(entity="strategy", entity_key=name, before=before, after=wanted, actor=actor))
    session.flush()
    return row


def list_strategies(*, session: Session) -> list[Strategy]:
    return list(session.scalars(select(Strategy).order_by(Strategy.name)))
