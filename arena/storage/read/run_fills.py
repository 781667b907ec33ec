"""Fills behind a run's outcome links, so the API and Run Details can show them in full rather than as bare ids."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.kernel.kinds import Side
from arena.storage.models import Fill
from arena.storage.read.values import project


@dataclass(frozen=True, slots=True)
class FillView:
    """One broker fill."""

    broker_fill_id: str
    client_order_id: str
    symbol: str
    side: Side
    qty: float
    price: float
    filled_at: datetime


def fills_by_broker_id(*, session: Session, broker_fill_ids: list[str]) -> dict[str, FillView]:
    """Each known fill by its broker fill id; unknown ids are simply absent."""
    if not broker_fill_ids:
        return {}
    rows = session.scalars(select(Fill).where(Fill.broker_fill_id.in_(broker_fill_ids))).all()
    return {f.broker_fill_id: project(FillView, f) for f in rows}
