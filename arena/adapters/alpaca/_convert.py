"""alpaca-py's loose field types → plain Python: numbers arrive as str/float/None, enums as Enum or str."""

from __future__ import annotations

from typing import Any


def number(value: Any) -> float | None:
    """A float, or None when Alpaca sent nothing (None or "")."""
    return None if value in (None, "") else float(value)


def number_or_zero(value: Any) -> float:
    """A float, 0.0 when Alpaca sent nothing (account and position amounts)."""
    found = number(value)
    return 0.0 if found is None else found


def enum_text(value: Any) -> str | None:
    """An alpaca-py enum (or plain string) as Alpaca's lower-case wire text; None stays None."""
    return None if value is None else str(getattr(value, "value", value)).lower()
