"""Formatting for the pages: money, durations, rates, ages — and escaping anything untrusted before Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from enum import StrEnum
from typing import Any

from arena.kernel.kinds import SizingKind

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$])")
DASH = "—"
SECOND = "%Y-%m-%d %H:%M:%S"  # timestamps in tables and labels (always UTC)
MINUTE = "%Y-%m-%d %H:%M"
SHORT_ID_CHARS = 8


def md_escape(value: Any) -> str:
    """Make any text inert inside Markdown (labels, captions): no links, images, emphasis or HTML."""
    return _MD_SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ")


def usd(value: float | None, *, digits: int = 4) -> str:
    return DASH if value is None else f"${value:,.{digits}f}"


def duration_ms(value: int | float | None) -> str:
    if value is None:
        return DASH
    return f"{value / 1000:.1f} s" if value >= 1000 else f"{int(value)} ms"


def rate(value: float | None) -> str:
    return DASH if value is None else f"{value:.0%}"


def confidence(value: float | None) -> str:
    return DASH if value is None else f"{value:.2f}"


def when(value: datetime | None) -> str:
    """A UTC timestamp to the second, with its zone (for prose; table cells use `timestamp`)."""
    return DASH if value is None else f"{timestamp(value)} UTC"


def timestamp(value: datetime | None, *, fmt: str = SECOND) -> str:
    """A UTC timestamp for a table cell or a label, without the zone (the column says UTC)."""
    return DASH if value is None else value.strftime(fmt)


def table(items: Iterable[Any]) -> list[dict[str, Any]]:
    """Read models (dataclasses) as the plain rows st.dataframe draws (vocabulary members as their text)."""
    return [{k: str(v) if isinstance(v, StrEnum) else v for k, v in asdict(item).items()} for item in items]


def ago(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "never"
    seconds = int((now - value).total_seconds())
    if seconds < 0:
        seconds = 0
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    if seconds < 172800:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def short_id(value: str | None) -> str:
    return DASH if not value else value[:SHORT_ID_CHARS]


def symbols(values: list[str] | None) -> str:
    return ", ".join(values or []) or DASH


def sizing(value: dict[str, Any] | None) -> str:
    if not value:
        return DASH
    kind, amount = value.get("kind"), value.get("value")
    shown: dict[str, str] = {
        SizingKind.PCT_EQUITY: f"{amount}% of equity",
        SizingKind.NOTIONAL_USD: f"${amount} notional",
        SizingKind.SHARES: f"{amount} shares",
    }
    return shown.get(str(kind), str(value))


def change(before: Any, after: Any) -> str:
    """An audit entry as text: `created` / `deleted`, a scalar `a → b`, or only the keys that changed."""
    if before is None:
        return "created: " + (
            ", ".join(f"{k}={v}" for k, v in after.items()) if isinstance(after, dict) else str(after)
        )
    if after is None:
        return f"deleted (was {before})"
    if isinstance(before, dict) and isinstance(after, dict):
        keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
        return "; ".join(f"{k}: {before.get(k)} → {after.get(k)}" for k in keys) or "no difference"
    return f"{before} → {after}"


UNIT_SUFFIXES = {"_usd": " (USD)", "_ms": " (ms)", "_pct": " (%)", "_s": " (s)"}


def cents(value: float | None) -> str:
    """An LLM cost for people: calls cost fractions of a cent, so cents (3 significant digits) below a dollar."""
    if value is None:
        return DASH
    if abs(value) >= 1:
        return f"${value:,.2f}"
    return "0¢" if value == 0 else f"{value * 100:.3g}¢"


def column_label(name: str) -> str:
    """A snake_case column name as a header for people: `cost_usd` → "Cost (USD)", `latency_ms` → "Latency (ms)"."""
    suffix = next((s for s in UNIT_SUFFIXES if name.endswith(s)), "")
    words = (name[: -len(suffix)] if suffix else name).replace("_", " ").strip()
    words = words.replace("llm", "LLM")
    return (words[:1].upper() + words[1:] + UNIT_SUFFIXES.get(suffix, "")) if words else name


def column_labels(columns: Iterable[str]) -> dict[str, str]:
    """The `column_config` that gives every column of a table its label for people."""
    return {c: column_label(c) for c in columns}
