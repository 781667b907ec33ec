"""The real (paper) account as the money view shows it, read live from what reconciliation stored: the latest
account snapshot and its positions, the equity curve, open orders and the fills behind realised P&L.

Read on every refresh (never a materialised copy), so the page is as fresh as the last reconciliation pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.kernel.kinds import PositionSide
from arena.kernel.lifecycles import FINAL_ORDER_STATUSES
from arena.storage.models import Fill, PositionSnapshot
from arena.storage.read.orders_view import OrderFilters, OrderRow, list_orders
from arena.storage.read.run_fills import FillView
from arena.storage.read.values import project


@dataclass(frozen=True, slots=True)
class PositionRow:
    """One open position at a snapshot; unrealised P&L is market value minus what it cost (signed for shorts)."""

    symbol: str
    side: PositionSide
    qty: float
    avg_entry_price: float
    market_value: float
    cost_basis: float
    unrealized_pnl: float
    unrealized_pct: float | None


@dataclass(frozen=True, slots=True)
class AccountSnapshotView:
    id: int
    taken_at: datetime
    equity: float
    cash: float
    buying_power: float
    positions: list[PositionRow]

    @property
    def unrealized_pnl(self) -> float:
        return sum(p.unrealized_pnl for p in self.positions)


@dataclass(frozen=True, slots=True)
class EquityPoint:
    taken_at: datetime
    equity: float
    cash: float


def _position(raw: dict[str, Any]) -> PositionRow:
    qty = float(raw.get("qty") or 0.0)
    avg = float(raw.get("avg_entry_price") or 0.0)
    value = float(raw.get("market_value") or 0.0)
    cost = qty * avg
    pnl = value - cost
    return PositionRow(
        symbol=str(raw.get("symbol")),
        side=PositionSide(raw.get("side") or PositionSide.LONG),
        qty=qty,
        avg_entry_price=avg,
        market_value=value,
        cost_basis=cost,
        unrealized_pnl=pnl,
        unrealized_pct=pnl / abs(cost) * 100.0 if cost else None,
    )


def _view(snap: PositionSnapshot) -> AccountSnapshotView:
    return AccountSnapshotView(
        id=snap.id,
        taken_at=snap.taken_at,
        equity=float(snap.equity),
        cash=float(snap.cash),
        buying_power=float(snap.buying_power),
        positions=[_position(p) for p in snap.positions or [] if float(p.get("qty") or 0.0) != 0.0],
    )


def latest_snapshot(*, session: Session, before: datetime | None = None) -> AccountSnapshotView | None:
    """The newest account snapshot (taken before `before` when given), or None when none was ever taken."""
    stmt = select(PositionSnapshot).order_by(PositionSnapshot.taken_at.desc(), PositionSnapshot.id.desc()).limit(1)
    if before is not None:
        stmt = stmt.where(PositionSnapshot.taken_at < before)
    snap = session.scalar(stmt)
    return _view(snap) if snap is not None else None


def equity_curve(*, session: Session, since: datetime) -> list[EquityPoint]:
    """Equity and cash at every snapshot since `since`, oldest first."""
    rows = session.execute(
        select(PositionSnapshot.taken_at, PositionSnapshot.equity, PositionSnapshot.cash)
        .where(PositionSnapshot.taken_at >= since)
        .order_by(PositionSnapshot.taken_at, PositionSnapshot.id)
    ).all()
    return [EquityPoint(taken_at=t, equity=float(e), cash=float(c)) for t, e, c in rows]


def open_orders(*, session: Session) -> list[OrderRow]:
    """Orders not in a final status (what reconciliation still follows), newest first."""
    open_statuses = tuple(s for s in OrderFilters.all_statuses() if s not in FINAL_ORDER_STATUSES)
    return list_orders(session=session, filters=OrderFilters(statuses=open_statuses))


def fills_until(*, session: Session, until: datetime) -> list[FillView]:
    """Every fill up to `until`, oldest first: realised P&L is FIFO over the whole history, not one day."""
    stmt = select(Fill).where(Fill.filled_at <= until).order_by(Fill.filled_at, Fill.id)
    return [project(FillView, f) for f in session.scalars(stmt)]
