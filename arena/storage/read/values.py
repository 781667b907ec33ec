"""Small conversions the read models share: database numbers to floats, stored strings to their vocabulary."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


def as_float(value: Decimal | float | int | None) -> float | None:
    """A NUMERIC (or aggregate) as a float; None stays None."""
    return float(value) if value is not None else None


def optional(vocabulary: type[E], value: str | None) -> E | None:
    """A nullable column as its vocabulary member (the check constraints guarantee membership)."""
    return vocabulary(value) if value is not None else None
