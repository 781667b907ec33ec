"""How the read models are filled from rows: one projection by field name, with the conversions they share
(NUMERIC to float, a stored string to its vocabulary member) — and the one way back out of them to JSON data."""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

E = TypeVar("E", bound=StrEnum)
M = TypeVar("M", bound="DataclassInstance")


def as_float(value: Decimal | float | int | None) -> float | None:
    """A NUMERIC (or aggregate) as a float; None stays None."""
    return float(value) if value is not None else None


def optional(vocabulary: type[E], value: str | None) -> E | None:
    """A nullable column as its vocabulary member (the check constraints guarantee membership)."""
    return vocabulary(value) if value is not None else None


def project(model: type[M], row: object, **given: Any) -> M:
    """`model` filled from `row`'s attributes of the same names; `given` supplies renamed or computed fields.

    A field typed as a vocabulary (`RunStatus`, `Action | None`, …) gets the member, a float field a float."""
    convert = _converters(model)
    values = {name: given[name] if name in given else convert[name](getattr(row, name)) for name in convert}
    return model(**values)


def jsonable(value: Any) -> Any:
    """A read model (dataclass, list, dict, datetime…) as plain JSON data: what the REST API and `run --json`
    print. Datetimes become `isoformat()` text, vocabulary members their strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return value


def _identity(value: Any) -> Any:
    return value


@functools.cache
def _converters(model: type[DataclassInstance]) -> dict[str, typing.Callable[[Any], Any]]:
    hints = typing.get_type_hints(model)
    return {f.name: _converter(hints[f.name]) for f in dataclasses.fields(model)}


def _converter(hint: Any) -> typing.Callable[[Any], Any]:
    members = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for member in members:
        if isinstance(member, type) and issubclass(member, StrEnum):
            return functools.partial(optional, member)
        if member is float:
            return as_float
    return _identity
