"""The settings a policy replay tries: `--set key=v1,v2` lists, their cartesian product, and the window.

Only the routing settings whose effect can be replayed from the record are accepted (REPLAYABLE); each value keeps
the bounds of its GuardrailConfig field, written as a pattern so the API's published schema says exactly what is
accepted. Every scenario is the current guardrail config with the chosen values put in, validated as a whole.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from arena.engine.config.guardrails import GuardrailConfig
from arena.kernel.errors import InvalidRequestError

MAX_SCENARIOS = 64  # combinations one replay may try (the CLI, the API and the page alike)
MAX_VALUES_PER_SET = 4  # values in one `set` item
MAX_SETS_PER_REQUEST = 3  # `set` items the API accepts: 4 × 4 × 4 = MAX_SCENARIOS
MAX_WINDOW_DAYS = 999

_RATE = r"(?:0?\.[0-9]{0,5}[1-9]0{0,3}|1(?:\.0{1,3})?)"  # (0, 1]
_VOTES = r"(?:[1-9]|1[0-9]|20)"  # 1..20
_PCT = r"(?:0?\.[0-9]{0,2}[1-9]0{0,3}|[1-9][0-9]?(?:\.[0-9]{1,3})?|100(?:\.0{1,3})?)"  # (0, 100]

# key (as typed) → (GuardrailConfig field, value pattern, type)
REPLAYABLE: dict[str, tuple[str, str, type[float] | type[int]]] = {
    "disagreement_rate": ("disagreement_rate", _RATE, float),
    "min_confidence": ("min_confidence", _RATE, float),
    "min_valid_votes": ("min_valid_votes", _VOTES, int),
    "high_risk_portfolio_delta_pct": ("high_risk_portfolio_delta_pct", _PCT, float),
}


def _item_pattern() -> str:
    rest = MAX_VALUES_PER_SET - 1
    options = "|".join(f"{key}={value}(?:,{value}){{0,{rest}}}" for key, (_, value, _) in REPLAYABLE.items())
    return f"^(?:{options})$"


SET_PATTERN = _item_pattern()
WINDOW_PATTERN = r"^[1-9][0-9]{0,2}d$"
_SET_RE = re.compile(SET_PATTERN)
_WINDOW_RE = re.compile(WINDOW_PATTERN)
ACCEPTED_KEYS = ", ".join(REPLAYABLE)


def parse_window(text: str) -> int:
    """`30d` → 30 (days back from now)."""
    if not _WINDOW_RE.fullmatch(text):
        raise InvalidRequestError(
            f"window must be a number of days such as 30d (1d-{MAX_WINDOW_DAYS}d)", field="window"
        )
    return int(text[:-1])


def parse_sets(items: list[str]) -> dict[str, list[float | int]]:
    """`["min_confidence=0.55,0.7", …]` → {field: values}; a key given twice gets the union of its values."""
    chosen: dict[str, list[float | int]] = {}
    for item in items:
        key = item.split("=", 1)[0]
        if key not in REPLAYABLE:
            raise InvalidRequestError(f"set: unknown key {key!r} (accepted: {ACCEPTED_KEYS})", field="set")
        if not _SET_RE.fullmatch(item):
            raise InvalidRequestError(
                f"set: {item!r} is not {key}=v1,v2,… with 1-{MAX_VALUES_PER_SET} values in the field's bounds",
                field="set",
            )
        name, _, kind = REPLAYABLE[key]
        values = chosen.setdefault(name, [])
        for text in item.split("=", 1)[1].split(","):
            value = kind(text)
            if value not in values:
                values.append(value)
    return chosen


@dataclass(frozen=True)
class Scenario:
    """One combination: the changed settings (as asked) and the whole config it makes."""

    settings: dict[str, Any]
    config: GuardrailConfig


def scenarios(base: GuardrailConfig, chosen: dict[str, list[float | int]]) -> list[Scenario]:
    """The cartesian product of the value lists over `base` (just `base` when nothing is chosen)."""
    keys = list(chosen)
    total = 1
    for values in chosen.values():
        total *= len(values)
    if total > MAX_SCENARIOS:
        raise InvalidRequestError(f"set: {total} combinations, at most {MAX_SCENARIOS} per replay", field="set")
    out: list[Scenario] = []
    for combo in itertools.product(*(chosen[k] for k in keys)):
        changes = dict(zip(keys, combo, strict=True))
        try:
            config = GuardrailConfig.model_validate(base.model_dump() | changes)
        except ValidationError as exc:
            raise InvalidRequestError(f"set: {exc.errors()[0]['msg']} ({changes})", field="set") from None
        shown = {key: getattr(config, key) for key in REPLAYABLE}
        out.append(Scenario(settings=shown, config=config))
    return out
