"""Prompt templates as data: every version of every role prompt, and the labels (production, candidate…) that
point at one version each. Versions are never edited in place: an edit is a new version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from arena.kernel.clock import utcnow
from arena.kernel.kinds import Role
from arena.storage.models.base import Base, check_in
from arena.storage.types import UTCDateTime

ROLE_TEXT_MAX_CHARS = 8_000


class PromptTemplateVersion(Base):
    __tablename__ = "ai_prompt_templates"
    __table_args__ = (
        UniqueConstraint("template_id", "version"),
        CheckConstraint(check_in("role", Role), name="role"),
        CheckConstraint("version >= 1", name="version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    template_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    role_text: Mapped[str] = mapped_column(Text)  # what the role is asked to do; follows the shared rules and data
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)  # why this version was written
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PromptLabel(Base):
    """`production` → version 3 of `technical_analyst`: one version per (template, label)."""

    __tablename__ = "ai_prompt_labels"

    template_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(32), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_by: Mapped[str] = mapped_column(String(64), default="system")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
