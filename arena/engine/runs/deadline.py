"""How long a run may legitimately stay `running`: the yardstick of the overdue sweeper (docs/WORK_QUEUE.md).

A run makes its LLM calls in phases that follow one another; inside a phase the agents are asked concurrently.
Each ask — the call, its retries and output-mode step-down, and the one cheap repair — is bounded as a whole by
the agent's timeout (`asyncio.wait_for` in arena.engine.decide.agents). So the longest chain is:

    asks  = cheap round (debate: `debate_rounds` rounds) + one per judge_cheap profile (asked in turn) + escalation
    deadline = max(ARENA_LLM_TIMEOUT_S, longest profile timeout_s) × asks + ARENA_RUN_GRACE_S

The grace covers everything that is not an LLM call: market data, the database, guardrails and the order.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from arena.engine.config.guardrails import load_config
from arena.engine.config.settings import Settings
from arena.kernel.kinds import ProfileMode, RunMode
from arena.storage.repositories.profiles import current_profiles

ESCALATION_ASKS = 1  # the powerful profiles are asked together, once


@dataclass(frozen=True, kw_only=True)
class DeadlinePolicy:
    """What a run's deadline depends on besides its mode (read once per sweep)."""

    call_timeout_s: float  # the longest one ask may take
    debate_rounds: int
    judges: int  # judge_cheap profiles, asked one after another until one answers
    grace_s: float

    @classmethod
    def from_settings(cls, settings: Settings, *, debate_rounds: int = 1, judges: int = 0) -> DeadlinePolicy:
        return cls(
            call_timeout_s=settings.llm_timeout_s,
            debate_rounds=debate_rounds,
            judges=judges,
            grace_s=settings.run_grace_s,
        )


def sequential_asks(mode: str, policy: DeadlinePolicy) -> int:
    """The most agent asks a run of `mode` makes one after another."""
    cheap_rounds = max(1, policy.debate_rounds) if mode == RunMode.DEBATE else 1
    return cheap_rounds + policy.judges + ESCALATION_ASKS


def run_deadline_s(mode: str, policy: DeadlinePolicy) -> float:
    """Seconds after `started_at` by which a run of `mode` has surely ended, unless something hangs."""
    return policy.call_timeout_s * sequential_asks(mode, policy) + policy.grace_s


def load_policy(*, session: Session, settings: Settings) -> DeadlinePolicy:
    """The policy from the stored profiles and guardrails (judges and timeouts of every current profile)."""
    profiles = current_profiles(session=session)
    longest = max([settings.llm_timeout_s, *(float(v.timeout_s) for _, v in profiles)])
    judges = sum(1 for _, v in profiles if v.mode == ProfileMode.JUDGE_CHEAP)
    return DeadlinePolicy(
        call_timeout_s=longest,
        debate_rounds=load_config(session=session).debate_rounds,
        judges=judges,
        grace_s=settings.run_grace_s,
    )
