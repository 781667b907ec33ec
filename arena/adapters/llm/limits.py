"""Caps on concurrent LLM calls: one global, one per provider (the worker's bound on outstanding requests).

A call takes its provider's slot first and then a global one, always in that order, so a call waiting on a busy
provider never sits on a global slot another provider could use, and two calls can never deadlock.
Semaphores bind to the event loop that first uses them: build one CallLimits per loop (the worker has one).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class CallLimits:
    """`async with limits.slot("openrouter"): ...` holds one provider slot and one global slot."""

    def __init__(
        self, *, max_concurrent: int, max_per_provider: int, per_provider: dict[str, int] | None = None
    ) -> None:
        """`per_provider` overrides `max_per_provider` for the providers it names (ARENA_LLM_MAX_CONCURRENCY_<P>)."""
        caps = per_provider or {}
        if max_concurrent < 1 or max_per_provider < 1 or any(c < 1 for c in caps.values()):
            raise ValueError("LLM concurrency caps must be at least 1")
        self.max_concurrent = max_concurrent
        self.max_per_provider = max_per_provider
        self.per_provider = dict(caps)
        self._global = asyncio.Semaphore(max_concurrent)
        self._providers: dict[str, asyncio.Semaphore] = {}
        self._active = 0

    @property
    def active(self) -> int:
        """Calls holding a slot right now."""
        return self._active

    @asynccontextmanager
    async def slot(self, provider: str) -> AsyncIterator[None]:
        per_provider = self._providers.get(provider)
        if per_provider is None:
            cap = self.per_provider.get(provider, self.max_per_provider)
            per_provider = self._providers[provider] = asyncio.Semaphore(cap)
        async with per_provider, self._global:
            self._active += 1
            try:
                yield
            finally:
                self._active -= 1
