"""Fills behind a run's outcome links, so the API can show them in full rather than as bare ids."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.storage.models import Fill


def fills_by_broker_id(*, session: Session, broker_fill_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Each known fill (by broker fill id) as a plain dict; unknown ids are simply absent."""
    if not broker_fill_ids:
        return {}
    rows = session.scalars(select(Fill).where(Fill.broker_fill_id.in_(broker_fill_ids))).all()
    return {
        f.broker_fill_id: {
            "broker_fill_id": f.broker_fill_id,
            "client_order_id": f.client_order_id,
            "symbol": f.symbol,
            "side": f.side,
            "qty": float(f.qty),
            "price": float(f.price),
            "filled_at": f.filled_at.isoformat(),
        }
        for f in rows
    }
