"""Profiles and their versions: an upsert writes a new version only when something changed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from arena.storage.models import AgentProfile, AgentProfileVersion, SettingsAudit

VERSIONED_FIELDS = (
    "provider",
    "api_base",
    "model",
    "role",
    "prompt_template_id",
    "prompt_version",
    "max_tokens",
    "temperature",
    "tool_policy",
    "tools_allowed",
    "tool_max_rounds",
    "tool_max_seconds",
    "mode",
    "enabled",
    "daily_budget_usd",
    "daily_call_limit",
    "timeout_s",
    "output_mode",
)


@dataclass(frozen=True)
class UpsertResult:
    profile_id: int
    version: int
    version_id: int
    created: bool
    changed: bool


def _version_values(row: AgentProfileVersion) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in VERSIONED_FIELDS}
    for money in ("daily_budget_usd",):
        if values[money] is not None:
            values[money] = float(values[money])
    values["temperature"] = float(values["temperature"])
    values["timeout_s"] = float(values["timeout_s"])
    values["tool_max_seconds"] = float(values["tool_max_seconds"])
    return values


def upsert_profile(*, session: Session, name: str, values: dict[str, Any], actor: str) -> UpsertResult:
    """Create the profile or add a version when `values` differ from the current one (audited)."""
    profile = session.scalar(select(AgentProfile).where(AgentProfile.name == name).with_for_update())
    wanted = {k: values[k] for k in VERSIONED_FIELDS}
    if profile is None:
        profile = AgentProfile(name=name, current_version=1, enabled=bool(wanted["enabled"]))
        session.add(profile)
        session.flush()
        row = AgentProfileVersion(profile_id=profile.id, version=1, created_by=actor, **wanted)
        session.add(row)
        session.add(SettingsAudit(entity="profile", entity_key=name, before=None, after=wanted, actor=actor))
        session.flush()
        return UpsertResult(profile.id, 1, row.id, created=True, changed=True)
    current = current_version(session=session, profile=profile)
    before = _version_values(current)
    if before == _normalise(wanted):
        return UpsertResult(profile.id, current.version, current.id, created=False, changed=False)
    new = AgentProfileVersion(profile_id=profile.id, version=current.version + 1, created_by=actor, **wanted)
    session.add(new)
    profile.current_version = new.version
    profile.enabled = bool(wanted["enabled"])
    session.add(SettingsAudit(entity="profile", entity_key=name, before=before, after=wanted, actor=actor))
    session.flush()
    return UpsertResult(profile.id, new.version, new.id, created=False, changed=True)


def _normalise(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for key in ("temperature", "timeout_s", "daily_budget_usd"):
        if out[key] is not None:
            out[key] = float(out[key])
    return out


def current_version(*, session: Session, profile: AgentProfile) -> AgentProfileVersion:
    row = session.scalar(
        select(AgentProfileVersion).where(
            AgentProfileVersion.profile_id == profile.id,
            AgentProfileVersion.version == profile.current_version,
        )
    )
    assert row is not None, f"profile {profile.name} has no version {profile.current_version}"
    return row


def current_profiles(*, session: Session) -> list[tuple[AgentProfile, AgentProfileVersion]]:
    """Every profile with its current version, by name."""
    stmt = (
        select(AgentProfile, AgentProfileVersion)
        .join(AgentProfileVersion, AgentProfileVersion.profile_id == AgentProfile.id)
        .where(AgentProfileVersion.version == AgentProfile.current_version)
        .order_by(AgentProfile.name)
    )
    return [(p, v) for p, v in session.execute(stmt).all()]


def profile_history(*, session: Session, name: str) -> list[AgentProfileVersion]:
    stmt = (
        select(AgentProfileVersion)
        .join(AgentProfile, AgentProfile.id == AgentProfileVersion.profile_id)
        .where(AgentProfile.name == name)
        .order_by(AgentProfileVersion.version.desc())
    )
    return list(session.scalars(stmt))
