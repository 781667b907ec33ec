"""Saving profiles: the one path the CLI, dashboard and API share (validate, version, audit)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from arena.engine.config.profiles import ProfileSpec
from arena.engine.config.prompt_templates import prompt_exists
from arena.engine.config.settings import Settings
from arena.engine.llm.prices import PriceTable
from arena.kernel.errors import InvalidRequestError
from arena.kernel.kinds import ProfileMode
from arena.storage.repositories.profiles import UpsertResult, upsert_profile


def validate_profile(data: dict[str, Any]) -> ProfileSpec:
    """Parse operator input; InvalidRequestError lists every field error (nothing is saved)."""
    try:
        return ProfileSpec.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequestError("; ".join(field_errors(exc)), field=_first_field(exc)) from None


def field_errors(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()]


def _first_field(exc: ValidationError) -> str | None:
    errors = exc.errors()
    return ".".join(str(p) for p in errors[0]["loc"]) if errors and errors[0]["loc"] else None


CHEAP_MODES = frozenset({ProfileMode.CHEAP_FIRST, ProfileMode.JUDGE_CHEAP})


def check_cheap_price(spec: ProfileSpec, settings: Settings) -> None:
    """A cheap profile (cheap_first or judge_cheap) may not name a model priced above the cheap ceiling.

    The price is the price table's (the higher of input and output per 1M tokens); an unpriced model passes, since
    local and free models have no list price (its calls are charged the fallback price until their cost is known).
    """
    if spec.mode not in CHEAP_MODES:
        return
    price = PriceTable.cached(settings.price_table_path).price(spec.provider, spec.model)
    if price is None:
        return
    highest = max(price.input_per_1m, price.output_per_1m)
    ceiling = settings.cheap_max_price_per_mtok
    if float(highest) > ceiling:
        raise InvalidRequestError(
            f"{spec.provider}/{spec.model} costs ${highest} per 1M tokens, above the cheap ceiling "
            f"${ceiling:g} (ARENA_CHEAP_MAX_PRICE_PER_MTOK); a {spec.mode} profile must use a cheaper model "
            "(or make this profile escalation_only)",
            field="model",
        )


def check_api_base(spec: ProfileSpec, settings: Settings) -> None:
    """A profile may only point at one of its provider's allowed base URLs: the provider's key is sent there."""
    if spec.api_base is None or settings.base_allowed(spec.provider, spec.api_base):
        return
    allowed = ", ".join(settings.allowed_bases(spec.provider)) or "none configured"
    raise InvalidRequestError(
        f"{spec.api_base} is not an allowed base URL for {spec.provider} (allowed: {allowed}); "
        "add it to ARENA_ALLOWED_API_BASES as provider=url to allow it",
        field="api_base",
    )


def save_profile(*, sessions: sessionmaker[Session], spec: ProfileSpec, actor: str, settings: Settings) -> UpsertResult:
    """Create the profile or write a new version when anything changed (an api_base among the provider's allowed
    ones, a cheap profile within the price ceiling)."""
    check_api_base(spec, settings)
    check_cheap_price(spec, settings)
    with sessions() as session, session.begin():
        if not prompt_exists(session=session, template_id=spec.prompt_template_id, version=spec.prompt_version):
            raise InvalidRequestError(
                f"unknown prompt template {spec.prompt_template_id}@v{spec.prompt_version}: save that version first "
                "(Profiles page, POST /prompts) or pick a stored one (GET /prompts)",
                field="prompt_template_id",
            )
        return upsert_profile(session=session, name=spec.name, values=spec.model_dump(exclude={"name"}), actor=actor)
