"""Declarative base with a naming convention so Alembic constraint names are stable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, inspect
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def assigned_before(row: Base, key: str) -> Any:
    """The value `key` holds before an assignment now being validated; None on a row being built.

    A stored row whose attribute is expired is refreshed first, so a status change is always checked against
    what the database holds.
    """
    state = inspect(row)
    if key in state.dict:
        return state.dict[key]
    if state.persistent:
        return getattr(row, key)
    return None
