"""Spend that cannot overrun: every LLM call is claimed against today's limits before it is made, then settled.

A claim counts the call and reserves a conservative estimate of its cost (the prompt's characters / 3 as input
tokens, `max_tokens` as output, at the model's table price or the fallback price). Settling replaces the
estimate with the real cost; a call whose price is unknown stays charged at its real tokens × the fallback price,
a timeout keeps its estimate (the provider may have billed it), a refused or failed call costs nothing. An
unpriced `local` model costs nothing (it runs on the operator's machine). One claim covers a call's retries: the
real cost settled afterwards can exceed the estimate, so a limit can be passed by at most one call's overrun —
never by a call started after the limit was reached.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from arena.engine.llm.prices import COST_QUANTUM, PER_TOKENS, ModelPrice, PriceTable
from arena.engine.llm.types import LLMCall, LLMCallResult
from arena.kernel.kinds import Provider
from arena.kernel.states import CallStatus

CHARS_PER_TOKEN_ESTIMATE = 3  # fewer characters per token than the usual ~4: the estimate errs high


class SpendScope(StrEnum):
    """Which limit refused a call."""

    PROFILE = "profile"
    GLOBAL = "global"


@dataclass(frozen=True)
class SpendRefusal:
    """A call that was not made because a daily limit would be overrun."""

    scope: SpendScope
    reason: str


@dataclass(frozen=True)
class SpendClaim:
    """A call counted and its estimate reserved; `settle` corrects the estimate once the call is over."""

    day: str
    scopes: tuple[str, ...]
    estimate_usd: Decimal


class SpendGuard(Protocol):
    """The coordinator's view of spend control (bound to the database in `budgets.py`)."""

    def claim(
        self, call: LLMCall, *, daily_budget_usd: float | None, daily_call_limit: int | None
    ) -> SpendClaim | SpendRefusal: ...

    def settle(self, claim: SpendClaim, result: LLMCallResult) -> None: ...


@dataclass(frozen=True)
class Pricing:
    """Prices for estimates and for calls the provider and the table cannot price."""

    table: PriceTable
    fallback_per_mtok: Decimal

    def price(self, provider: str, model: str) -> ModelPrice:
        """The table's price; an unpriced local model is free (it runs on the operator's machine); any other
        unpriced model costs the fallback price."""
        known = self.table.price(provider, model)
        if known is not None:
            return known
        if provider == Provider.LOCAL:
            return ModelPrice(input_per_1m=Decimal(0), output_per_1m=Decimal(0))
        return ModelPrice(input_per_1m=self.fallback_per_mtok, output_per_1m=self.fallback_per_mtok)

    def estimate(self, call: LLMCall) -> Decimal:
        """An upper-side estimate before the call: every prompt character / 3 in, max_tokens out."""
        chars = len(json.dumps(call.messages)) + len(call.schema_instructions or "")
        tokens_in = chars // CHARS_PER_TOKEN_ESTIMATE + 1
        return self._cost(self.price(call.provider, call.model), tokens_in, call.max_tokens)

    def actual(self, claim: SpendClaim, result: LLMCallResult) -> Decimal:
        """What a finished call is charged: its real cost, else its tokens at the fallback-aware price."""
        if result.cost_usd is not None:
            return result.cost_usd
        if result.status == CallStatus.TIMEOUT:
            return claim.estimate_usd
        if result.tokens_in is None and result.tokens_out is None:
            return Decimal(0) if result.status == CallStatus.ERROR else claim.estimate_usd
        call = result.call
        return self._cost(self.price(call.provider, call.model), result.tokens_in or 0, result.tokens_out or 0)

    @staticmethod
    def _cost(price: ModelPrice, tokens_in: int, tokens_out: int) -> Decimal:
        total = (tokens_in * price.input_per_1m + tokens_out * price.output_per_1m) / PER_TOKENS
        return total.quantize(COST_QUANTUM)
