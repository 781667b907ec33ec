"""Agent profiles and their immutable versions: a run points at the exact version it used."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from arena.kernel.clock import utcnow
from arena.kernel.kinds import OutputMode, ProfileMode, Provider
from arena.storage.models.base import Base, check_in
from arena.storage.types import UTCDateTime


class AgentProfile(Base):
    """The stable identity of an agent (its name) and a pointer to its current version."""

    __tablename__ = "ai_agent_profiles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    current_version: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    versions: Mapped[list[AgentProfileVersion]] = relationship(
        back_populates="profile", order_by="AgentProfileVersion.version"
    )


class AgentProfileVersion(Base):
    """One immutable configuration of a profile; every edit writes a new row."""

    __tablename__ = "ai_agent_profile_versions"
    __table_args__ = (
        UniqueConstraint("profile_id", "version", name="uq_profile_version"),
        CheckConstraint(check_in("provider", Provider), name="provider"),
        CheckConstraint(check_in("mode", ProfileMode), name="mode"),
        CheckConstraint("temperature >= 0 AND temperature <= 2", name="temperature"),
        CheckConstraint("max_tokens > 0", name="max_tokens"),
        CheckConstraint("timeout_s > 0", name="timeout"),
        CheckConstraint(f"output_mode IS NULL OR {check_in('output_mode', OutputMode)}", name="output_mode"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("ai_agent_profiles.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(16))
    api_base: Mapped[str | None] = mapped_column(String(512), nullable=True)
    model: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(32))
    prompt_template_id: Mapped[str] = mapped_column(String(64))
    prompt_version: Mapped[int] = mapped_column(Integer)
    max_tokens: Mapped[int] = mapped_column(Integer)
    temperature: Mapped[float] = mapped_column(Float)
    tool_policy: Mapped[str] = mapped_column(String(32))
    tools_allowed: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None: every read-only tool
    tool_max_rounds: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    tool_max_seconds: Mapped[float] = mapped_column(Float, default=20.0, server_default="20")
    mode: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    daily_budget_usd: Mapped[Decimal | None] = mapped_column(Numeric(12, 4), nullable=True)
    daily_call_limit: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timeout_s: Mapped[float] = mapped_column(Float)
    output_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)  # None: the capability table decides
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    extra: Mapped[dict[str, object]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    profile: Mapped[AgentProfile] = relationship(back_populates="versions")
