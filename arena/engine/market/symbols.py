"""Ticker symbols as Arena accepts them: upper-case, de-duplicated, validated before any request is made.

MAX_SYMBOLS is the one symbol limit: a run request (API, CLI, dashboard), a strategy's universe, a market snapshot
and an agent decision's symbols all obey it, so nothing accepted at one door is refused at the next.

The `*_PATTERN`s are what the REST API's OpenAPI document publishes for `symbols`; `symbols_from_input` checks
input against exactly those patterns (`fullmatch`, same syntax in Python and JSON Schema), so the schema and the
validator cannot disagree.
"""

from __future__ import annotations

import re

from arena.kernel.errors import InvalidRequestError

MAX_SYMBOLS = 20

_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")
_AS_SENT = r" *[A-Za-z][A-Za-z0-9.-]{0,9} *"  # one symbol as a client may send it: any case, spaces around
SYMBOL_PATTERN = f"^{_AS_SENT}$"
SYMBOL_LIST_PATTERN = f"^{_AS_SENT}(,{_AS_SENT}){{0,{MAX_SYMBOLS - 1}}}$"  # "AAPL, msft" — up to MAX_SYMBOLS
_ONE = re.compile(SYMBOL_PATTERN)
_LIST = re.compile(SYMBOL_LIST_PATTERN)


def normalize_symbols(symbols: list[str]) -> list[str]:
    """Upper-case, de-duplicate (order kept) and validate ticker symbols before any request."""
    cleaned = list(dict.fromkeys(s.strip().upper() for s in symbols if s and s.strip()))
    if not cleaned:
        raise InvalidRequestError("at least one symbol is required", field="symbols")
    if len(cleaned) > MAX_SYMBOLS:
        raise InvalidRequestError(f"at most {MAX_SYMBOLS} symbols (got {len(cleaned)})", field="symbols")
    bad = [s for s in cleaned if not _SYMBOL.match(s)]
    if bad:
        raise InvalidRequestError(f"invalid symbol(s): {', '.join(bad)}", field="symbols")
    return cleaned


def _check_count(count: int) -> None:
    if count == 0:
        raise InvalidRequestError("at least one symbol is required", field="symbols")
    if count > MAX_SYMBOLS:
        raise InvalidRequestError(f"at most {MAX_SYMBOLS} symbols (got {count})", field="symbols")


def symbols_from_input(value: object) -> list[str]:
    """A list of symbols, or one comma-separated string of them, exactly as SYMBOL_PATTERN / SYMBOL_LIST_PATTERN
    describe it (at most MAX_SYMBOLS as sent); returns them normalized. InvalidRequestError otherwise."""
    if isinstance(value, str):
        parts = value.split(",")
        if not _LIST.fullmatch(value):
            if not value.strip(" ,"):
                raise InvalidRequestError("at least one symbol is required", field="symbols")
            bad = [p for p in parts if not _ONE.fullmatch(p)]
            if bad:
                raise InvalidRequestError(f"invalid symbol(s): {', '.join(repr(p) for p in bad[:5])}", field="symbols")
            _check_count(len(parts))  # every part is fine, so there are too many of them
        return normalize_symbols(parts)
    if not isinstance(value, list):
        raise InvalidRequestError("must be a list of symbols or a comma-separated string", field="symbols")
    _check_count(len(value))
    not_text = [i for i, item in enumerate(value) if not isinstance(item, str)]
    if not_text:
        raise InvalidRequestError(f"item(s) {not_text[:5]} are not strings", field="symbols")
    bad = [item for item in value if not _ONE.fullmatch(item)]
    if bad:
        raise InvalidRequestError(f"invalid symbol(s): {', '.join(repr(b) for b in bad[:5])}", field="symbols")
    return normalize_symbols(value)
