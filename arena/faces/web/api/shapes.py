"""Read models to JSON: the one place the API formats them (ISO timestamps, vocabularies as their strings)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any


def jsonable(value: Any) -> Any:
    """A read model (dataclass, list, dict, datetime…) as plain JSON data; datetimes become `isoformat()` text."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value
