"""Strategies: a named universe + agents + mode on a schedule; validated here, scheduled by the worker."""

from __future__ import annotations

from typing import Annotated

from apscheduler.triggers.cron import CronTrigger
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from arena.engine.enum_schema import inline_enum
from arena.engine.market.symbols import normalize_symbols
from arena.kernel.kinds import RunMode, ScheduleKind


class StrategySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,63}$")
    market: str = Field(default="us_equities", min_length=1, max_length=32)
    symbols: list[str]
    agents: list[str] | None = None
    mode: Annotated[RunMode, inline_enum(RunMode, "Mode")] = RunMode.COMPETITION
    schedule_kind: Annotated[ScheduleKind, inline_enum(ScheduleKind, "Schedule Kind")]
    cron: str | None = None
    interval_seconds: int | None = Field(default=None, ge=10)
    enabled: bool = False
    execution_enabled: bool = False

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, value: list[str]) -> list[str]:
        return normalize_symbols(value)

    @model_validator(mode="after")
    def _schedule(self) -> StrategySpec:
        if self.schedule_kind == ScheduleKind.CRON:
            if not self.cron:
                raise ValueError("cron schedule needs a cron expression (e.g. '*/15 14-21 * * mon-fri')")
            try:
                CronTrigger.from_crontab(self.cron, timezone="UTC")
            except ValueError as exc:
                raise ValueError(f"invalid cron expression {self.cron!r}: {exc}") from None
            self.interval_seconds = None
        else:
            if self.interval_seconds is None:
                raise ValueError("interval schedule needs interval_seconds (>= 10)")
            self.cron = None
        return self
