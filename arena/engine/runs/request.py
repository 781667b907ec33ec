"""Validate a run request before anything is stored: symbols, mode, agents, provider keys, market data."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from arena.engine.config.prompt_templates import load_prompt
from arena.engine.config.settings import Settings
from arena.engine.decide.agents import AgentSpec
from arena.engine.llm.capabilities import CapabilityTable
from arena.engine.market.symbols import normalize_symbols
from arena.engine.tools.policy import plan_tools
from arena.kernel.errors import ConfigurationError, InvalidRequestError
from arena.kernel.kinds import OutputMode, ProfileMode, Provider, RunMode
from arena.storage.models import AgentProfile, AgentProfileVersion
from arena.storage.repositories.profiles import current_profiles

MODES = tuple(RunMode)


@dataclass(frozen=True)
class RunPlan:
    """A validated request: the exact profile versions that will run, split into cheap and powerful."""

    symbols: list[str]
    mode: str
    agent_names: list[str] | None
    cheap: list[AgentSpec]  # in debate mode: the debaters
    power: list[AgentSpec]
    judges: list[AgentSpec] = field(default_factory=list)  # judge_cheap profiles, asked in name order
    debater_names: list[str] | None = None


def _named(
    by_name: dict[str, tuple[AgentProfile, AgentProfileVersion]], names: list[str], field_name: str
) -> list[tuple[AgentProfile, AgentProfileVersion]]:
    """The named profiles, each known and enabled, or one clear InvalidRequestError."""
    unknown = [a for a in names if a not in by_name]
    if unknown:
        known = ", ".join(sorted(by_name)) or "none: run `python -m arena profiles init`"
        raise InvalidRequestError(f"unknown agent(s): {', '.join(unknown)} (known: {known})", field=field_name)
    disabled = [a for a in names if not by_name[a][0].enabled]
    if disabled:
        raise InvalidRequestError(f"agent(s) disabled: {', '.join(disabled)}", field=field_name)
    return [by_name[a] for a in dict.fromkeys(names)]


def plan_run(
    *,
    session: Session,
    settings: Settings,
    symbols: list[str],
    agents: list[str] | None,
    mode: str,
    debaters: list[str] | None = None,
) -> RunPlan:
    """Raise InvalidRequestError / ConfigurationError with one clear line, or return the plan."""
    if mode not in MODES:
        raise InvalidRequestError(f"mode must be one of {', '.join(MODES)} (got {mode!r})", field="mode")
    clean = normalize_symbols(symbols)  # at least one, at most MAX_SYMBOLS, each a valid ticker
    if debaters and mode != RunMode.DEBATE:
        raise InvalidRequestError("debaters only apply to mode=debate", field="debaters")
    profiles = current_profiles(session=session)
    capabilities = CapabilityTable.cached(settings.capability_table_path)
    by_name = {p.name: (p, v) for p, v in profiles}
    chosen = _named(by_name, agents, "agents") if agents else [(p, v) for p, v in profiles if p.enabled]
    specs = [to_spec(p, v, capabilities, session=session) for p, v in chosen]
    cheap = [s for s in specs if s.mode == ProfileMode.CHEAP_FIRST]
    if debaters:
        cheap = [to_spec(p, v, capabilities, session=session) for p, v in _named(by_name, debaters, "debaters")]
        wrong = [s.name for s in cheap if s.mode != ProfileMode.CHEAP_FIRST]
        if wrong:
            raise InvalidRequestError(
                f"debaters must be cheap_first profiles ({', '.join(wrong)} is not)", field="debaters"
            )
    if mode == RunMode.DEBATE and len(cheap) < 2:
        raise InvalidRequestError(
            f"a debate needs at least 2 cheap_first debaters (got {len(cheap)})",
            field="debaters" if debaters else "agents",
        )
    if not cheap:
        raise InvalidRequestError(
            "no enabled cheap_first agent profile to run (create one, or `python -m arena profiles init`)",
            field="agents",
        )
    missing = sorted({s.provider for s in cheap if not _reachable(s, settings)})
    if missing:
        names = {
            Provider.OPENAI: "OPENAI_API_KEY",
            Provider.OPENROUTER: "OPENROUTER_API_KEY",
            Provider.LOCAL: "ARENA_LOCAL_API_BASE or the profile's api_base",
        }
        raise ConfigurationError("no provider configured for " + ", ".join(f"{p} (set {names[p]})" for p in missing))
    if not settings.broker_configured:
        raise ConfigurationError("market data needs ALPACA_API_KEY and ALPACA_SECRET_KEY")
    power = [s for s in specs if s.mode == ProfileMode.ESCALATION_ONLY]
    # a judge whose provider has no key could never answer: it is left out rather than failing the run
    judges = sorted(
        (s for s in specs if s.mode == ProfileMode.JUDGE_CHEAP and _reachable(s, settings)),
        key=lambda s: s.name,
    )
    return RunPlan(
        clean,
        mode,
        list(dict.fromkeys(agents)) if agents else None,
        cheap,
        power,
        judges,
        list(dict.fromkeys(debaters)) if debaters else None,
    )


def _reachable(spec: AgentSpec, settings: Settings) -> bool:
    """A hosted provider needs its key; a local server needs a base URL (the profile's or ARENA_LOCAL_API_BASE)."""
    if spec.provider == Provider.LOCAL:
        return spec.api_base is not None or settings.local_api_base is not None
    return settings.provider_key(spec.provider) is not None


def to_spec(
    profile: AgentProfile, version: AgentProfileVersion, capabilities: CapabilityTable, *, session: Session
) -> AgentSpec:
    """The runtime view of a profile version, with its stored prompt template resolved."""
    provider = Provider(version.provider)
    prompt = load_prompt(session=session, template_id=version.prompt_template_id, version=version.prompt_version)
    if prompt is None:
        raise InvalidRequestError(
            f"profile {profile.name} names prompt template {version.prompt_template_id}@v{version.prompt_version}, "
            "which does not exist; point it at a stored version (Profiles page)",
            field="agents",
        )
    capability = capabilities.lookup(provider, version.model)
    return AgentSpec(
        name=profile.name,
        profile_id=profile.id,
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
        output_mode=OutputMode(version.output_mode) if version.output_mode else capability.output,
        prompt=prompt,
        tools=plan_tools(
            policy=version.tool_policy,
            allowed=version.tools_allowed,
            max_rounds=version.tool_max_rounds,
            max_seconds=float(version.tool_max_seconds),
            model_supports_tools=capability.tools,
        ),
    )
