"""alpaca-py's failures → Arena's errors, through one mapping table (the idea of httpx's `map_exceptions`).

Every call into alpaca-py runs inside `vendor_errors(CallContext(...))`; the first row of `_exception_table()`
whose vendor exception matches decides what leaves the adapter, and `_api_error` maps an HTTP answer by status:

    vendor failure                                   Arena error (arena.kernel.errors)   the caller should
    -----------------------------------------------  ----------------------------------  ------------------
    HTTP 422 "client_order_id must be unique"        DuplicateClientOrderId              look the order up
    HTTP 408, 429, 5xx, or no status                 BrokerUnavailable                   retry later
    any other HTTP 4xx (401, 403, 404, 422, …)       BrokerRejected(status, code)        give up and record
    a malformed base URL                             ConfigurationError                  stop: fix settings
    timeout                                          BrokerUnavailable ("timed out")     retry later
    connection refused / reset, other I/O error      BrokerUnavailable                   retry later
    a response alpaca-py cannot parse                BrokerRejected(status None)         give up and record

Messages carry the action, the status and Alpaca's own message, never the API key or secret (`scrubber`), and the
vendor exception is not chained to the Arena error. A failure with no HTTP status (an unreadable answer) may hide
a request the broker carried out: on submit, the caller looks the order up before deciding (pipeline).
alpaca-py and requests are imported when the first error is mapped, so importing this module stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import NoReturn

from arena.kernel.errors import (
    ArenaError,
    BrokerRejected,
    BrokerUnavailable,
    ConfigurationError,
    DuplicateClientOrderId,
)

RETRYABLE_STATUS = frozenset({408, 429})
_MAX_MESSAGE = 300

Scrub = Callable[[str], str]


@dataclass(frozen=True)
class CallContext:
    """What a translation may say about the failed call: what it was doing, and how to keep secrets out."""

    action: str
    scrub: Scrub
    timeout_s: float | None = None


Translate = Callable[[BaseException, CallContext], ArenaError]


def scrubber(secrets: Sequence[str], *, limit: int = _MAX_MESSAGE) -> Scrub:
    """A function that blanks every secret out of a text and caps its length."""
    values = [s for s in secrets if s]

    def scrub(text: str) -> str:
        for value in values:
            text = text.replace(value, "***")
        return text[:limit]

    return scrub


def vendor_detail(body: str) -> tuple[int | None, str]:
    """Alpaca's error bodies are `{"code": int, "message": str}`; fall back to the raw text."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None, body.strip()
    if isinstance(parsed, dict):
        code = parsed.get("code")
        return (code if isinstance(code, int) else None), str(parsed.get("message", body)).strip()
    return None, body.strip()


def is_duplicate_client_order_id(status: int | None, detail: str) -> bool:
    """Alpaca answers 422 "client_order_id must be unique"; match the wording loosely."""
    text = detail.lower()
    return (
        status == 422 and "client_order_id" in text and any(word in text for word in ("unique", "duplicate", "already"))
    )


def error_for_status(status: int | None, *, message: str, code: int | None, detail: str) -> ArenaError:
    """The status half of the table: which Arena error an HTTP answer from Alpaca becomes."""
    if is_duplicate_client_order_id(status, detail):
        return DuplicateClientOrderId(message, status=status, code=code)
    if status is None or status in RETRYABLE_STATUS or status >= 500:
        return BrokerUnavailable(message)
    return BrokerRejected(message, status=status, code=code)


def _api_error(exc: BaseException, ctx: CallContext) -> ArenaError:
    status: int | None = getattr(exc, "status_code", None)
    code, detail = vendor_detail(str(exc))
    detail = ctx.scrub(detail)
    message = f"alpaca {ctx.action} failed: HTTP {status}: {detail}"
    return error_for_status(status, message=message, code=code, detail=detail)


def _bad_url(_exc: BaseException, ctx: CallContext) -> ArenaError:
    return ConfigurationError(f"alpaca {ctx.action}: the configured Alpaca URL is not a valid URL")


def _timeout(_exc: BaseException, ctx: CallContext) -> ArenaError:
    after = f" after {ctx.timeout_s:g}s" if ctx.timeout_s is not None else ""
    return BrokerUnavailable(f"alpaca {ctx.action} timed out{after}")


def _unreachable(exc: BaseException, ctx: CallContext) -> ArenaError:
    return BrokerUnavailable(f"alpaca {ctx.action} failed: {type(exc).__name__}: {ctx.scrub(str(exc))}")


def _bad_shape(exc: BaseException, ctx: CallContext) -> ArenaError:
    count = exc.error_count() if hasattr(exc, "error_count") else "?"
    return BrokerRejected(f"alpaca {ctx.action}: unexpected response shape ({count} validation errors)")


def _unparsable(exc: BaseException, ctx: CallContext) -> ArenaError:
    return BrokerRejected(f"alpaca {ctx.action}: unexpected response ({type(exc).__name__}: {ctx.scrub(str(exc))})")


@cache
def _exception_table() -> tuple[tuple[type[BaseException] | tuple[type[BaseException], ...], Translate], ...]:
    """Vendor exception → translation, first match wins (so the more specific rows come first)."""
    import requests
    from alpaca.common.exceptions import APIError
    from pydantic import ValidationError
    from requests.exceptions import InvalidSchema, InvalidURL, MissingSchema

    return (
        (APIError, _api_error),
        ((MissingSchema, InvalidSchema, InvalidURL), _bad_url),
        (requests.Timeout, _timeout),
        (requests.RequestException, _unreachable),
        (ValidationError, _bad_shape),
        ((ValueError, TypeError, KeyError), _unparsable),  # alpaca-py's parsers on a body they don't expect
    )


def translate(exc: BaseException, ctx: CallContext) -> ArenaError | None:
    """The Arena error for a vendor exception, or None when the table has no row for it."""
    if isinstance(exc, ArenaError):
        return None
    for vendor, to_arena in _exception_table():
        if isinstance(exc, vendor):
            return to_arena(exc, ctx)
    return None


@contextmanager
def vendor_errors(ctx: CallContext) -> Iterator[None]:
    """Run alpaca-py calls, turning their failures into Arena's errors (the table above); the rest pass through.

    The vendor exception is not kept on the Arena error (no __cause__, no __context__): its text may carry the
    API key or secret (a server that echoes them), and only the scrubbed message may leave the adapter.
    """
    mapped: ArenaError | None = None
    try:
        yield
    except Exception as exc:
        mapped = translate(exc, ctx)
        if mapped is None:
            raise
    if mapped is not None:
        _raise_detached(mapped)


def _raise_detached(error: ArenaError) -> NoReturn:
    """Raise `error` with no link to the exception being handled (Python would set it as __context__)."""
    try:
        raise error from None
    except ArenaError as raised:
        raised.__context__ = None
        raise
