"""The loopback Alpaca with two more ways for an answer to lose what the broker did (test-only).

- `accept_then_fail_next(n, status=500)`: the next n order submissions are carried out, then answered with an
  error (a 500 after the broker accepted the order);
- `hide_fill_price_next(n)`: the next n order reads report the filled quantity but no average price yet.
"""

from __future__ import annotations

from typing import Any

from tests.support.alpaca_server import AlpacaServer, _code_for


class AmbiguousAlpacaServer(AlpacaServer):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._fail_after_accept: list[int] = []
        self._hide_price = 0

    def accept_then_fail_next(self, n: int = 1, *, status: int = 500) -> None:
        with self._lock:
            self._fail_after_accept += [status] * n

    def hide_fill_price_next(self, n: int = 1) -> None:
        with self._lock:
            self._hide_price += n

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        status, payload = super().route(method, path, query, body)  # the broker does the work first
        with self._lock:
            if method == "POST" and path == "/v2/orders" and status == 200 and self._fail_after_accept:
                code = self._fail_after_accept.pop(0)
                return code, {"code": _code_for(code), "message": "internal server error"}
            if method == "GET" and path.startswith("/v2/orders") and isinstance(payload, dict) and self._hide_price:
                self._hide_price -= 1
                return status, {**payload, "filled_avg_price": None}
        return status, payload
