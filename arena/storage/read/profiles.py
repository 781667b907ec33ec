"""Agent profiles as read models: the current version of each (the Profiles page, `GET /profiles`, the pickers)
and one profile's version history. Only reads; saving goes through arena/engine/config/profile_service.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from arena.kernel.kinds import OutputMode, ProfileMode, Provider
from arena.storage.read.values import project
from arena.storage.repositories.profiles import current_profiles, profile_history


@dataclass(frozen=True, slots=True)
class ProfileVersionView:
    """One version of a profile's settings: who saved it, when, and what it says."""

    version: int
    created_at: datetime
    created_by: str
    provider: Provider
    api_base: str | None
    model: str
    role: str
    prompt_template_id: str
    prompt_version: int
    max_tokens: int
    temperature: float
    tool_policy: str
    tools_allowed: list[str] | None  # None: every read-only tool (when the policy is read_only)
    tool_max_rounds: int
    tool_max_seconds: float
    mode: ProfileMode
    enabled: bool
    daily_budget_usd: float | None
    daily_call_limit: int | None
    timeout_s: float
    output_mode: OutputMode | None  # None: the capability table decides


@dataclass(frozen=True, slots=True)
class ProfileView(ProfileVersionView):
    """A profile at its current version; `enabled` is the profile's own switch."""

    name: str
    version_id: int


def profile_views(*, session: Session) -> list[ProfileView]:
    """Every profile at its current version, by name."""
    return [
        project(ProfileView, v, name=p.name, version_id=v.id, enabled=p.enabled)
        for p, v in current_profiles(session=session)
    ]


def profile_versions(*, session: Session, name: str) -> list[ProfileVersionView]:
    """Every version of one profile, newest first."""
    return [project(ProfileVersionView, v) for v in profile_history(session=session, name=name)]
