"""Order intents, broker orders, fills, position snapshots and outcome links."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from arena.kernel.lifecycles import FINAL_ORDER_STATUSES, check_order_transition, is_final_order_status
from arena.kernel.states import ExecutionOutcome, OrderStatus
from arena.storage.models import BrokerOrder, Consensus, Fill, OrderIntent, OutcomeLink, PositionSnapshot

QTY_STEP = Decimal("0.000001")  # the precision of every stored quantity (Numeric(18, 6))


def count_intents_since(*, session: Session, since: datetime) -> int:
    return session.scalar(select(func.count()).select_from(OrderIntent).where(OrderIntent.created_at >= since)) or 0


def intent_for_decision(*, session: Session, decision_id: str) -> OrderIntent | None:
    return session.scalar(select(OrderIntent).where(OrderIntent.decision_id == decision_id))


def create_intent(
    *,
    session: Session,
    decision_id: str,
    trace_id: str,
    client_order_id: str,
    symbol: str,
    side: str,
    qty: float,
) -> tuple[OrderIntent, OutcomeLink]:
    """The intent and its link in status `pending`, written before anything is sent to the broker."""
    intent = OrderIntent(
        decision_id=decision_id,
        trace_id=trace_id,
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        qty=Decimal(str(qty)),
    )
    session.add(intent)
    session.flush()
    link = OutcomeLink(
        decision_id=decision_id,
        trace_id=trace_id,
        order_intent_id=intent.id,
        client_order_id=client_order_id,
        order_status=OrderStatus.PENDING,
        final=False,
    )
    session.add(link)
    session.add(
        BrokerOrder(
            client_order_id=client_order_id,
            symbol=symbol,
            side=side,
            qty=Decimal(str(qty)),
            status=OrderStatus.PENDING,
        )
    )
    session.flush()
    return intent, link


def broker_order(*, session: Session, client_order_id: str) -> BrokerOrder | None:
    return session.scalar(select(BrokerOrder).where(BrokerOrder.client_order_id == client_order_id))


def link_for_order(*, session: Session, client_order_id: str) -> OutcomeLink | None:
    return session.scalar(select(OutcomeLink).where(OutcomeLink.client_order_id == client_order_id))


def move_order(*, session: Session, row: BrokerOrder, to_status: str, link: OutcomeLink | None = None) -> OrderStatus:
    """Set an order's status (and its link's mirror of it) through the order transition table.

    IllegalTransition, with nothing changed, when the table does not allow `row.status` → `to_status`.
    """
    target = check_order_transition(row.status, to_status)
    row.status = target
    if link is not None:
        link.order_status, link.final = target, is_final_order_status(target)
    session.flush()
    return target


def open_orders(*, session: Session) -> list[BrokerOrder]:
    """Every order not in a final status (the kernel's FINAL_ORDER_STATUSES): what reconciliation checks."""
    return list(session.scalars(select(BrokerOrder).where(BrokerOrder.status.not_in(FINAL_ORDER_STATUSES))))


def fill_totals(*, session: Session, client_order_id: str) -> tuple[Decimal, Decimal]:
    """(quantity, value = Σ qty × price) of the fills recorded for an order."""
    row = session.execute(
        select(func.coalesce(func.sum(Fill.qty), 0), func.coalesce(func.sum(Fill.qty * Fill.price), 0)).where(
            Fill.client_order_id == client_order_id
        )
    ).one()
    return Decimal(str(row[0])).quantize(QTY_STEP), Decimal(str(row[1]))


def orders_missing_fills(*, session: Session) -> list[BrokerOrder]:
    """Final orders whose recorded fills fall short of their filled quantity (or a `filled` one without any).

    Whatever made them final (a lookup after an ambiguous submit, an earlier version of Arena, an answer without
    an average price), reconciliation asks the broker about them again until their fills are booked.
    """
    booked = (
        select(func.coalesce(func.sum(Fill.qty), 0))
        .where(Fill.client_order_id == BrokerOrder.client_order_id)
        .scalar_subquery()
    )
    short = or_(
        booked + QTY_STEP / 2 < BrokerOrder.filled_qty,  # by more than rounding (SQLite sums in binary floats)
        and_(BrokerOrder.status == OrderStatus.FILLED, booked <= 0),
    )
    return list(session.scalars(select(BrokerOrder).where(BrokerOrder.status.in_(FINAL_ORDER_STATUSES), short)))


def add_fill(
    *,
    session: Session,
    broker_fill_id: str,
    client_order_id: str,
    symbol: str,
    side: str,
    qty: Decimal,
    price: Decimal,
    filled_at: datetime,
) -> Fill | None:
    """Insert once per broker fill id; a fill seen again is ignored — also when another transaction (a run's own
    lookup and the worker's reconciliation, on PostgreSQL) inserts the same fill at the same moment: the insert
    runs in a savepoint, so losing that race rolls back only the duplicate, not the caller's transaction."""
    if session.scalar(select(Fill).where(Fill.broker_fill_id == broker_fill_id)) is not None:
        return None
    fill = Fill(
        broker_fill_id=broker_fill_id,
        client_order_id=client_order_id,
        symbol=symbol,
        side=side,
        qty=qty,
        price=price,
        filled_at=filled_at,
    )
    try:
        with session.begin_nested():
            session.add(fill)
    except IntegrityError:
        if session.scalar(select(Fill.id).where(Fill.broker_fill_id == broker_fill_id)) is not None:
            return None  # the other transaction booked it first
        raise  # anything else (an unknown order) is a real error
    return fill


def add_position_snapshot(
    *, session: Session, equity: float, cash: float, buying_power: float, positions: list[dict[str, Any]]
) -> PositionSnapshot:
    row = PositionSnapshot(
        equity=Decimal(str(equity)),
        cash=Decimal(str(cash)),
        buying_power=Decimal(str(buying_power)),
        positions=positions,
    )
    session.add(row)
    session.flush()
    return row


def mark_decision_refused(*, session: Session, decision_id: str) -> None:
    """The decision's order was refused or rejected by the broker: its consensus outcome says so (never undone).

    Also from `executable`: a run cut short after sending its order never wrote its outcome.
    """
    session.execute(
        update(Consensus)
        .where(
            Consensus.decision_id == decision_id,
            Consensus.outcome.in_((ExecutionOutcome.EXECUTED, ExecutionOutcome.EXECUTABLE)),
        )
        .values(outcome=ExecutionOutcome.REFUSED)
    )


def mark_decision_executed(*, session: Session, decision_id: str) -> None:
    """The broker filled (some of) the decision's order: `executed`, even if the run never wrote its outcome
    (cut short: `executable`) or recorded a fault after the order was sent (`blocked` by the execution check)."""
    session.execute(
        update(Consensus)
        .where(
            Consensus.decision_id == decision_id,
            Consensus.outcome.in_((ExecutionOutcome.EXECUTABLE, ExecutionOutcome.BLOCKED)),
        )
        .values(outcome=ExecutionOutcome.EXECUTED)
    )
