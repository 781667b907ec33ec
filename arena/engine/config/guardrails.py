"""Thresholds and risk limits, stored in ai_guardrail_settings (audited); absent keys take the brief's defaults."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy.orm import Session

from arena.engine.enum_schema import inline_enum
from arena.kernel.kinds import Role
from arena.kernel.states import TradingState
from arena.storage.repositories import guardrails as repo


class GuardrailConfig(BaseModel):
    """Every knob the engine and the execution guardrails read; defaults are the brief's numbers."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # escalation (brief: escalation_thresholds)
    disagreement_rate: float = Field(default=0.34, gt=0, le=1)
    min_confidence: float = Field(default=0.62, gt=0, le=1)
    high_risk_portfolio_delta_pct: float = Field(default=1.5, gt=0, le=100)
    max_power_calls_per_day: int = Field(default=25, ge=0)
    vol_threshold_pct: float = Field(default=40.0, gt=0, description="realised vol at/above which the regime is high")
    debate_rounds: int = Field(default=2, ge=1, le=5, description="rounds of argument before the judge reads them")
    blocking_risk_flags: list[str] = Field(default_factory=lambda: ["veto"], min_length=1)
    # consensus (docs/ARCHITECTURE.md "How a run decides")
    min_valid_votes: int = Field(default=2, ge=1, le=20, description="valid cheap votes a decision needs (quorum)")
    role_weights: dict[str, float] = Field(
        default_factory=dict, description="vote weight per role (default 1.0): a vote scores confidence × weight"
    )
    # execution risk checks
    max_order_notional_usd: float = Field(default=1000.0, gt=0)
    max_position_pct_equity: float = Field(default=10.0, gt=0, le=100)
    max_orders_per_day: int = Field(default=10, ge=0)
    daily_llm_spend_cap_usd: float = Field(default=5.0, ge=0)
    allowed_symbols: list[str] = Field(default_factory=list, description="empty means any tradable symbol")
    require_market_open: bool = True
    trading_state: Annotated[TradingState, inline_enum(TradingState, "Trading State")] = TradingState.ACTIVE

    @field_validator("role_weights")
    @classmethod
    def _weights(cls, value: dict[str, float]) -> dict[str, float]:
        known = set(Role)
        for role, weight in value.items():
            if role not in known:
                raise ValueError(f"unknown role {role!r} (known: {', '.join(sorted(known))})")
            if not 0 < weight <= 10:
                raise ValueError(f"weight of {role} must be in (0, 10] (got {weight})")
        return value

    @field_validator("blocking_risk_flags")
    @classmethod
    def _flags(cls, value: list[str]) -> list[str]:
        flags = [f.strip().lower() for f in value if f.strip()]
        if not flags:
            raise ValueError("at least one blocking flag is needed (vetoes would be switched off)")
        return flags

    def role_weight(self, role: str) -> float:
        return self.role_weights.get(role, 1.0)


def quorum_warning(config: GuardrailConfig, cheap_agents: int) -> str | None:
    """A warning (not an error) when the quorum can never be met by the enabled cheap agents."""
    if config.min_valid_votes > cheap_agents:
        return (
            f"min_valid_votes is {config.min_valid_votes} but only {cheap_agents} cheap agent(s) are enabled: "
            "every run will end NO_TRADE (no quorum)"
        )
    return None


def load_config(*, session: Session) -> GuardrailConfig:
    stored = repo.stored_values(session=session)
    known = {k: v for k, v in stored.items() if k in GuardrailConfig.model_fields}
    return GuardrailConfig.model_validate(known)


def update_config(*, session: Session, changes: dict[str, Any], actor: str) -> GuardrailConfig:
    """Validate the whole result first (nothing saved on invalid input), then write and audit each change."""
    current = load_config(session=session)
    merged = current.model_copy(update={}).model_dump() | changes
    new = GuardrailConfig.model_validate(merged)
    before = current.model_dump()
    for key, value in new.model_dump().items():
        if before[key] != value:
            repo.store_value(session=session, key=key, value=value, before=before[key], actor=actor)
    return new
