"""Order intents, broker orders, fills, position snapshots and the links that tie them to decisions."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from arena.kernel.clock import utcnow
from arena.kernel.kinds import Side
from arena.storage.models.base import Base, check_in
from arena.storage.types import UTCDateTime


class OrderIntent(Base):
    """What we meant to send for one executable decision; at most one per decision."""

    __tablename__ = "ai_order_intents"
    __table_args__ = (
        CheckConstraint(check_in("side", Side), name="side"),
        CheckConstraint("qty IS NULL OR qty > 0", name="qty"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("ai_arena_consensus.decision_id"), unique=True)
    trace_id: Mapped[str] = mapped_column(String(32))
    client_order_id: Mapped[str] = mapped_column(String(48), unique=True)
    symbol: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(4))
    qty: Mapped[Decimal | None] = mapped_column(Numeric(18, 6), nullable=True)
    notional: Mapped[Decimal | None] = mapped_column(Numeric(18, 2), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BrokerOrder(Base):
    """The broker's view of an order, keyed by our client_order_id."""

    __tablename__ = "ai_broker_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_order_id: Mapped[str] = mapped_column(String(48), unique=True)
    broker_order_id: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    symbol: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(4))
    qty: Mapped[Decimal | None] = mapped_column(Numeric(18, 6), nullable=True)
    filled_qty: Mapped[Decimal] = mapped_column(Numeric(18, 6), default=Decimal(0))
    filled_avg_price: Mapped[Decimal | None] = mapped_column(Numeric(18, 6), nullable=True)
    status: Mapped[str] = mapped_column(String(24))
    flagged: Mapped[str | None] = mapped_column(Text, nullable=True)
    raw: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Fill(Base):
    __tablename__ = "ai_fills"
    __table_args__ = (Index("ix_fills_client_order", "client_order_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    broker_fill_id: Mapped[str] = mapped_column(String(64), unique=True)
    client_order_id: Mapped[str] = mapped_column(ForeignKey("ai_broker_orders.client_order_id"))
    symbol: Mapped[str] = mapped_column(String(16))
    side: Mapped[str] = mapped_column(String(4))
    qty: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    price: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    filled_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PositionSnapshot(Base):
    """Account equity, cash and positions as the broker reported them at one moment."""

    __tablename__ = "ai_position_snapshots"
    __table_args__ = (Index("ix_position_snapshots_taken", "taken_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    equity: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    cash: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    buying_power: Mapped[Decimal] = mapped_column(Numeric(18, 2))
    positions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class OutcomeLink(Base):
    """decision → order intent → broker order → fills → position snapshots, in one row per order."""

    __tablename__ = "ai_outcome_links"
    __table_args__ = (Index("ix_links_decision", "decision_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    decision_id: Mapped[str] = mapped_column(ForeignKey("ai_arena_consensus.decision_id"))
    trace_id: Mapped[str] = mapped_column(String(32))
    order_intent_id: Mapped[int | None] = mapped_column(ForeignKey("ai_order_intents.id"), nullable=True)
    client_order_id: Mapped[str | None] = mapped_column(String(48), unique=True, nullable=True)
    broker_order_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    order_status: Mapped[str | None] = mapped_column(String(24), nullable=True)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    fill_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    position_snapshot_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
