"""Today's usage of the daily limits, counted the way each limit counts it: order intents (the execution
guardrail's `max_orders_per_day`), the global spend ledger (what `daily_llm_spend_cap_usd` refuses calls on) and
the powerful-call budget (`max_power_calls_per_day`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from arena.kernel.clock import utc_day_start
from arena.storage.repositories.budget import power_calls_used, spend_of
from arena.storage.repositories.orders import count_intents_since

GLOBAL_SCOPE = "global"  # the spend ledger's scope for the daily LLM spend cap (engine.decide.budgets)


@dataclass(frozen=True, slots=True)
class LimitUsage:
    day: str
    orders_today: int
    llm_calls_today: int
    llm_spend_today_usd: float
    power_calls_today: int


def limit_usage(*, session: Session, now: datetime | None = None) -> LimitUsage:
    """Usage since UTC midnight of `now` (default: now)."""
    start = utc_day_start(now or datetime.now(UTC))
    day = start.date().isoformat()
    calls, spent = spend_of(session=session, day=day, scope=GLOBAL_SCOPE)
    return LimitUsage(
        day=day,
        orders_today=count_intents_since(session=session, since=start),
        llm_calls_today=calls,
        llm_spend_today_usd=float(spent),
        power_calls_today=power_calls_used(session=session, day=day),
    )
