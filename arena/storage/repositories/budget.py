"""Daily limits claimed with one guarded UPDATE each, so concurrent runs can never exceed them: the powerful-call
cap, and the spend ledger (calls and dollars per profile and globally)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from arena.storage.models import PowerCallBudget, SpendLedger


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


def _ensure_ledger_row(session: Session, day: str, scope: str) -> None:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(SpendLedger)
        .values(day=day, scope=scope, calls=0, spent_usd=Decimal(0))
        .on_conflict_do_nothing(index_elements=["day", "scope"])
    )


def claim_spend(
    *,
    session: Session,
    day: str,
    scope: str,
    estimate_usd: Decimal,
    call_limit: int | None,
    budget_usd: Decimal | None,
) -> bool:
    """Count one call and reserve its estimated cost if that keeps `scope` within its limits; the caller commits.

    One guarded UPDATE: two racing claims can never both take the last call or the last dollars.
    """
    _ensure_ledger_row(session, day, scope)
    stmt = update(SpendLedger).where(SpendLedger.day == day, SpendLedger.scope == scope)
    if call_limit is not None:
        stmt = stmt.where(SpendLedger.calls < call_limit)
    if budget_usd is not None:
        stmt = stmt.where(SpendLedger.spent_usd + estimate_usd <= budget_usd)
    result = session.execute(stmt.values(calls=SpendLedger.calls + 1, spent_usd=SpendLedger.spent_usd + estimate_usd))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def settle_spend(*, session: Session, day: str, scopes: list[str], delta_usd: Decimal) -> None:
    """Correct a claim's estimate by `delta_usd` (real − estimated) in every scope it was claimed in.

    One UPDATE per scope, in the order the claim took them (profile, then global): rows are always locked in the
    same order, so a settle and a concurrent claim can never deadlock on PostgreSQL."""
    if delta_usd == 0:
        return
    for scope in scopes:
        session.execute(
            update(SpendLedger)
            .where(SpendLedger.day == day, SpendLedger.scope == scope)
            .values(spent_usd=SpendLedger.spent_usd + delta_usd)
        )


def spend_of(*, session: Session, day: str, scope: str) -> tuple[int, Decimal]:
    """(calls, dollars) claimed in `scope` on `day`."""
    row = session.execute(
        select(SpendLedger.calls, SpendLedger.spent_usd).where(SpendLedger.day == day, SpendLedger.scope == scope)
    ).first()
    return (int(row[0]), Decimal(row[1])) if row is not None else (0, Decimal(0))
