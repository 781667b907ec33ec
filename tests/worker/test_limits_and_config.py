"""Concurrency caps on LLM calls, the worker's configuration checks, and the CLI on bad worker settings."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from arena.adapters.llm.limits import CallLimits
from arena.engine.config.settings import PROJECT_ROOT
from arena.kernel.errors import ConfigurationError
from arena.worker.periodic import _REGISTRY, periodic_jobs, register_periodic
from arena.worker.worker import WorkerConfig
from tests.engine.harness import make_settings


def test_call_limits_cap_globally_and_per_provider() -> None:
    limits = CallLimits(max_concurrent=3, max_per_provider=2)
    now = {"all": 0, "openai": 0, "openrouter": 0}
    peak = dict.fromkeys(now, 0)

    async def call(provider: str) -> None:
        async with limits.slot(provider):
            for key in ("all", provider):
                now[key] += 1
                peak[key] = max(peak[key], now[key])
            await asyncio.sleep(0.02)
            now["all"] -= 1
            now[provider] -= 1

    async def main() -> None:
        await asyncio.gather(*(call("openai" if i % 3 else "openrouter") for i in range(12)))

    asyncio.run(main())
    assert peak == {"all": 3, "openai": 2, "openrouter": 2}
    assert limits.active == 0
    with pytest.raises(ValueError):
        CallLimits(max_concurrent=0, max_per_provider=1)


def test_a_providers_own_cap_overrides_the_shared_one() -> None:
    settings = make_settings(ARENA_LLM_MAX_CONCURRENCY_OPENAI="5", ARENA_LLM_MAX_CONCURRENCY_PER_PROVIDER="2")
    assert settings.provider_concurrency() == {"openai": 5, "openrouter": 2, "local": 2}
    limits = CallLimits(max_concurrent=10, max_per_provider=2, per_provider=settings.provider_concurrency())
    now = {"openai": 0, "openrouter": 0}
    peak = dict.fromkeys(now, 0)

    async def call(provider: str) -> None:
        async with limits.slot(provider):
            now[provider] += 1
            peak[provider] = max(peak[provider], now[provider])
            await asyncio.sleep(0.02)
            now[provider] -= 1

    async def main() -> None:
        await asyncio.gather(*(call(p) for p in ["openai"] * 8 + ["openrouter"] * 8))

    asyncio.run(main())
    assert peak == {"openai": 5, "openrouter": 2}
    with pytest.raises(ValueError):
        CallLimits(max_concurrent=4, max_per_provider=1, per_provider={"openai": 0})
    assert make_settings(ARENA_LLM_MAX_CONCURRENCY_OPENAI="").provider_concurrency()["openai"] == 4  # blank = unset


def test_worker_config_from_settings_and_its_checks() -> None:
    config = WorkerConfig.from_settings(make_settings(ARENA_WORKER_LEASE_TTL_S=4, ARENA_WORKER_HEARTBEAT_S=1))
    assert (config.lease_ttl_s, config.heartbeat_s, config.queue_poll_s, config.grace_s) == (4, 1, 1.0, 15.0)
    with pytest.raises(ConfigurationError, match="at most half"):
        WorkerConfig(lease_ttl_s=5, heartbeat_s=3)


def test_periodic_jobs_are_registered_in_one_place() -> None:
    def reconcile(_ctx: object) -> None:
        return None

    register_periodic("test_reconcile", reconcile, 30)
    try:
        jobs = {job.name: job for job in periodic_jobs()}
    finally:
        _REGISTRY.pop("test_reconcile")
    assert jobs["test_reconcile"].seconds == 30 and jobs["test_reconcile"].fn is reconcile
    assert "prune_heartbeats" in jobs
    with pytest.raises(ValueError):
        register_periodic("bad", reconcile, 0)


BAD_CONFIGS = [
    ({"ARENA_WORKER_HEARTBEAT_S": "10"}, "at most half of ARENA_WORKER_LEASE_TTL_S"),
    ({"ARENA_WORKER_STRATEGY_POLL_S": "60"}, "ARENA_WORKER_STRATEGY_POLL_S"),
    ({"DATABASE_URL": "mysql://nope/x"}, "not supported"),
]


def test_worker_command_on_bad_config_says_one_line(tmp_path: Path) -> None:
    """Each case in its own folder, all at once (every start pays the CLI's imports)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("ARENA_") and k != "DATABASE_URL"}
    base["PYTHONPATH"] = str(PROJECT_ROOT)
    started = []
    for i, (env, expected) in enumerate(BAD_CONFIGS):
        folder = tmp_path / str(i)
        folder.mkdir()
        proc = subprocess.Popen(
            [sys.executable, "-m", "arena", "worker"],
            cwd=folder,
            env={**base, "DATABASE_URL": f"sqlite:///{folder / 'a.db'}", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        started.append((proc, expected, folder))
    for proc, expected, folder in started:
        _out, err = proc.communicate(timeout=60)
        assert proc.returncode != 0
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("arena: ") and expected in lines[0], err
        assert not (folder / "a.db").exists()  # nothing was created on a configuration error


def test_the_gateway_holds_calls_to_its_caps_at_the_server() -> None:
    """Real litellm → loopback server: 6 calls over two providers, at most 2 in flight, 1 per provider."""
    from arena.adapters.llm.gateway import LLMGateway
    from arena.engine.llm.prices import PriceTable
    from arena.engine.llm.types import LLMCall, LLMCallResult
    from arena.kernel.kinds import Provider
    from tests.support.llm_server import LLMServer, Reply

    with LLMServer() as server:
        for model in ("model-a", "model-b"):
            server.on(model, Reply(content='{"action": "HOLD"}', delay_s=0.3))
        sink: list[LLMCallResult] = []
        gateway = LLMGateway(
            make_settings(),
            prices=PriceTable({}),
            sink=sink.append,
            limits=CallLimits(max_concurrent=2, max_per_provider=1),
        )

        def call(i: int) -> LLMCall:
            provider: Provider = "openai" if i % 2 else "openrouter"
            return LLMCall(
                trace_id=f"t{i}",
                purpose="agent",
                provider=provider,
                model="model-a" if provider == "openai" else "model-b",
                messages=[{"role": "user", "content": "AAPL?"}],
                max_tokens=16,
                temperature=0.0,
                timeout_s=10,
                api_base=server.base_url,
            )

        async def main() -> list[LLMCallResult]:
            return await asyncio.gather(*(gateway.call(call(i)) for i in range(6)))

        results = asyncio.run(main())
        requests = server.requests
    assert [r.status for r in results] == ["ok"] * 6 and len(sink) == 6

    def peak(reqs: list[Any]) -> int:
        edges = sorted([(r.started_at, 1) for r in reqs] + [(r.finished_at, -1) for r in reqs])
        level = best = 0
        for _, step in edges:
            level += step
            best = max(best, level)
        return best

    assert peak(requests) == 2  # both providers at once, never more
    assert peak([r for r in requests if r.model == "model-a"]) == 1
    assert peak([r for r in requests if r.model == "model-b"]) == 1
