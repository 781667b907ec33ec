"""Ticker symbols as Arena accepts them: upper-case, de-duplicated, validated before any request is made."""

from __future__ import annotations

import re

from arena.kernel.errors import InvalidRequestError

_SYMBOL = re.compile(r"^[A-Z][A-Z0-9.\-]{0,9}$")
MAX_SYMBOLS = 50


def normalize_symbols(symbols: list[str]) -> list[str]:
    """Upper-case, de-duplicate (order kept) and validate ticker symbols before any request."""
    cleaned = list(dict.fromkeys(s.strip().upper() for s in symbols if s and s.strip()))
    if not cleaned:
        raise InvalidRequestError("at least one symbol is required", field="symbols")
    if len(cleaned) > MAX_SYMBOLS:
        raise InvalidRequestError(f"at most {MAX_SYMBOLS} symbols per snapshot", field="symbols")
    bad = [s for s in cleaned if not _SYMBOL.match(s)]
    if bad:
        raise InvalidRequestError(f"invalid symbol(s): {', '.join(bad)}", field="symbols")
    return cleaned
