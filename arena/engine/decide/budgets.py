"""The spend side of the escalation policy, bound to the database: each profile's daily budget and call limit,
the global daily LLM spend cap, and the day's cap on powerful calls.

`escalation.py` says *when* the powerful model should be asked; this module says whether today's money and
counters still allow a call. Every limit is claimed with a guarded UPDATE before the call (never read-then-call),
so concurrent runs in any number of processes can never overrun it, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.decide.spend import Pricing, SpendClaim, SpendRefusal, SpendScope
from arena.engine.llm.types import LLMCall, LLMCallResult
from arena.kernel.clock import utc_day_start
from arena.storage.models import AgentProfileVersion
from arena.storage.repositories import budget

log = logging.getLogger(__name__)

PowerClaim = Callable[[], bool]  # atomically takes one powerful call from today's cap

GLOBAL_SCOPE = "global"


def profile_scope(profile_id: int) -> str:
    return f"profile:{profile_id}"


class _Refused(Exception):
    def __init__(self, refusal: SpendRefusal) -> None:
        self.refusal = refusal


class DatabaseSpendGuard:
    """Claims each call against its profile's limits and the global daily cap in one transaction."""

    def __init__(self, sessions: sessionmaker[Session], config: GuardrailConfig, pricing: Pricing) -> None:
        self._sessions = sessions
        self._config = config
        self._pricing = pricing
        self._profiles: dict[int, int] = {}  # profile version id → profile id

    def _profile_id(self, session: Session, version_id: int) -> int:
        if version_id not in self._profiles:
            version = session.get(AgentProfileVersion, version_id)
            if version is None:
                raise LookupError(f"profile version {version_id} not found")
            self._profiles[version_id] = version.profile_id
        return self._profiles[version_id]

    def claim(
        self, call: LLMCall, *, daily_budget_usd: float | None, daily_call_limit: int | None
    ) -> SpendClaim | SpendRefusal:
        day = utc_day_start().date().isoformat()
        estimate = self._pricing.estimate(call)
        cap = Decimal(str(self._config.daily_llm_spend_cap_usd))
        try:
            with self._sessions() as session, session.begin():
                scopes: list[str] = []
                if call.profile_version_id is not None:
                    scope = profile_scope(self._profile_id(session, call.profile_version_id))
                    budget_usd = Decimal(str(daily_budget_usd)) if daily_budget_usd is not None else None
                    if not budget.claim_spend(
                        session=session,
                        day=day,
                        scope=scope,
                        estimate_usd=estimate,
                        call_limit=daily_call_limit,
                        budget_usd=budget_usd,
                    ):
                        raise _Refused(self._profile_refusal(session, day, scope, daily_budget_usd, daily_call_limit))
                    scopes.append(scope)
                if not budget.claim_spend(
                    session=session,
                    day=day,
                    scope=GLOBAL_SCOPE,
                    estimate_usd=estimate,
                    call_limit=None,
                    budget_usd=cap,
                ):
                    spent = budget.spend_of(session=session, day=day, scope=GLOBAL_SCOPE)[1]
                    raise _Refused(
                        SpendRefusal(
                            SpendScope.GLOBAL,
                            f"daily LLM spend cap reached (${spent:.4f} spent of ${cap:.2f}; "
                            f"this call is estimated at ${estimate:.4f})",
                        )
                    )
                scopes.append(GLOBAL_SCOPE)
        except _Refused as refused:  # the transaction rolled back: a profile claim is undone with the global one
            log.warning("LLM call refused (%s/%s): %s", call.provider, call.model, refused.refusal.reason)
            return refused.refusal
        return SpendClaim(day=day, scopes=tuple(scopes), estimate_usd=estimate)

    def _profile_refusal(
        self, session: Session, day: str, scope: str, budget_usd: float | None, call_limit: int | None
    ) -> SpendRefusal:
        calls, spent = budget.spend_of(session=session, day=day, scope=scope)
        if call_limit is not None and calls >= call_limit:
            return SpendRefusal(SpendScope.PROFILE, f"daily call limit reached ({calls}/{call_limit})")
        return SpendRefusal(
            SpendScope.PROFILE,
            f"daily budget spent (${spent:.4f} of ${budget_usd or 0:.2f}, next call estimated higher than what is left)",
        )

    def settle(self, claim: SpendClaim, result: LLMCallResult) -> None:
        if not claim.scopes:
            return
        actual = self._pricing.actual(claim, result)
        with self._sessions() as session, session.begin():
            budget.settle_spend(
                session=session, day=claim.day, scopes=list(claim.scopes), delta_usd=actual - claim.estimate_usd
            )


def power_claimer(sessions: sessionmaker[Session], config: GuardrailConfig) -> PowerClaim:
    """Atomically take one powerful call from today's cap (`max_power_calls_per_day`); False when none is left."""

    def claim() -> bool:
        with sessions() as session, session.begin():
            return budget.claim_power_call(
                session=session, day=utc_day_start().date().isoformat(), cap=config.max_power_calls_per_day
            )

    return claim
