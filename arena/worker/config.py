"""The worker's timings and bounds (ARENA_WORKER_* settings)."""

from __future__ import annotations

from dataclasses import dataclass

from arena.engine.config.settings import Settings
from arena.kernel.errors import ConfigurationError


@dataclass(frozen=True)
class WorkerConfig:
    """Timings and bounds; defaults are production values, tests pass short ones (ARENA_WORKER_* settings)."""

    lease_ttl_s: float = 15.0
    heartbeat_s: float = 5.0
    queue_poll_s: float = 1.0
    strategy_poll_s: float = 5.0
    grace_s: float = 15.0
    max_runs: int = 4
    misfire_grace_s: int = 60

    def __post_init__(self) -> None:
        if self.heartbeat_s * 2 > self.lease_ttl_s:
            raise ConfigurationError(
                "ARENA_WORKER_HEARTBEAT_S must be at most half of ARENA_WORKER_LEASE_TTL_S "
                f"(got {self.heartbeat_s:g} and {self.lease_ttl_s:g}): the lease would lapse between renewals"
            )

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerConfig:
        return cls(
            lease_ttl_s=settings.worker_lease_ttl_s,
            heartbeat_s=settings.worker_heartbeat_s,
            queue_poll_s=settings.worker_queue_poll_s,
            strategy_poll_s=settings.worker_strategy_poll_s,
            grace_s=settings.worker_grace_s,
            max_runs=settings.worker_max_runs,
        )
