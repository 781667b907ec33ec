"""Validate a run request before anything is stored: symbols, mode, agents, provider keys, market data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from arena.engine.config.settings import Settings
from arena.engine.decide.agents import AgentSpec
from arena.engine.market.symbols import normalize_symbols
from arena.kernel.errors import ConfigurationError, InvalidRequestError
from arena.kernel.kinds import ProfileMode, Provider, RunMode
from arena.storage.models import AgentProfile, AgentProfileVersion
from arena.storage.repositories.profiles import current_profiles

MAX_RUN_SYMBOLS = 20
MODES = tuple(RunMode)


@dataclass(frozen=True)
class RunPlan:
    """A validated request: the exact profile versions that will run, split into cheap and powerful."""

    symbols: list[str]
    mode: str
    agent_names: list[str] | None
    cheap: list[AgentSpec]
    power: list[AgentSpec]


def plan_run(
    *, session: Session, settings: Settings, symbols: list[str], agents: list[str] | None, mode: str
) -> RunPlan:
    """Raise InvalidRequestError / ConfigurationError with one clear line, or return the plan."""
    if mode not in MODES:
        raise InvalidRequestError(f"mode must be one of {', '.join(MODES)} (got {mode!r})", field="mode")
    clean = normalize_symbols(symbols)
    if len(clean) > MAX_RUN_SYMBOLS:
        raise InvalidRequestError(f"at most {MAX_RUN_SYMBOLS} symbols per run", field="symbols")
    profiles = current_profiles(session=session)
    by_name = {p.name: (p, v) for p, v in profiles}
    if agents:
        unknown = [a for a in agents if a not in by_name]
        if unknown:
            known = ", ".join(sorted(by_name)) or "none: run `python -m arena profiles init`"
            raise InvalidRequestError(f"unknown agent(s): {', '.join(unknown)} (known: {known})", field="agents")
        disabled = [a for a in agents if not by_name[a][0].enabled]
        if disabled:
            raise InvalidRequestError(f"agent(s) disabled: {', '.join(disabled)}", field="agents")
        chosen = [by_name[a] for a in dict.fromkeys(agents)]
    else:
        chosen = [(p, v) for p, v in profiles if p.enabled]
    specs = [to_spec(p, v) for p, v in chosen]
    cheap = [s for s in specs if s.mode == ProfileMode.CHEAP_FIRST]
    if not cheap:
        raise InvalidRequestError(
            "no enabled cheap_first agent profile to run (create one, or `python -m arena profiles init`)",
            field="agents",
        )
    missing = sorted({s.provider for s in cheap if settings.provider_key(s.provider) is None})
    if missing:
        names = {Provider.OPENAI: "OPENAI_API_KEY", Provider.OPENROUTER: "OPENROUTER_API_KEY"}
        raise ConfigurationError("no provider configured for " + ", ".join(f"{p} (set {names[p]})" for p in missing))
    if not settings.broker_configured:
        raise ConfigurationError("market data needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
    power = [s for s in specs if s.mode == ProfileMode.ESCALATION_ONLY]
    return RunPlan(clean, mode, list(dict.fromkeys(agents)) if agents else None, cheap, power)


def to_spec(profile: AgentProfile, version: AgentProfileVersion) -> AgentSpec:
    provider = Provider.OPENAI if version.provider == Provider.OPENAI else Provider.OPENROUTER
    return AgentSpec(
        name=profile.name,
        version_id=version.id,
        version=version.version,
        provider=provider,
        model=version.model,
        role=version.role,
        template_id=version.prompt_template_id,
        template_version=version.prompt_version,
        max_tokens=version.max_tokens,
        temperature=float(version.temperature),
        timeout_s=float(version.timeout_s),
        mode=version.mode,
        api_base=version.api_base,
        daily_budget_usd=float(version.daily_budget_usd) if version.daily_budget_usd is not None else None,
        daily_call_limit=version.daily_call_limit,
    )
