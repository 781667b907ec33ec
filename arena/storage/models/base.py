"""Declarative base with a naming convention so Alembic constraint names are stable."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import MetaData
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


def check_in(column: str, vocabulary: type[StrEnum]) -> str:
    """SQL for a CHECK constraint that admits exactly the members of `vocabulary` (one kernel StrEnum)."""
    values = ", ".join(f"'{member.value}'" for member in vocabulary)
    return f"{column} IN ({values})"
