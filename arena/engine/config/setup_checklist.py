"""The setup checklist an empty dashboard shows: what to configure next, never invented rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from arena.engine.config.settings import Settings
from arena.kernel.clock import utcnow
from arena.kernel.kinds import Provider
from arena.storage.read.setup_facts import SetupFacts

HEARTBEAT_STALE_AFTER = timedelta(seconds=60)


@dataclass(frozen=True)
class ChecklistItem:
    label: str
    ok: bool
    hint: str


def build_checklist(
    settings: Settings, facts: SetupFacts | None, *, now: datetime | None = None
) -> list[ChecklistItem]:
    """Each item says what is set and, when it is not, the one thing to do about it."""
    now = now or utcnow()
    db_ok = facts is not None
    providers = [name.value for name in Provider if settings.provider_configured(name)]
    items = [
        ChecklistItem("Database reachable", db_ok, "check DATABASE_URL" if not db_ok else "schema at newest migration"),
        ChecklistItem(
            "LLM provider key",
            bool(providers),
            f"set: {', '.join(providers)}"
            if providers
            else "set OPENAI_API_KEY and/or OPENROUTER_API_KEY (or ARENA_LOCAL_API_BASE)",
        ),
        ChecklistItem(
            "Broker configured (Alpaca paper)",
            settings.broker_configured,
            "ALPACA_API_KEY and ALPACA_SECRET_KEY set"
            if settings.broker_configured
            else "set ALPACA_API_KEY and ALPACA_SECRET_KEY",
        ),
    ]
    if facts is None:
        return items
    heartbeat = facts.last_heartbeat_at
    fresh = heartbeat is not None and now - heartbeat <= HEARTBEAT_STALE_AFTER
    items += [
        ChecklistItem(
            "Agent profiles",
            facts.enabled_profiles > 0,
            f"{facts.enabled_profiles} enabled of {facts.profiles}"
            if facts.profiles
            else "run `python -m arena profiles init` or create one on the Profiles page",
        ),
        ChecklistItem(
            "Worker heartbeat",
            fresh,
            "never seen: start `python -m arena worker` (or `serve` without --no-worker)"
            if heartbeat is None
            else f"last seen {int((now - heartbeat).total_seconds())} s ago",
        ),
    ]
    return items
