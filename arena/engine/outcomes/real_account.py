"""The real (paper) account: realised PnL from fills (FIFO per symbol, partial fills, shorts), unrealised from
the latest position snapshot, attribution to decisions through the outcome links, the equity curve and alpha
against buy-and-hold of the symbols the arena traded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.engine.outcomes.metrics import FillEvent, fifo_realized_per_fill, max_drawdown_pct
from arena.kernel.kinds import ScoreSubject
from arena.storage.models import DecisionScore, Fill, OutcomeLink, PositionSnapshot


def real_account(*, session: Session, since: datetime, until: datetime) -> dict[str, Any]:
    fills = session.scalars(select(Fill).where(Fill.filled_at <= until).order_by(Fill.filled_at, Fill.id)).all()
    owners = {link.client_order_id: link.decision_id for link in session.scalars(select(OutcomeLink))}
    # lots opened before the window still count: FIFO runs over every fill, PnL is kept for those in the window
    each, _ = fifo_realized_per_fill([FillEvent(f.symbol, f.side, float(f.qty), float(f.price)) for f in fills])
    per_decision: dict[str, float] = {}
    realized_in_window = 0.0
    for f, gained in zip(fills, each, strict=True):
        if f.filled_at >= since and abs(gained) > 1e-9:
            realized_in_window += gained
            owner = owners.get(f.client_order_id, "unlinked")
            per_decision[owner] = round(per_decision.get(owner, 0.0) + gained, 4)
    snaps = session.scalars(
        select(PositionSnapshot)
        .where(PositionSnapshot.taken_at >= since, PositionSnapshot.taken_at <= until)
        .order_by(PositionSnapshot.taken_at)
    ).all()
    latest = snaps[-1] if snaps else None
    unrealized = 0.0
    if latest is not None:
        for p in latest.positions:
            unrealized += float(p.get("market_value", 0.0)) - float(p.get("qty", 0.0)) * float(
                p.get("avg_entry_price", 0.0)
            )
    curve: list[dict[str, Any]] = [{"at": s.taken_at.isoformat(), "equity": float(s.equity)} for s in snaps]
    equity_return = (
        (curve[-1]["equity"] / curve[0]["equity"] - 1.0) * 100.0 if len(curve) >= 2 and curve[0]["equity"] else None
    )
    bench = _buy_and_hold_pct(session, since, until)
    return {
        "realized_pnl_usd": round(realized_in_window, 2),
        "unrealized_pnl_usd": round(unrealized, 2),
        "fills": sum(1 for f in fills if f.filled_at >= since),
        "pnl_by_decision": per_decision,
        "equity_curve": curve,
        "equity_return_pct": equity_return,
        "max_drawdown_pct": max_drawdown_pct([c["equity"] for c in curve]) if curve else None,
        "buy_and_hold_pct": bench,
        "alpha_pct": None if equity_return is None or bench is None else equity_return - bench,
    }


def _buy_and_hold_pct(session: Session, since: datetime, until: datetime) -> float | None:
    """Mean first-entry → last-exit return of each symbol the arena scored in the window."""
    rows = session.execute(
        select(
            DecisionScore.symbol,
            DecisionScore.entry_at,
            DecisionScore.entry_price,
            DecisionScore.exit_at,
            DecisionScore.exit_price,
        ).where(
            DecisionScore.subject == ScoreSubject.CONSENSUS,
            DecisionScore.exit_at >= since,
            DecisionScore.exit_at <= until,
        )
    ).all()
    first: dict[str, tuple[datetime, float]] = {}
    last: dict[str, tuple[datetime, float]] = {}
    for symbol, entry_at, entry_price, exit_at, exit_price in rows:
        if symbol not in first or entry_at < first[symbol][0]:
            first[symbol] = (entry_at, entry_price)
        if symbol not in last or exit_at > last[symbol][0]:
            last[symbol] = (exit_at, exit_price)
    moves = [(last[s][1] / first[s][1] - 1.0) * 100.0 for s in first if first[s][1]]
    return sum(moves) / len(moves) if moves else None
