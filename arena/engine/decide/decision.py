"""The agent decision: one strict pydantic model whose JSON Schema is what providers are asked for."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from arena.engine.enum_schema import inline_enum
from arena.engine.market.symbols import MAX_SYMBOLS
from arena.kernel.kinds import Action, SizingKind, TimeHorizon

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)

HORIZON_DAYS: dict[TimeHorizon, int] = {
    TimeHorizon.INTRADAY: 1,
    TimeHorizon.ONE_DAY: 1,
    TimeHorizon.FIVE_DAYS: 5,
    TimeHorizon.TWENTY_DAYS: 20,
}


class Sizing(BaseModel):
    """How big the trade should be; turned into a quantity by the execution layer."""

    model_config = ConfigDict(extra="forbid")

    kind: Annotated[SizingKind, inline_enum(SizingKind, "Kind")]
    value: float = Field(ge=0)


class AgentDecision(BaseModel):
    """Everything an agent must answer; anything else (or missing) makes the reply invalid."""

    model_config = ConfigDict(extra="forbid")

    action: Annotated[Action, inline_enum(Action, "Action")]
    symbols: list[str] = Field(max_length=MAX_SYMBOLS)  # a subset of the run's universe
    sizing: Sizing
    time_horizon: Annotated[TimeHorizon, inline_enum(TimeHorizon, "Time Horizon")]
    rationale: str = Field(min_length=1, max_length=4000)
    risk_flags: list[str] = Field(max_length=20)
    confidence: float = Field(ge=0, le=1)
    required_tools: list[str] = Field(max_length=20)
    data_dependencies: list[str] = Field(max_length=20)

    @property
    def primary_symbol(self) -> str | None:
        return self.symbols[0] if self.symbols else None


def decision_json_schema(universe: list[str] | None = None) -> dict[str, Any]:
    """The schema sent to providers (strict: every field required, no extra keys).

    With a universe, `symbols` may only hold its tickers (an `enum`), so a provider that enforces the schema
    cannot invent one; `parse_decision` still checks every reply on our side.
    """
    schema = AgentDecision.model_json_schema()
    if universe:
        symbols = dict(schema["properties"]["symbols"])
        symbols["items"] = {"type": "string", "enum": sorted(dict.fromkeys(universe))}
        schema["properties"]["symbols"] = symbols
    return schema


def parse_decision(text: str | None, *, universe: list[str]) -> tuple[AgentDecision | None, list[str]]:
    """Validate a raw reply; returns the decision or the list of human-readable errors."""
    if text is None or not text.strip():
        return None, ["empty reply"]
    body = extract_json_object(text)
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        return None, [f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
    try:
        decision = AgentDecision.model_validate(data)
    except ValidationError as exc:
        return None, [_format_error(err) for err in exc.errors()]
    errors = universe_errors(decision, universe)
    return (None, errors) if errors else (decision, [])


def universe_errors(decision: AgentDecision, universe: list[str]) -> list[str]:
    allowed = set(universe)
    errors = [
        f"symbols: {s!r} is not in the run's universe {sorted(allowed)}" for s in decision.symbols if s not in allowed
    ]
    if decision.action != Action.HOLD and not decision.symbols:
        errors.append("symbols: a BUY or SELL must name the symbol it trades")
    return errors


def extract_json_object(text: str) -> str:
    """The one JSON object in a reply: a fenced ```json block, else the first {...} that parses, with any prose
    before or after it ignored (models in JSON-only or prompt mode often wrap the object in words). The stripped
    text when nothing parses, so the validation error names the real problem."""
    body = text.strip()
    fence = _FENCE.search(body)
    if fence is not None and not body.startswith("{"):
        return fence.group(1).strip()
    decoder = json.JSONDecoder()
    for start in (i for i, ch in enumerate(body) if ch == "{"):
        try:
            _, end = decoder.raw_decode(body, start)
        except json.JSONDecodeError:
            continue
        return body[start:end]
    return body


def _format_error(err: Any) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
    return f"{loc}: {err.get('msg')}"
