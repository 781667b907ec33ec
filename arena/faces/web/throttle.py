"""Failed-authentication throttling per client address, shared by the REST API and the dashboard sign-in.

After ARENA_AUTH_MAX_FAILURES failures within ARENA_AUTH_FAILURE_WINDOW_S from one address, that address is
refused (429 with Retry-After) until the oldest failure leaves the window — even with the right token, or guessing
would only be slowed, not stopped. Each failure is logged at WARNING with the address and the reason, never the
secret that was tried. One counter serves both doors, so an attacker cannot double the guesses by alternating.

State is in process memory (there is one web process) and bounded: at most MAX_ADDRESSES addresses are tracked,
the least recently failing one forgotten first. A success does not reset anyone's counter.
"""

from __future__ import annotations

import logging
import math
import threading
import time
import weakref
from collections import OrderedDict, deque

log = logging.getLogger("arena.web.auth")

MAX_ADDRESSES = 10_000


class FailureThrottle:
    def __init__(self, *, max_addresses: int = MAX_ADDRESSES) -> None:
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._max_addresses = max_addresses
        self._lock = threading.Lock()

    def retry_after(self, address: str, *, max_failures: int, window_s: float, now: float | None = None) -> int | None:
        """Whole seconds until `address` may try again, or None when it is not throttled."""
        current = time.monotonic() if now is None else now
        with self._lock:
            recent = self._recent(address, window_s, current)
            if recent is None or len(recent) < max_failures:
                return None
            # The slot frees when the failure that made the count reach the limit leaves the window.
            frees_at = recent[len(recent) - max_failures] + window_s
            return max(1, math.ceil(frees_at - current))

    def record_failure(
        self, address: str, reason: str, *, door: str, max_failures: int, window_s: float, now: float | None = None
    ) -> None:
        """Count one failure and log it (address and reason only)."""
        current = time.monotonic() if now is None else now
        with self._lock:
            recent = self._recent(address, window_s, current)
            if recent is None:
                recent = self._failures[address] = deque(maxlen=max(max_failures, 1) * 2)
                while len(self._failures) > self._max_addresses:
                    self._failures.popitem(last=False)
            recent.append(current)
            self._failures.move_to_end(address)
            count = len(recent)
        log.warning(
            "%s: authentication failed from %s: %s (%d in the last %g s; limit %d)",
            door,
            address,
            reason,
            count,
            window_s,
            max_failures,
        )

    def tracked(self) -> int:
        with self._lock:
            return len(self._failures)

    def _recent(self, address: str, window_s: float, now: float) -> deque[float] | None:
        recent = self._failures.get(address)
        if recent is None:
            return None
        while recent and recent[0] <= now - window_s:
            recent.popleft()
        if not recent:
            del self._failures[address]
            return None
        return recent


_THROTTLES: weakref.WeakKeyDictionary[object, FailureThrottle] = weakref.WeakKeyDictionary()
_THROTTLES_LOCK = threading.Lock()


def throttle_for(owner: object) -> FailureThrottle:
    """The throttle of one served application (its ApiContext): the API and the sign-in of the web process share
    one context, hence one throttle; an application built apart (a test) gets its own."""
    with _THROTTLES_LOCK:
        throttle = _THROTTLES.get(owner)
        if throttle is None:
            throttle = _THROTTLES[owner] = FailureThrottle()
        return throttle
