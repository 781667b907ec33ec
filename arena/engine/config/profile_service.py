"""Saving profiles: the one path the CLI, dashboard and API share (validate, version, audit)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.profiles import ProfileSpec
from arena.kernel.errors import InvalidRequestError
from arena.storage.repositories.profiles import UpsertResult, upsert_profile


def validate_profile(data: dict[str, Any]) -> ProfileSpec:
    """Parse operator input; InvalidRequestError lists every field error (nothing is saved)."""
    try:
        return ProfileSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError("; ".join(field_errors(exc)), field=_first_field(exc)) from None


def field_errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()]


def _first_field(exc: ValidationError) -> str | None:
    errors = exc.errors()
    return ".".join(str(p) for p in errors[0]["loc"]) if errors and errors[0]["loc"] else None


def save_profile(*, sessions: sessionmaker[Session], spec: ProfileSpec, actor: str) -> UpsertResult:
    """Create the profile or write a new version when anything changed."""
    with sessions() as session, session.begin():
        return upsert_profile(session=session, name=spec.name, values=spec.model_dump(exclude={"name"}), actor=actor)
