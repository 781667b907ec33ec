"""A loopback Alpaca (market data + paper trading) that the real alpaca-py talks to over HTTP.

One server answers both APIs (point ALPACA_DATA_URL and ALPACA_TRADING_URL at `.url`), and the news API
(`/v1beta1/news`, the shape of alpaca-py's own news fixture; newest first by default, limit 1-50, `start` (default:
the beginning of the current day, as Alpaca's) and `end` honoured).
Bars honour `timeframe` (1Day from `set_bars`, 1Min from `set_minute_bars`), `start`/`end`, `limit` and `sort`. State and faults
are scripted from the test; every request is recorded in `.requests`. Wire shapes follow alpaca-py 0.44's
parsers (alpaca/data/models, alpaca/trading/models): numbers inside orders/positions/accounts are strings,
bars use the short keys t/o/h/l/c/v/n/vw, errors are `{"code": int, "message": str}`.

Orders move through a scripted flow, one step per GET of that order (by id or by client id):
  fill: accepted → partially_filled → filled      fill_now: filled
  reject: accepted → rejected   cancel: accepted → canceled   expire: accepted → expired   hold: accepted
A second order with a client_order_id already seen is always refused with 422, as Alpaca does.

Requests need both APCA-API-KEY-ID and APCA-API-SECRET-KEY (401 otherwise). Order submissions are checked the
way Alpaca checks them (client_order_id length, qty/notional, type, time_in_force, fractional rules, short
sales of a non-shortable asset); a bug in the server answers 500 instead of dropping the connection.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from arena.engine.config.settings import Settings
from arena.engine.market.snapshot import Bar, Position

ORDER_FLOWS: dict[str, tuple[str, ...]] = {
    "fill": ("accepted", "partially_filled", "filled"),
    "fill_now": ("filled",),
    "reject": ("accepted", "rejected"),
    "cancel": ("accepted", "canceled"),
    "expire": ("accepted", "expired"),
    "hold": ("accepted",),
}
TERMINAL = frozenset({"filled", "canceled", "expired", "rejected", "done_for_day"})
DEFAULT_BAR_END = date(2025, 3, 14)
DUPLICATE_MESSAGE = "client_order_id must be unique"
ORDER_TYPES = frozenset({"market", "limit", "stop", "stop_limit", "trailing_stop"})
TIME_IN_FORCE = frozenset({"day", "gtc", "opg", "cls", "ioc", "fok"})
# Alpaca's error codes by HTTP status (the `code` in `{"code": int, "message": str}`).
ALPACA_CODES: dict[int, int] = {
    400: 40010000,
    401: 40110000,
    403: 40310000,
    404: 40410000,
    422: 40010001,
    429: 42910000,
    500: 50000000,
}
UNAUTHORIZED = {"code": 40110000, "message": "request is not authorized"}
NOT_SHORTABLE = {"code": 40310000, "message": "account is not allowed to short"}


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float  # time.monotonic() when the request arrived
    key_id: str | None
    has_secret: bool = False  # an APCA-API-SECRET-KEY header came with it (its value is never kept)


@dataclass
class _Fault:
    remaining: int
    status: int | None  # None: hang instead of answering
    message: str
    seconds: float
    method: str | None
    path: str | None
    after_effect: bool = False  # hang *after* handling (the broker did the work, the client times out)
    code: int | None = None  # Alpaca's error code in the body (default: ALPACA_CODES by status)
    unreadable: bool = False  # answer 200 with a body that is not the expected model
    handled: bool = True  # an unreadable answer comes after the request was carried out

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (self.path is None or path == self.path)


@dataclass
class _Order:
    id: str
    client_order_id: str
    symbol: str
    side: str
    qty: float | None
    notional: float | None
    time_in_force: str
    fill_price: float
    type: str
    created_at: datetime
    history: list[str]
    pending: list[str]
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    filled_at: datetime | None = None

    @property
    def status(self) -> str:
        return self.history[-1]

    def move(self, status: str) -> None:
        self.history.append(status)
        self.updated_at = datetime.now(UTC)
        if status == "filled":
            self.filled_at = self.updated_at

    def advance(self) -> None:
        if self.pending:
            self.move(self.pending.pop(0))

    def total_qty(self) -> float:
        return self.qty if self.qty is not None else round((self.notional or 0.0) / self.fill_price, 9)

    def filled_qty(self) -> float:
        if "filled" in self.history:
            return self.total_qty()
        return round(self.total_qty() / 2, 9) if "partially_filled" in self.history else 0.0

    def to_json(self) -> dict[str, Any]:
        filled = self.filled_qty()
        moved_at = _iso(self.updated_at)
        return {
            "id": self.id,
            "client_order_id": self.client_order_id,
            "created_at": _iso(self.created_at),
            "updated_at": moved_at,
            "submitted_at": _iso(self.created_at),
            "filled_at": _iso(self.filled_at) if self.filled_at else None,
            "expired_at": moved_at if self.status == "expired" else None,
            "canceled_at": moved_at if self.status == "canceled" else None,
            "failed_at": moved_at if self.status == "rejected" else None,
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.symbol)),
            "symbol": self.symbol,
            "asset_class": "us_equity",
            "notional": None if self.notional is None else str(self.notional),
            "qty": None if self.qty is None else str(self.qty),
            "filled_qty": str(filled),
            "filled_avg_price": str(self.fill_price) if filled > 0 else None,
            "order_class": "simple",
            "order_type": self.type,
            "type": self.type,
            "side": self.side,
            "time_in_force": self.time_in_force,
            "status": self.status,
            "extended_hours": False,
        }


class AlpacaServer:
    """Context manager: `with AlpacaServer() as server: Settings(ALPACA_TRADING_URL=server.url, ...)`."""

    def __init__(
        self,
        *,
        key_id: str | None = None,
        secret_key: str | None = None,
        hang_seconds: float = 3.0,
        echo_credentials: bool = False,
    ) -> None:
        # When set, any other APCA-API-KEY-ID / APCA-API-SECRET-KEY gets 401 (a missing one always does).
        self.key_id = key_id
        self.secret_key = secret_key
        # A 401's message repeats the key and secret it got (a careless server): tests that nothing leaks them.
        self.echo_credentials = echo_credentials
        self.hang_seconds = hang_seconds
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._bars: dict[str, list[Bar]] = {}
        self._minute_bars: dict[str, list[Bar]] = {}
        self._news: list[dict[str, Any]] = []
        self._quotes: dict[str, tuple[float, float]] = {}
        self._assets: dict[str, dict[str, bool]] = {}
        self._account = {"equity": 100_000.0, "cash": 100_000.0, "buying_power": 200_000.0}
        self._positions: list[Position] = []
        self._clock_open = True
        self._faults: list[_Fault] = []
        self._orders: dict[str, _Order] = {}
        self._flows: list[tuple[tuple[str, ...], float | None]] = []
        self.default_flow: str | Sequence[str] = "fill"
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> AlpacaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()  # releases hanging handlers at once
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # ---- market data -------------------------------------------------------------------------
    def set_bars(
        self, symbol: str, closes_or_bars: Sequence[float] | Sequence[Bar], *, end: date = DEFAULT_BAR_END
    ) -> None:
        """Bars as given, or from closes: one per weekday ending at `end`, open = previous close,
        high/low = max/min(open, close) ± 0.5, so every true range is |Δclose| + 1."""
        items: list[float | Bar] = list(closes_or_bars)
        bars = [b for b in items if isinstance(b, Bar)]
        if not bars:
            closes = [float(c) for c in items if not isinstance(c, Bar)]
            prev: float | None = None
            for day, close in zip(weekdays(end, len(closes)), closes, strict=True):
                open_ = close if prev is None else prev
                moment = datetime(day.year, day.month, day.day, 5, tzinfo=UTC)
                bars.append(
                    Bar(t=moment, o=open_, h=max(open_, close) + 0.5, l=min(open_, close) - 0.5, c=close, v=1e3)
                )
                prev = close
        with self._lock:
            self._bars[symbol] = bars

    def set_minute_bars(self, symbol: str, bars: Sequence[Bar]) -> None:
        with self._lock:
            self._minute_bars[symbol] = list(bars)

    def add_news(
        self,
        symbols: Sequence[str],
        headline: str,
        *,
        summary: str = "",
        created_at: datetime,
        source: str = "benzinga",
        content: str = "",
    ) -> None:
        """One article, as Alpaca's news API returns it (ids increase in the order articles are added)."""
        with self._lock:
            moment = _iso(created_at)
            self._news.append(
                {
                    "author": "Loopback Newsdesk",
                    "content": content,
                    "created_at": moment,
                    "headline": headline,
                    "id": 40_000_000 + len(self._news),
                    "images": [],
                    "source": source,
                    "summary": summary,
                    "symbols": list(symbols),
                    "updated_at": moment,
                    "url": f"https://news.example/{len(self._news)}",
                }
            )

    def set_quote(self, symbol: str, bid: float, ask: float) -> None:
        with self._lock:
            self._quotes[symbol] = (bid, ask)

    # ---- account -----------------------------------------------------------------------------
    def set_account(self, equity: float, cash: float, buying_power: float) -> None:
        with self._lock:
            self._account = {"equity": equity, "cash": cash, "buying_power": buying_power}

    def set_positions(self, positions: Sequence[Position | dict[str, Any]]) -> None:
        with self._lock:
            self._positions = [p if isinstance(p, Position) else Position(**p) for p in positions]

    def set_clock(self, is_open: bool) -> None:
        with self._lock:
            self._clock_open = is_open

    def set_asset(
        self, symbol: str, *, tradable: bool = True, fractionable: bool = True, shortable: bool = True
    ) -> None:
        with self._lock:
            self._assets[symbol] = {"tradable": tradable, "fractionable": fractionable, "shortable": shortable}

    # ---- orders and faults -------------------------------------------------------------------
    def next_order_flow(self, flow: str | Sequence[str], *, fill_price: float | None = None) -> None:
        """The flow (name in ORDER_FLOWS, or statuses) for the next submitted order; queues up."""
        with self._lock:
            self._flows.append((_flow(flow), fill_price))

    def advance_order(self, client_order_id: str, status: str | None = None) -> None:
        """Move an order one scripted step, or straight to `status` (dropping the rest of its flow)."""
        with self._lock:
            order = self.find_order(client_order_id)
            if order is None:
                raise KeyError(client_order_id)
            if status is None:
                order.advance()
            else:
                order.pending.clear()
                order.move(status)

    def order(self, client_order_id: str) -> dict[str, Any] | None:
        """The order's current JSON (without advancing it), or None."""
        with self._lock:
            found = self.find_order(client_order_id)
            return found.to_json() if found else None

    def find_order(self, client_order_id: str) -> _Order | None:
        return next((o for o in self._orders.values() if o.client_order_id == client_order_id), None)

    @property
    def orders(self) -> list[dict[str, Any]]:
        with self._lock:
            return [o.to_json() for o in self._orders.values()]

    def fail_next(
        self,
        n: int = 1,
        *,
        status: int = 503,
        message: str = "service unavailable",
        code: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next n matching requests (any, by default) with this HTTP status and Alpaca code
        (`code` defaults to ALPACA_CODES for the status)."""
        self._add_fault(_Fault(n, status, message, 0.0, method, path, code=code))

    def unreadable_next(
        self, n: int = 1, *, handle: bool = True, method: str | None = "POST", path: str | None = "/v2/orders"
    ) -> None:
        """Answer the next n matching requests 200 with a body that is not the expected model (alpaca-py's parser
        fails, the client never learns the order). `handle`: do the work first (the order is created) or not."""
        self._add_fault(_Fault(n, 200, "", 0.0, method, path, unreadable=True, handled=handle))

    def hang_next(
        self, n: int = 1, *, seconds: float | None = None, method: str | None = None, path: str | None = None
    ) -> None:
        """Hold the next n matching requests without answering (past any sane client timeout)."""
        self._add_fault(_Fault(n, None, "", seconds or self.hang_seconds, method, path))

    def accept_then_hang_next(self, n: int = 1, *, seconds: float | None = None) -> None:
        """Create the next n orders, then hang: the order exists though the client saw a timeout."""
        fault = _Fault(n, None, "", seconds or self.hang_seconds, "POST", "/v2/orders", after_effect=True)
        self._add_fault(fault)

    def requests_to(self, method: str, path: str) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if r.method == method and r.path == path]

    def _add_fault(self, fault: _Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take_fault(self, method: str, path: str) -> _Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.matches(method, path):
                    fault.remaining -= 1
                    return fault
        return None

    def wait(self, seconds: float) -> None:
        self._stop.wait(seconds)

    # ---- routing (called from handler threads) -------------------------------------------------
    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        with self._lock:
            return _Routes(self).route(method, path, query, body)


def settings_for(
    server: AlpacaServer, *, key: str = "test-key-id", secret: str = "test-secret", timeout_s: float = 0.5
) -> Settings:
    """Settings pointing both Alpaca URLs at the server, with a short timeout (0.5 s: the timeout tests) and no .env.
    Tests that are not about timeouts pass a longer one, so a loaded CI machine cannot fail them."""
    return Settings(
        _env_file=None,
        ALPACA_API_KEY=key,
        ALPACA_SECRET_KEY=secret,
        ALPACA_TRADING_URL=server.url,
        ALPACA_DATA_URL=server.url,
        ARENA_HTTP_TIMEOUT_S=timeout_s,
    )


def _flow(flow: str | Sequence[str]) -> tuple[str, ...]:
    return ORDER_FLOWS[flow] if isinstance(flow, str) else tuple(flow)


def _handler_for(server: AlpacaServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def _handle(self) -> None:
            try:
                self._answer()
            except Exception as exc:  # a bug here: answer like Alpaca's 500, never drop the connection
                self._send(500, {"code": 50000000, "message": f"internal server error: {type(exc).__name__}: {exc}"})

        def _answer(self) -> None:
            parts = urlsplit(self.path)
            path = unquote(parts.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            key_id = self.headers.get("APCA-API-KEY-ID")
            secret = self.headers.get("APCA-API-SECRET-KEY")
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode(errors="replace")
            server.requests.append(
                RecordedRequest(self.command, path, query, body, time.monotonic(), key_id, has_secret=bool(secret))
            )
            if not _authorized(server, key_id, secret):
                payload = dict(UNAUTHORIZED)
                if server.echo_credentials:
                    payload["message"] += f" (key {key_id!r}, secret {secret!r})"
                return self._send(401, payload)
            if isinstance(body, str):
                return self._send(400, {"code": 40010000, "message": "request body format is invalid"})
            fault = server.take_fault(self.command, path)
            if fault is not None and not fault.after_effect and not fault.unreadable:
                if fault.status is None:
                    server.wait(fault.seconds)
                    return None  # the client has given up; answer nothing
                code = fault.code if fault.code is not None else _code_for(fault.status)
                return self._send(fault.status, {"code": code, "message": fault.message})
            if fault is not None and fault.unreadable and not fault.handled:
                return self._send(200, {"note": "truncated answer"})
            status, payload = server.route(self.command, path, query, body)
            if fault is not None and fault.unreadable:
                # the work is done; the answer has the order's id and nothing else a parser needs
                shown = {"id": payload.get("id")} if isinstance(payload, dict) else {}
                return self._send(200, {**shown, "note": "truncated answer"})
            if fault is not None:
                server.wait(fault.seconds)
                return None
            return self._send(status, payload)

        def _send(self, status: int, payload: Any) -> None:
            data = b"" if payload is None else json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_DELETE = do_PATCH = _handle

    return Handler


def _authorized(server: AlpacaServer, key_id: str | None, secret: str | None) -> bool:
    """Both headers present, and equal to the server's when it names them."""
    if not key_id or not secret:
        return False
    return (server.key_id is None or key_id == server.key_id) and (
        server.secret_key is None or secret == server.secret_key
    )


def _code_for(status: int) -> int:
    return ALPACA_CODES.get(status, 50000000 if status >= 500 else status * 100000)


def weekdays(end: date, count: int) -> Iterator[date]:
    """The `count` weekdays ending at `end`, oldest first (the calendar set_bars uses)."""
    days: list[date] = []
    day = end
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    yield from reversed(days)


def _error(status: int, message: str) -> tuple[int, Any]:
    return status, {"code": _code_for(status), "message": message}


def _positive_number(value: Any) -> float | None:
    """qty / notional as Alpaca reads them: a JSON number or a numeric string, > 0; None when not."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number > 0 and number == number and number != float("inf") else None


class _Routes:
    """Answers one request against the server's state; the caller holds the state lock."""

    def __init__(self, server: AlpacaServer) -> None:
        self.s = server

    def route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        s = self.s
        if method == "GET":
            fixed: dict[str, Callable[[], tuple[int, Any]]] = {
                "/v2/stocks/bars": lambda: self.bars(query),
                "/v1beta1/news": lambda: self.news(query),
                "/v2/stocks/quotes/latest": lambda: self.quotes(query),
                "/v2/account": self.account,
                "/v2/positions": lambda: (200, [self.position(p) for p in s._positions]),
                "/v2/clock": self.clock,
                "/v2/orders": lambda: self.list_orders(query),
                "/v2/orders:by_client_order_id": lambda: self.get_order(query.get("client_order_id", ""), None),
            }
            if path in fixed:
                return fixed[path]()
            if path.startswith("/v2/assets/"):
                return self.asset(path.removeprefix("/v2/assets/"))
            if path.startswith("/v2/orders/"):
                return self.get_order(None, path.removeprefix("/v2/orders/"))
        if method == "POST" and path == "/v2/orders":
            return self.submit(body if isinstance(body, dict) else {})
        if method == "DELETE" and path.startswith("/v2/orders/"):
            return self.cancel(path.removeprefix("/v2/orders/"))
        return _error(404, f"endpoint not found: {method} {path}")

    # ---- data ----
    def bars(self, query: dict[str, str]) -> tuple[int, Any]:
        start = _parse_time(query["start"]) if "start" in query else None
        end = _parse_time(query["end"]) if "end" in query else None
        timeframe = query.get("timeframe", "1Day")
        if timeframe not in ("1Day", "1Min"):
            return _error(422, f"invalid timeframe {timeframe!r} (this server has 1Day and 1Min bars)")
        source = self.s._bars if timeframe == "1Day" else self.s._minute_bars
        limit = int(query["limit"]) if query.get("limit") else None
        if limit is not None and not 1 <= limit <= 10_000:
            return _error(422, "invalid limit: must be between 1 and 10000")
        sort = query.get("sort", "asc")
        if sort not in ("asc", "desc"):
            return _error(422, f"invalid sort {sort!r}")
        found: dict[str, list[dict[str, Any]]] = {}
        taken = 0
        for symbol in query.get("symbols", "").split(","):
            chosen = [
                b for b in source.get(symbol, []) if (start is None or b.t >= start) and (end is None or b.t <= end)
            ]
            chosen.sort(key=lambda b: b.t, reverse=sort == "desc")
            if limit is not None:  # a limit counts bars across all symbols of the page
                chosen = chosen[: max(0, limit - taken)]
            taken += len(chosen)
            rows = [
                {"t": _iso(b.t), "o": b.o, "h": b.h, "l": b.l, "c": b.c, "v": b.v, "n": 100, "vw": b.c} for b in chosen
            ]
            if rows:  # like Alpaca, a symbol without bars is simply absent
                found[symbol] = rows
        return 200, {"bars": found, "next_page_token": None}

    def news(self, query: dict[str, str]) -> tuple[int, Any]:
        limit = int(query["limit"]) if query.get("limit") else 10
        if not 1 <= limit <= 50:
            return _error(400, "limit must be between 1 and 50")
        wanted = {s for s in query.get("symbols", "").split(",") if s}
        # like Alpaca's news API, a missing start means the beginning of the current (UTC) day
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start = _parse_time(query["start"]) if query.get("start") else today
        end = _parse_time(query["end"]) if query.get("end") else None
        articles = [
            a
            for a in self.s._news
            if (not wanted or wanted & set(a["symbols"]))
            and _parse_time(a["created_at"]) >= start
            and (end is None or _parse_time(a["created_at"]) <= end)
        ]
        articles.sort(key=lambda a: (a["created_at"], a["id"]), reverse=query.get("sort", "desc") == "desc")
        return 200, {"news": articles[:limit], "next_page_token": None}

    def quotes(self, query: dict[str, str]) -> tuple[int, Any]:
        now = _iso(datetime.now(UTC))
        found = {
            symbol: {"t": now, "ax": "V", "ap": ask, "as": 1, "bx": "V", "bp": bid, "bs": 1, "c": ["R"], "z": "C"}
            for symbol in query.get("symbols", "").split(",")
            if symbol in self.s._quotes
            for bid, ask in [self.s._quotes[symbol]]
        }
        return 200, {"quotes": found}

    # ---- account ----
    def account(self) -> tuple[int, Any]:
        a = self.s._account
        return 200, {
            "id": "11111111-2222-3333-4444-555555555555",
            "account_number": "PA0LOOPBACK",
            "status": "ACTIVE",
            "currency": "USD",
            "cash": str(a["cash"]),
            "buying_power": str(a["buying_power"]),
            "equity": str(a["equity"]),
            "portfolio_value": str(a["equity"]),
            "last_equity": str(a["equity"]),
            "pattern_day_trader": False,
            "trading_blocked": False,
            "account_blocked": False,
            "multiplier": "2",
        }

    @staticmethod
    def position(p: Position) -> dict[str, Any]:
        return {
            "asset_id": str(uuid.uuid5(uuid.NAMESPACE_URL, p.symbol)),
            "symbol": p.symbol,
            "exchange": "NASDAQ",
            "asset_class": "us_equity",
            "avg_entry_price": str(p.avg_entry_price),
            "qty": str(p.qty),
            "side": p.side,
            "market_value": str(p.market_value),
            "cost_basis": str(p.avg_entry_price * abs(p.qty)),
        }

    def clock(self) -> tuple[int, Any]:
        now = datetime.now(UTC)
        next_open = now + timedelta(hours=1 if not self.s._clock_open else 18)
        next_close = now + timedelta(hours=5)
        return 200, {
            "timestamp": _iso(now),
            "is_open": self.s._clock_open,
            "next_open": _iso(next_open),
            "next_close": _iso(next_close),
        }

    def _known(self, symbol: str) -> bool:
        return symbol in self.s._assets or symbol in self.s._bars or symbol in self.s._quotes

    def asset(self, symbol: str) -> tuple[int, Any]:
        if not self._known(symbol):
            return _error(404, f"asset not found for {symbol}")
        flags = self.s._assets.get(symbol, {"tradable": True, "fractionable": True, "shortable": True})
        return 200, {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, symbol)),
            "class": "us_equity",
            "exchange": "NASDAQ",
            "symbol": symbol,
            "name": symbol,
            "status": "active",
            "marginable": True,
            "easy_to_borrow": flags["shortable"],
            **flags,
        }

    # ---- orders ----
    def list_orders(self, query: dict[str, str]) -> tuple[int, Any]:
        status = query.get("status", "open")
        after = _parse_time(query["after"]) if "after" in query else None
        until = _parse_time(query["until"]) if "until" in query else None
        symbols = set(query["symbols"].split(",")) if query.get("symbols") else None
        orders = [
            o
            for o in self.s._orders.values()
            if (status == "all" or (o.status in TERMINAL) == (status == "closed"))
            and (after is None or o.created_at > after)
            and (until is None or o.created_at <= until)
            and (symbols is None or o.symbol in symbols)
        ]
        orders.sort(key=lambda o: o.created_at, reverse=query.get("direction", "desc") == "desc")
        return 200, [o.to_json() for o in orders[: int(query.get("limit", 50))]]

    def get_order(self, client_order_id: str | None, order_id: str | None) -> tuple[int, Any]:
        order = self.s._orders.get(order_id or "") if client_order_id is None else self.s.find_order(client_order_id)
        if order is None:
            return 404, {"code": 40410000, "message": "order not found"}
        order.advance()
        return 200, order.to_json()

    def submit(self, body: dict[str, Any]) -> tuple[int, Any]:
        s = self.s
        client_order_id = str(body.get("client_order_id") or uuid.uuid4())
        if len(client_order_id) > 128:
            return _error(422, "client_order_id must be no more than 128 characters")
        if s.find_order(client_order_id) is not None:
            return _error(422, DUPLICATE_MESSAGE)
        symbol = str(body.get("symbol") or "")
        if not self._known(symbol):
            return _error(422, f'asset "{symbol}" not found')
        flags = s._assets.get(symbol, {"tradable": True, "fractionable": True, "shortable": True})
        if not flags["tradable"]:
            return _error(422, f"asset {symbol} is not tradable")
        raw_qty, raw_notional = body.get("qty"), body.get("notional")
        if (raw_qty is None) == (raw_notional is None):
            return _error(422, "qty or notional is required, not both")
        qty, notional = _positive_number(raw_qty), _positive_number(raw_notional)
        if raw_qty is not None and qty is None:
            return _error(422, "qty must be a number > 0")
        if raw_notional is not None and notional is None:
            return _error(422, "notional must be a number > 0")
        side, order_type, tif = body.get("side"), body.get("type"), body.get("time_in_force")
        if side not in ("buy", "sell"):
            return _error(422, "side must be buy or sell")
        if order_type not in ORDER_TYPES:
            return _error(422, f"invalid order type: {order_type}")
        if tif not in TIME_IN_FORCE:
            return _error(422, f"invalid time_in_force: {tif}")
        fractional = notional is not None or (qty is not None and qty != int(qty))
        if fractional and tif != "day":
            return _error(422, "fractional orders must be day orders")
        if qty is not None and qty != int(qty) and not flags["fractionable"]:
            return _error(422, f"asset {symbol} is not fractionable")
        fill_price = self._price(symbol)
        if side == "sell" and not flags["shortable"]:
            held = sum(p.qty for p in s._positions if p.symbol == symbol and p.qty > 0)
            wanted = qty if qty is not None else (notional or 0.0) / fill_price
            if wanted > held:
                return 403, dict(NOT_SHORTABLE)
        flow, price = s._flows.pop(0) if s._flows else (_flow(s.default_flow), None)
        now = datetime.now(UTC)
        order = _Order(
            id=str(uuid.uuid4()),
            client_order_id=client_order_id,
            symbol=symbol,
            side=str(side),
            qty=qty,
            notional=notional,
            time_in_force=str(tif),
            fill_price=price or fill_price,
            type=str(order_type),
            created_at=now,
            history=[],
            pending=list(flow[1:]),
        )
        order.move(flow[0])
        s._orders[order.id] = order
        return 200, order.to_json()

    def _price(self, symbol: str) -> float:
        if symbol in self.s._quotes:
            bid, ask = self.s._quotes[symbol]
            return round((bid + ask) / 2, 4)
        bars = self.s._bars.get(symbol)
        return bars[-1].c if bars else 100.0

    def cancel(self, order_id: str) -> tuple[int, Any]:
        order = self.s._orders.get(order_id)
        if order is None:
            return 404, {"code": 40410000, "message": "order not found"}
        if order.status in TERMINAL:
            return _error(422, f"order is not cancelable (status {order.status})")
        order.pending.clear()
        order.move("canceled")
        return 204, None
