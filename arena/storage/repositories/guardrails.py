"""Guardrail settings rows and their audit trail."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.storage.models import GuardrailSetting, SettingsAudit


def stored_values(*, session: Session) -> dict[str, Any]:
    return {row.key: row.value for row in session.scalars(select(GuardrailSetting))}


def store_value(*, session: Session, key: str, value: Any, before: Any, actor: str) -> None:
    row = session.get(GuardrailSetting, key)
    if row is None:
        session.add(GuardrailSetting(key=key, value=value, updated_by=actor))
    else:
        row.value = value
        row.updated_by = actor
    session.add(SettingsAudit(entity="guardrail", entity_key=key, before=before, after=value, actor=actor))
    session.flush()
