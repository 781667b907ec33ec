"""The gateway against the real litellm, over real HTTP, talking to a loopback OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from arena.adapters.llm.gateway import LLMGateway, scrub
from arena.bootstrap.database import Database
from arena.engine.config.settings import PROJECT_ROOT, Settings
from arena.engine.decide.prompts import ANSWER_RULES
from arena.engine.llm.prices import ModelPrice, PriceTable
from arena.engine.llm.telemetry import DatabaseTelemetrySink
from arena.engine.llm.types import LLMCall, LLMCallResult
from arena.engine.market.snapshot import canonical_json, sha256_hex
from arena.kernel.errors import ConfigurationError
from arena.kernel.kinds import OutputMode, Provider
from arena.storage.models import CostTelemetry
from tests.support.llm_server import LOOPBACK_API_BASES, Behaviour, LLMServer, Reply

OPENAI_KEY = "sk-test-openai-0123456789abcdef"
OPENROUTER_KEY = "sk-or-v1-test-fedcba9876543210"
CHEAP = "gpt-4o-mini"
ROUTED = "meta-llama/llama-3.1-8b-instruct"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"action": {"type": "string", "enum": ["BUY", "SELL", "HOLD"]}},
    "required": ["action"],
    "additionalProperties": False,
}
HOLD = '{"action": "HOLD"}'
MESSAGES = [{"role": "system", "content": "You are a trader."}, {"role": "user", "content": "AAPL?"}]


class Sleeps:
    """Injected backoff: records the delays and yields briefly so retries stay fast and observable."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as srv:
        yield srv


def settings(*, openai: str | None = OPENAI_KEY, openrouter: str | None = OPENROUTER_KEY) -> Settings:
    return Settings(
        OPENAI_API_KEY=openai,
        OPENROUTER_API_KEY=openrouter,
        ARENA_ALLOWED_API_BASES=LOOPBACK_API_BASES,  # the loopback server stands for each provider
        _env_file=None,
    )


def prices() -> PriceTable:
    return PriceTable({f"openai/{CHEAP}": ModelPrice(Decimal("0.15"), Decimal("0.60"))})


def make_call(server: LLMServer, provider: Provider = "openai", model: str = CHEAP, **overrides: Any) -> LLMCall:
    fields: dict[str, Any] = {
        "trace_id": "trace0001",
        "purpose": "agent",
        "provider": provider,
        "model": model,
        "messages": MESSAGES,
        "max_tokens": 64,
        "temperature": 0.2,
        "timeout_s": 1.0,
        "api_base": server.base_url,
        "max_attempts": 3,
        # what the shipped capability table says: OpenAI enforces the schema, OpenRouter's llama is JSON mode
        "output_mode": OutputMode.JSON_SCHEMA if provider == "openai" else OutputMode.JSON_OBJECT,
    }
    fields.update(overrides)
    return LLMCall(**fields)


def run(
    call: LLMCall, *, cfg: Settings | None = None, sleep: Callable[[float], Awaitable[None]] | None = None
) -> tuple[LLMCallResult, list[LLMCallResult]]:
    sink: list[LLMCallResult] = []
    gateway = LLMGateway(cfg or settings(), prices=prices(), sink=sink.append, sleep=sleep or Sleeps())
    result = asyncio.run(gateway.call(call))
    assert sink[-1] == result, "the last row is the call's result"
    if result.attempts:  # refused before any HTTP request: one row with attempts 0
        assert [r.attempts for r in sink] == list(range(1, len(sink) + 1)), "one row per HTTP attempt, numbered"
    return result, sink


def test_openai_success_asks_for_strict_json_schema_and_prices_from_the_table(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD, prompt_tokens=1000, completion_tokens=500))
    result, _ = run(make_call(server, response_schema=SCHEMA))

    assert result.status == "ok" and result.ok
    assert result.content == HOLD
    assert (result.tokens_in, result.tokens_out) == (1000, 500)
    assert result.cost_usd == Decimal("0.00045") and result.cost_source == "price_table"
    assert result.finish_reason == "stop" and result.attempts == 1
    assert result.prompt_hash == sha256_hex(canonical_json(MESSAGES))
    (req,) = server.requests
    assert req.model == CHEAP and req.path == "/v1/chat/completions"
    assert req.body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "agent_decision", "schema": SCHEMA, "strict": True},
    }
    assert req.body["messages"] == MESSAGES
    assert req.body["max_tokens"] == 64 and req.body["temperature"] == 0.2
    assert req.headers["authorization"] == f"Bearer {OPENAI_KEY}"


def test_openrouter_uses_json_object_and_the_provider_reported_cost(server: LLMServer) -> None:
    server.on(ROUTED, Reply(content=HOLD, prompt_tokens=100, completion_tokens=20, cost=0.00042))
    result, _ = run(make_call(server, "openrouter", ROUTED, response_schema=SCHEMA))

    assert result.status == "ok"
    assert result.cost_usd == Decimal("0.00042") and result.cost_source == "provider"
    (req,) = server.requests
    assert req.model == ROUTED  # litellm strips the openrouter/ prefix
    assert req.body["response_format"] == {"type": "json_object"}
    assert req.headers["authorization"] == f"Bearer {OPENROUTER_KEY}"


def test_provider_cost_wins_over_the_price_table(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD, prompt_tokens=1000, completion_tokens=500, cost=0.5))
    result, _ = run(make_call(server))
    assert result.cost_usd == Decimal("0.5") and result.cost_source == "provider"


def test_unpriced_model_without_provider_cost_keeps_tokens_and_unknown_cost(server: LLMServer) -> None:
    server.on(ROUTED, Reply(content=HOLD, prompt_tokens=7, completion_tokens=3))
    result, _ = run(make_call(server, "openrouter", ROUTED))
    assert result.status == "ok"
    assert result.cost_usd is None and result.cost_source == "unknown"
    assert (result.tokens_in, result.tokens_out) == (7, 3)


def test_rate_limit_is_retried_with_backoff_then_succeeds(server: LLMServer) -> None:
    server.on(CHEAP, Reply(status=429), Reply(content=HOLD))
    sleeps = Sleeps()
    result, _ = run(make_call(server), sleep=sleeps)
    assert result.status == "ok" and result.attempts == 2
    assert sleeps.delays == [0.5]
    assert result.extra["retried"] == ["RateLimitError"]
    assert len(server.requests) == 2


def test_backoff_grows_exponentially_across_server_faults(server: LLMServer) -> None:
    server.on(CHEAP, Reply(status=503), Reply(status=502), Reply(content=HOLD))
    sleeps = Sleeps()
    result, _ = run(make_call(server), sleep=sleeps)
    assert result.status == "ok" and result.attempts == 3
    assert sleeps.delays == [0.5, 1.0]


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(400, "BadRequestError"), (401, "AuthenticationError"), (404, "NotFoundError")],
)
def test_client_errors_are_not_retried(server: LLMServer, status: int, error_class: str) -> None:
    server.on(CHEAP, Reply(status=status))
    sleeps = Sleeps()
    result, _ = run(make_call(server), sleep=sleeps)
    assert result.status == "error" and result.error_class == error_class
    assert result.attempts == 1 and sleeps.delays == [] and len(server.requests) == 1
    assert result.content is None and result.cost_source == "unknown"


def test_unknown_model_gets_the_servers_404(server: LLMServer) -> None:
    result, _ = run(make_call(server, model="no-such-model"))
    assert result.error_class == "NotFoundError" and result.attempts == 1


@pytest.mark.parametrize(("provider", "model"), [("openai", CHEAP), ("openrouter", ROUTED)])
def test_server_errors_exhaust_the_attempts(server: LLMServer, provider: Provider, model: str) -> None:
    server.on(model, Reply(status=500))
    result, _ = run(make_call(server, provider, model, max_attempts=3))
    assert result.status == "error"
    assert result.attempts == 3 and len(server.requests) == 3
    assert result.error_class in {"InternalServerError", "APIError"}  # litellm's OpenRouter path says APIError


@pytest.mark.parametrize(("provider", "model"), [("openai", CHEAP), ("openrouter", ROUTED)])
def test_a_hanging_provider_times_out_within_budget(server: LLMServer, provider: Provider, model: str) -> None:
    server.on(model, Reply(content=HOLD, delay_s=5))
    started = time.monotonic()
    result, rows = run(make_call(server, provider, model, timeout_s=0.5, max_attempts=2), sleep=asyncio.sleep)
    elapsed = time.monotonic() - started
    assert result.status == "timeout" and result.error_class == "Timeout"
    assert result.attempts == 2 and [r.status for r in rows] == ["timeout", "timeout"]
    assert elapsed < 0.5 * 2 + 0.5 + 1.5  # two timeouts, one 0.5 s backoff, margin
    assert all(r.latency_ms >= 500 for r in rows)  # each row is one attempt's own latency


def test_malformed_json_body_is_recorded_as_an_error(server: LLMServer) -> None:
    server.on(ROUTED, Reply(raw_body=b"{not json"))
    server.on(CHEAP, Reply(raw_body=b"{not json"))
    routed, _ = run(make_call(server, "openrouter", ROUTED))
    direct, _ = run(make_call(server, max_attempts=2))
    for result in (routed, direct):
        assert result.status == "error" and result.content is None
        assert result.error_class and result.error_message
    assert routed.attempts == 1  # litellm: APIError with status 200 → permanent
    assert direct.attempts == 2  # litellm: InternalServerError (500) → retried


def test_missing_key_fails_without_any_http(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD))
    result, _ = run(make_call(server), cfg=settings(openai=None))
    assert result.status == "error" and result.error_class == "MissingProviderKey"
    assert result.attempts == 0 and server.requests == []


def test_error_messages_never_carry_the_api_key(server: LLMServer, capsys: pytest.CaptureFixture[str]) -> None:
    echo = f"Incorrect API key provided: {OPENAI_KEY}. Authorization: Bearer {OPENAI_KEY}"
    server.on(CHEAP, Reply(status=401, error_message=echo))
    server.on(ROUTED, Reply(status=500, error_message=f"upstream said api_key={OPENROUTER_KEY}"))
    results = [run(make_call(server))[0], run(make_call(server, "openrouter", ROUTED, max_attempts=1))[0]]
    for result in results:
        assert result.status == "error" and result.error_message
        assert OPENAI_KEY not in result.error_message and OPENROUTER_KEY not in result.error_message
        assert "sk-" not in result.error_message
    out = capsys.readouterr()
    assert OPENAI_KEY not in out.out + out.err and OPENROUTER_KEY not in out.out + out.err


def test_scrub_removes_key_shaped_text() -> None:
    assert scrub("key sk-abc123456789 bad", "") == "key *** bad"
    assert scrub('{"api_key": "hunter2-secret"}') == '{"api_key": "***"}'
    assert scrub("token s3cr3t leaked", "s3cr3t") == "token *** leaked"
    assert len(scrub("x" * 2000)) <= 300


def test_a_failing_sink_is_raised_after_logging(server: LLMServer, caplog: pytest.LogCaptureFixture) -> None:
    server.on(CHEAP, Reply(content=HOLD))
    calls: list[LLMCallResult] = []

    def broken(result: LLMCallResult) -> None:
        calls.append(result)
        raise RuntimeError("database down")

    gateway = LLMGateway(settings(), prices=prices(), sink=broken)
    with pytest.raises(RuntimeError, match="database down"):
        asyncio.run(gateway.call(make_call(server)))
    assert len(calls) == 1
    assert "telemetry sink failed" in caplog.text


def test_a_cancelled_call_is_still_recorded_once(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD, delay_s=2))
    sink: list[LLMCallResult] = []
    gateway = LLMGateway(settings(), prices=prices(), sink=sink.append)

    async def cancel_midway() -> None:
        task = asyncio.create_task(gateway.call(make_call(server, timeout_s=5)))
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel_midway())
    assert len(sink) == 1
    assert sink[0].status == "timeout" and sink[0].error_class == "CancelledError" and sink[0].attempts == 1


def test_parallel_calls_overlap_and_replies_can_depend_on_the_request(server: LLMServer) -> None:
    def echo(body: dict[str, Any]) -> Reply:
        return Reply(content=json.dumps({"seen": body["messages"][-1]["content"]}), delay_s=0.3)

    server.on_call(CHEAP, echo)
    sink: list[LLMCallResult] = []
    gateway = LLMGateway(settings(), prices=prices(), sink=sink.append)
    calls = [make_call(server, messages=[{"role": "user", "content": f"q{i}"}]) for i in range(3)]

    async def all_at_once() -> list[LLMCallResult]:
        return list(await asyncio.gather(*(gateway.call(c) for c in calls)))

    results = asyncio.run(all_at_once())
    assert [json.loads(r.content or "")["seen"] for r in results] == ["q0", "q1", "q2"]
    assert len(sink) == 3
    reqs = server.requests
    assert max(r.started_at for r in reqs) < min(r.finished_at for r in reqs), "requests ran concurrently"


def test_database_sink_writes_one_row_per_call(server: LLMServer, database: Database) -> None:
    server.on(ROUTED, Reply(content=HOLD, prompt_tokens=100, completion_tokens=20, cost=0.00042, finish_reason="stop"))
    server.on(CHEAP, Reply(status=401))
    gateway = LLMGateway(settings(), prices=prices(), sink=DatabaseTelemetrySink(database.sessions))
    ok_call = make_call(server, "openrouter", ROUTED, cycle_id="cycle-1", input_hash="ab" * 32, purpose="judge")
    asyncio.run(gateway.call(ok_call))
    asyncio.run(gateway.call(make_call(server)))

    with database.sessions() as session:
        rows = session.scalars(select(CostTelemetry).order_by(CostTelemetry.id)).all()
    assert len(rows) == 2
    ok, failed = rows
    assert (ok.trace_id, ok.purpose, ok.provider, ok.model) == ("trace0001", "judge", "openrouter", ROUTED)
    assert (ok.cycle_id, ok.input_hash, ok.run_id, ok.profile_version_id) == ("cycle-1", "ab" * 32, None, None)
    assert ok.prompt_hash == sha256_hex(canonical_json(MESSAGES)) and ok.messages == MESSAGES
    assert (ok.response_text, ok.tokens_in, ok.tokens_out) == (HOLD, 100, 20)
    assert ok.cost_usd == Decimal("0.00042") and ok.cost_source == "provider"
    assert (ok.status, ok.attempts, ok.finish_reason, ok.error_class) == ("ok", 1, "stop", None)
    assert ok.output_mode == "json_object"
    assert ok.latency_ms >= 0 and ok.created_at.tzinfo is not None
    assert (failed.status, failed.error_class, failed.response_text) == ("error", "AuthenticationError", None)
    assert failed.error_message and OPENAI_KEY not in failed.error_message
    assert failed.cost_usd is None and failed.cost_source == "unknown"


def test_importing_the_gateway_does_not_import_litellm() -> None:
    code = (
        "import sys; import arena.adapters.llm.gateway, arena.engine.llm.telemetry, arena.engine.llm.prices; "
        "sys.exit(1 if 'litellm' in sys.modules else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode()


def test_shipped_price_table_prices_the_default_cheap_model() -> None:
    table = PriceTable.load(Settings(_env_file=None).price_table_path)
    assert table.cost("openai", "gpt-4o-mini", 1_000_000, 1_000_000) == Decimal("0.75")
    assert table.cost("openai", "gpt-4o-mini", None, 10) is None
    assert table.cost("openrouter", "nobody/unknown", 10, 10) is None


@pytest.mark.parametrize(
    "text",
    ["{not json", "[]", '{"models": {"gpt-4o-mini": {"input": 1, "output": 1}}}', '{"models": {"a/b": {"input": -1}}}'],
)
def test_malformed_price_table_is_a_configuration_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "prices.json"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match="price table"):
        PriceTable.load(path)
    with pytest.raises(ConfigurationError, match="not found"):
        PriceTable.load(tmp_path / "missing.json")


# --- providers as they really are (issue 13) -------------------------------------------------------------------


def test_the_strict_request_carries_only_what_openai_accepts(server: LLMServer) -> None:
    schema = {"type": "object", "properties": {"why": {"type": "string", "minLength": 1, "maxLength": 9}}}
    server.on(CHEAP, Reply(content='{"why": "x"}'))
    result, _ = run(make_call(server, response_schema=schema))
    assert result.ok  # the loopback server enforces OpenAI's strict subset: the raw schema would be a 400
    sent = server.requests[0].body["response_format"]["json_schema"]
    assert sent["strict"] is True and "minLength" not in json.dumps(sent)


def test_a_rejected_output_mode_steps_down_once_and_is_remembered(server: LLMServer) -> None:
    server.behaviour(ROUTED, Behaviour.JSON_MODE_ONLY).on(ROUTED, Reply(content=HOLD, cost=0.0001))
    rows: list[LLMCallResult] = []
    gateway = LLMGateway(settings(), prices=prices(), sink=rows.append, sleep=Sleeps())
    call = make_call(
        server,
        "openrouter",
        ROUTED,
        response_schema=SCHEMA,
        output_mode=OutputMode.JSON_SCHEMA,
        schema_instructions="SCHEMA-HERE",
    )
    first = asyncio.run(gateway.call(call))
    assert first.ok and first.output_mode == "json_object" and first.attempts == 2
    rejected, accepted = rows
    assert accepted is first
    assert (rejected.status, rejected.output_mode) == ("error", "json_schema") and rejected.error_class
    assert "json_schema rejected (HTTP 400)" in rejected.extra["note"] and "json_object" in rejected.extra["note"]
    assert [r.status for r in server.requests] == [400, 200]
    # the step down puts the schema into the prompt, since the provider no longer enforces it
    assert server.requests[1].body["messages"][-1]["content"].endswith("SCHEMA-HERE")  # after the shared part
    assert "SCHEMA-HERE" not in json.dumps(server.requests[0].body["messages"])
    # the same model is asked in JSON mode straight away from then on
    second = asyncio.run(gateway.call(call))
    assert second.ok and second.attempts == 1 and server.requests[-1].body["response_format"] == {"type": "json_object"}


def test_a_local_server_that_refuses_json_schema_falls_back_without_a_key(server: LLMServer) -> None:
    server.behaviour("qwen2.5-0.5b", Behaviour.LLAMA_CPP_PYTHON).on("qwen2.5-0.5b", Reply(content=HOLD))
    local = Settings(_env_file=None, ARENA_LOCAL_API_BASE=server.base_url)  # type: ignore[call-arg]
    call = make_call(
        server, "local", "qwen2.5-0.5b", api_base=None, response_schema=SCHEMA, output_mode=OutputMode.JSON_SCHEMA
    )
    result, rows = run(call, cfg=local)
    assert result.ok and result.content == HOLD and [r.status for r in server.requests] == [500, 200]
    assert result.cost_usd is None and result.cost_source == "unknown"  # unpriced: no cost invented
    assert server.requests[0].headers["authorization"] == "Bearer not-needed"
    assert rows[0].extra["note"].startswith("json_schema rejected (HTTP 500)")


def test_retry_after_is_honoured_and_each_attempt_is_a_row(server: LLMServer) -> None:
    server.on(CHEAP, Reply(status=429, retry_after=2), Reply(content=HOLD))
    sleeps = Sleeps()
    result, rows = run(make_call(server), sleep=sleeps)
    assert result.ok and sleeps.delays == [2.0]  # the server's 2 s, not the 0.5 s backoff
    assert [(r.status, r.attempts) for r in rows] == [("error", 1), ("ok", 2)] and len(server.requests) == 2
    assert rows[0].error_class == "RateLimitError"


def test_a_retry_after_beyond_the_bound_is_not_waited_for(server: LLMServer) -> None:
    server.on(CHEAP, Reply(status=429, retry_after=90))
    sleeps = Sleeps()
    result, rows = run(make_call(server), sleep=sleeps)
    assert result.status == "error" and sleeps.delays == [] and len(rows) == 1
    assert "Retry-After 90 s is longer than the 10 s Arena waits" in (result.error_message or "")


def test_a_refusal_and_a_truncated_reply_are_their_own_statuses(server: LLMServer) -> None:
    server.on(CHEAP, Reply(refusal="I'm sorry, I can't help with that."))
    refused, _ = run(make_call(server))
    assert (refused.status, refused.content, refused.error_class) == ("refused", None, "Refusal")
    assert "can't help" in (refused.error_message or "")
    server.on(CHEAP, Reply(content=HOLD * 10, truncate_at=12))
    cut, _ = run(make_call(server))
    assert (cut.status, cut.finish_reason, cut.content) == ("truncated", "length", (HOLD * 10)[:12])


def test_a_huge_reply_is_cut_to_the_cap(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content="A" * 5_000_000))
    result, _ = run(
        make_call(server),
        cfg=Settings(
            OPENAI_API_KEY=OPENAI_KEY,
            ARENA_LLM_MAX_REPLY_BYTES=65_536,
            ARENA_ALLOWED_API_BASES=LOOPBACK_API_BASES,
            _env_file=None,
        ),
    )
    assert result.status == "truncated" and result.error_class == "ReplyTooLarge"
    assert result.content is not None and len(result.content.encode()) == 65_536


def test_openrouter_is_asked_for_usage_accounting_routing_and_attribution(server: LLMServer) -> None:
    server.behaviour(ROUTED, Behaviour.OPENROUTER).on(ROUTED, Reply(content=HOLD, cost=0.00031))
    result, _ = run(make_call(server, "openrouter", ROUTED))
    body, headers = server.requests[0].body, server.requests[0].headers
    assert body["usage"] == {"include": True} and body["provider"] == {"require_parameters": True}
    assert headers["x-title"] == "Arena" and headers["http-referer"].startswith("http")
    assert result.cost_usd == Decimal("0.00031") and result.cost_source == "provider"  # returned because asked


def test_a_failed_call_is_logged_at_warning_with_run_model_and_status(
    server: LLMServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.on(CHEAP, Reply(status=401))
    with caplog.at_level("WARNING", logger="arena.adapters.llm.gateway"):
        run(make_call(server, run_id="run-42"))
    line = next(r.getMessage() for r in caplog.records if r.levelname == "WARNING")
    assert "run-42" in line and CHEAP in line and "error" in line and OPENAI_KEY not in line


def test_a_step_down_happens_once_per_call_and_does_not_use_up_a_retry(server: LLMServer) -> None:
    server.behaviour("local-model", Behaviour.LLAMA_CPP_PYTHON)
    server.on("local-model", Reply(status=503, error_message="loading model"), Reply(content=HOLD))
    local = Settings(_env_file=None, ARENA_LOCAL_API_BASE=server.base_url)  # type: ignore[call-arg]
    call = make_call(
        server, "local", "local-model", response_schema=SCHEMA, output_mode=OutputMode.JSON_SCHEMA, max_attempts=2
    )
    result, rows = run(call, cfg=local)
    assert result.ok and [r.status for r in server.requests] == [500, 503, 200]
    assert [(r.status, r.output_mode) for r in rows] == [
        ("error", "json_schema"),
        ("error", "json_object"),
        ("ok", "json_object"),
    ]
    assert rows[0].extra.get("note") and not rows[1].extra.get("note")  # the step is noted once


def test_a_local_model_without_a_base_url_is_never_sent_anywhere(server: LLMServer) -> None:
    result, _ = run(make_call(server, "local", "any-model", api_base=None), cfg=settings())
    assert (result.status, result.error_class, result.attempts) == ("error", "MissingApiBase", 0)
    assert server.requests == []


def test_a_key_is_not_sent_to_a_base_url_outside_the_allow_list(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD))
    strict = Settings(OPENAI_API_KEY=OPENAI_KEY, _env_file=None)  # type: ignore[call-arg]  # only api.openai.com
    result, _ = run(make_call(server), cfg=strict)
    assert (result.status, result.error_class, result.attempts) == ("error", "ApiBaseNotAllowed", 0)
    assert server.requests == [] and OPENAI_KEY not in (result.error_message or "")


def test_json_mode_on_openai_needs_the_word_json_and_arenas_prompts_have_it(server: LLMServer) -> None:
    server.behaviour(CHEAP, Behaviour.OPENAI).on(CHEAP, Reply(content=HOLD))
    plain, rows = run(make_call(server, output_mode=OutputMode.JSON_OBJECT))
    # OpenAI refuses JSON mode without the word: the gateway steps down to prompt mode and says why
    assert [r.status for r in server.requests] == [400, 200] and plain.ok and plain.output_mode == "prompt"
    assert "must contain the word 'json'" in rows[0].extra["note"]
    ours = [{"role": "system", "content": ANSWER_RULES}, {"role": "user", "content": "AAPL?"}]
    asked, rows = run(make_call(server, model=CHEAP, output_mode=OutputMode.JSON_OBJECT, messages=ours))
    assert asked.ok and asked.output_mode == "json_object" and len(rows) == 1  # Arena's rules say "JSON"
