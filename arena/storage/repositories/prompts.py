"""Prompt template versions and labels: a new version is appended (never an edit in place), a label moves."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arena.kernel.clock import utcnow
from arena.storage.models import PromptLabel, PromptTemplateVersion, SettingsAudit


def get_version(
    *, session: Session, template_id: str, version: int, lock: bool = False
) -> PromptTemplateVersion | None:
    """One stored version; `lock` holds its row until the transaction ends (saves of one template queue up)."""
    query = select(PromptTemplateVersion).where(
        PromptTemplateVersion.template_id == template_id, PromptTemplateVersion.version == version
    )
    return session.scalar(query.with_for_update() if lock else query)


def all_versions(*, session: Session) -> list[PromptTemplateVersion]:
    """Every version of every template, by template then version."""
    return list(
        session.scalars(
            select(PromptTemplateVersion).order_by(PromptTemplateVersion.template_id, PromptTemplateVersion.version)
        )
    )


def all_labels(*, session: Session) -> list[PromptLabel]:
    return list(session.scalars(select(PromptLabel).order_by(PromptLabel.template_id, PromptLabel.label)))


def add_version(
    *, session: Session, template_id: str, role: str, role_text: str, notes: str | None, actor: str
) -> PromptTemplateVersion:
    """Append the next version of a template (version 1 for a new one); audited. The caller holds the transaction:
    two concurrent saves of one template collide on the (template_id, version) unique key, never overwrite."""
    latest = session.scalar(
        select(func.max(PromptTemplateVersion.version)).where(PromptTemplateVersion.template_id == template_id)
    )
    row = PromptTemplateVersion(
        template_id=template_id,
        version=(latest or 0) + 1,
        role=role,
        role_text=role_text,
        notes=notes,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    session.add(
        SettingsAudit(
            entity="prompt",
            entity_key=f"{template_id}@v{row.version}",
            before={"version": latest} if latest else None,
            after={"role": role, "role_text": role_text, "notes": notes},
            actor=actor,
        )
    )
    return row


def set_label(*, session: Session, template_id: str, label: str, version: int, actor: str) -> None:
    """Point `label` of a template at `version` (audited with the version it pointed at before)."""
    row = session.get(PromptLabel, (template_id, label))
    before = row.version if row is not None else None
    if row is None:
        session.add(PromptLabel(template_id=template_id, label=label, version=version, updated_by=actor))
    else:
        row.version, row.updated_by, row.updated_at = version, actor, utcnow()
    session.add(
        SettingsAudit(
            entity="prompt_label",
            entity_key=f"{template_id}:{label}",
            before={"version": before} if before is not None else None,
            after={"version": version},
            actor=actor,
        )
    )
    session.flush()
