"""Prompt templates as read models: every version with the labels that point at it (Profiles page, GET /prompts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from arena.storage.read.values import project
from arena.storage.repositories.prompts import all_labels, all_versions


@dataclass(frozen=True, slots=True)
class PromptVersionView:
    template_id: str
    version: int
    role: str
    role_text: str
    notes: str | None
    created_by: str
    created_at: datetime
    labels: list[str]  # e.g. ["production"]: the labels that point at this version


def prompt_views(*, session: Session) -> list[PromptVersionView]:
    """Every version of every template, by template then version."""
    labels: dict[tuple[str, int], list[str]] = {}
    for label in all_labels(session=session):
        labels.setdefault((label.template_id, label.version), []).append(label.label)
    return [
        project(PromptVersionView, v, labels=sorted(labels.get((v.template_id, v.version), [])))
        for v in all_versions(session=session)
    ]
