"""The spend side of the escalation policy: each profile's daily budget and call limit, and the day's cap on
powerful calls.

`escalation.py` says *when* the powerful model should be asked; this module says whether today's money and
counters still allow it. Both come to the coordinator as callables (`BudgetCheck`, `PowerClaim`) bound to a
session factory here, so the coordinator itself never holds a database session.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.decide.agents import AgentSpec
from arena.engine.decide.coordinator import BudgetCheck, PowerClaim
from arena.kernel.clock import utc_day_start
from arena.storage.models import AgentProfileVersion
from arena.storage.repositories import budget, runs


def budget_checker(sessions: sessionmaker[Session]) -> BudgetCheck:
    """A skip reason when the agent's profile has spent today's budget or call limit, else None."""

    def check(agent: AgentSpec) -> str | None:
        if agent.daily_budget_usd is None and agent.daily_call_limit is None:
            return None
        with sessions() as session:
            version = session.get(AgentProfileVersion, agent.version_id)
            assert version is not None
            spent, calls = runs.profile_usage_since(
                session=session, profile_id=version.profile_id, since=utc_day_start()
            )
        if agent.daily_call_limit is not None and calls >= agent.daily_call_limit:
            return f"daily call limit reached ({calls}/{agent.daily_call_limit})"
        if agent.daily_budget_usd is not None and spent >= Decimal(str(agent.daily_budget_usd)):
            return f"daily budget spent (${spent:.4f} of ${agent.daily_budget_usd:.2f})"
        return None

    return check


def power_claimer(sessions: sessionmaker[Session], config: GuardrailConfig) -> PowerClaim:
    """Atomically take one powerful call from today's cap (`max_power_calls_per_day`); False when none is left."""

    def claim() -> bool:
        with sessions() as session, session.begin():
            return budget.claim_power_call(
                session=session, day=utc_day_start().date().isoformat(), cap=config.max_power_calls_per_day
            )

    return claim
