"""The one door to LLM providers: litellm is imported here and nowhere else, and only when a call is made.

Every call ends in exactly one LLMCallResult handed to the telemetry sink — failures included — so cost and
latency are recorded rather than guessed. Provider faults never raise; they come back as status error|timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import ModuleType
from typing import Any

from arena.adapters.llm.limits import CallLimits
from arena.engine.config.settings import Settings
from arena.engine.llm.prices import COST_QUANTUM, PriceTable
from arena.engine.llm.types import LLMCall, LLMCallResult
from arena.engine.market.snapshot import canonical_json, sha256_hex
from arena.kernel.kinds import CostSource, Provider
from arena.kernel.states import CallStatus

log = logging.getLogger(__name__)

Sink = Callable[[LLMCallResult], None]
Sleep = Callable[[float], Awaitable[None]]

PROVIDERS = frozenset(Provider)
# litellm exception classes worth another attempt: rate limits, server faults, timeouts, lost connections.
RETRYABLE_CLASSES = (
    "RateLimitError",
    "InternalServerError",
    "ServiceUnavailableError",
    "BadGatewayError",
    "Timeout",
    "APIConnectionError",
)
MAX_BACKOFF_S = 8.0
# The SDK timeout can overrun by a few hundred ms (OpenRouter path); this bounds a trickling server.
HARD_TIMEOUT_GRACE_S = 1.0
ERROR_MESSAGE_MAX = 300
SCHEMA_NAME = "agent_decision"

_SECRET_PATTERNS = (
    re.compile(r"(?i)bearer\s+\S+"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"(?i)(api[_-]?key['\"]?\s*[:=]\s*['\"]?)[^\s'\",}]+"),
)


@functools.cache
def load_litellm() -> ModuleType:
    """Import litellm on first use (~3 s), once; the local cost-map flag keeps it from fetching prices online."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm as module  # here, not at the top: the web process and the CLI's other commands never pay for it

    vars(module)["suppress_debug_info"] = True  # no "Give Feedback / Get Help" banners on stdout
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy"):  # one INFO line per call otherwise
        logging.getLogger(name).setLevel(logging.WARNING)
    return module


@dataclass
class _Progress:
    attempts: int = 0
    retried: list[str] = field(default_factory=list)


class LLMGateway:
    """Chat completions through litellm with Arena's own bounded retry, cost resolution and telemetry."""

    def __init__(
        self,
        settings: Settings,
        *,
        prices: PriceTable,
        sink: Sink,
        sleep: Sleep = asyncio.sleep,
        backoff_base_s: float = 0.5,
        limits: CallLimits | None = None,
    ) -> None:
        """`limits` caps concurrent calls (global and per provider) around each attempt; None: no cap."""
        self._settings = settings
        self._limits = limits
        self._prices = prices
        self._sink = sink
        self._sleep = sleep
        self._backoff_base_s = backoff_base_s

    @staticmethod
    def preload() -> None:
        """Pay litellm's import cost up front (worker start) instead of inside the first run."""
        load_litellm()

    async def call(self, call: LLMCall) -> LLMCallResult:
        """Make the call (retrying temporary faults), record it through the sink once, and return the result.

        Cost: the provider's own figure when the reply carries one (OpenRouter's `usage.cost`), else the price
        table, else None with cost_source "unknown" (tokens are kept either way).
        """
        started = time.monotonic()
        prompt_hash = sha256_hex(canonical_json(call.messages))
        progress = _Progress()
        try:
            result = await self._run(call, prompt_hash, started, progress)
        except asyncio.CancelledError:
            cancelled = _result(
                call,
                prompt_hash,
                started,
                progress,
                status=CallStatus.TIMEOUT,  # cancelled by the agent's deadline (or a shutdown): the reply never came
                error_class="CancelledError",
                error_message="call cancelled before it finished (agent deadline or shutdown)",
            )
            try:
                self._sink(cancelled)
            except Exception:
                log.exception("telemetry sink failed for cancelled call (trace %s)", call.trace_id)
            raise
        self._emit(result)
        return result

    async def _run(self, call: LLMCall, prompt_hash: str, started: float, progress: _Progress) -> LLMCallResult:
        if call.provider not in PROVIDERS:
            return _result(
                call,
                prompt_hash,
                started,
                progress,
                status=CallStatus.ERROR,
                error_class="UnsupportedProvider",
                error_message=f"provider {call.provider!r} is not supported",
            )
        key = self._settings.provider_key(call.provider)
        secret = key.get_secret_value() if key is not None else ""
        if not secret:
            return _result(
                call,
                prompt_hash,
                started,
                progress,
                status=CallStatus.ERROR,
                error_class="MissingProviderKey",
                error_message=f"no API key configured for {call.provider}",
            )
        litellm = load_litellm()
        request = self._request(call, secret)
        max_attempts = max(1, call.max_attempts)
        retryable = tuple(getattr(litellm, name) for name in RETRYABLE_CLASSES)
        timeout_classes = (litellm.Timeout, TimeoutError)
        for attempt in range(1, max_attempts + 1):
            progress.attempts = attempt
            slot = self._limits.slot(call.provider) if self._limits is not None else contextlib.nullcontext()
            try:
                async with slot:  # held for the attempt only, never across a backoff sleep
                    response = await asyncio.wait_for(
                        litellm.acompletion(**request), timeout=call.timeout_s + HARD_TIMEOUT_GRACE_S
                    )
                return self._success(call, prompt_hash, started, progress, response)
            except Exception as exc:
                if attempt < max_attempts and _is_retryable(exc, retryable):
                    progress.retried.append(type(exc).__name__)
                    await self._sleep(self._backoff(attempt))
                    continue
                status = CallStatus.TIMEOUT if isinstance(exc, timeout_classes) else CallStatus.ERROR
                return _result(
                    call,
                    prompt_hash,
                    started,
                    progress,
                    status=status,
                    error_class=type(exc).__name__,
                    error_message=scrub(str(exc) or type(exc).__name__, secret),
                )
        raise AssertionError("unreachable: the loop always returns")  # pragma: no cover

    def _request(self, call: LLMCall, secret: str) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": f"{call.provider}/{call.model}",
            "messages": [dict(m) for m in call.messages],
            "api_key": secret,
            "timeout": call.timeout_s,
            "num_retries": 0,  # the retry policy is ours; litellm's needs tenacity
            "max_retries": 0,  # the OpenAI SDK would otherwise retry twice on its own
            "max_tokens": call.max_tokens,
            "temperature": call.temperature,
            "response_format": response_format(call),
        }
        api_base = call.api_base or self._settings.provider_base(call.provider)
        if api_base:
            request["api_base"] = api_base
        return request

    def _success(
        self, call: LLMCall, prompt_hash: str, started: float, progress: _Progress, response: Any
    ) -> LLMCallResult:
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        tokens_in = _int_or_none(getattr(usage, "prompt_tokens", None))
        tokens_out = _int_or_none(getattr(usage, "completion_tokens", None))
        cost = provider_cost(response)
        source = CostSource.PROVIDER
        if cost is None:
            cost = self._prices.cost(call.provider, call.model, tokens_in, tokens_out)
            source = CostSource.PRICE_TABLE if cost is not None else CostSource.UNKNOWN
        return _result(
            call,
            prompt_hash,
            started,
            progress,
            status=CallStatus.OK,
            content=choice.message.content or "",
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost,
            cost_source=source,
            finish_reason=getattr(choice, "finish_reason", None),
        )

    def _emit(self, result: LLMCallResult) -> None:
        try:
            self._sink(result)
        except Exception:
            log.exception("telemetry sink failed (trace %s)", result.call.trace_id)
            raise

    def _backoff(self, attempt: int) -> float:
        return float(min(MAX_BACKOFF_S, self._backoff_base_s * 2 ** (attempt - 1)))


def response_format(call: LLMCall) -> dict[str, Any]:
    """The strict JSON-schema mode for OpenAI when a schema is given; plain JSON mode otherwise.

    OpenRouter fronts many models whose support for json_schema varies, while json_object is near universal;
    the schema still travels in the prompt and every reply is validated against it afterwards.
    """
    if call.response_schema is not None and call.provider == Provider.OPENAI:
        return {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": call.response_schema, "strict": True},
        }
    return {"type": "json_object"}


def provider_cost(response: Any) -> Decimal | None:
    """OpenRouter's `usage.cost` (USD); litellm 1.110 keeps it as an extra attribute on `response.usage`."""
    raw = getattr(getattr(response, "usage", None), "cost", None)
    if raw is None or isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return None
    try:
        cost = Decimal(str(raw))
    except InvalidOperation:
        return None
    if not cost.is_finite() or cost < 0:
        return None
    return cost.quantize(COST_QUANTUM)


def scrub(message: str, secret: str = "") -> str:
    """One short line with the key and anything key-shaped removed, safe for telemetry and logs."""
    if secret:
        message = message.replace(secret, "***")
    for pattern in _SECRET_PATTERNS:
        message = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + "***", message)
    message = " ".join(message.split())
    return message if len(message) <= ERROR_MESSAGE_MAX else message[: ERROR_MESSAGE_MAX - 1] + "…"


def _is_retryable(exc: Exception, retryable: tuple[type[BaseException], ...]) -> bool:
    if isinstance(exc, (TimeoutError, *retryable)):
        return True
    status = getattr(exc, "status_code", None)  # litellm maps some 5xx (e.g. OpenRouter's) to plain APIError
    return isinstance(status, int) and (status in (408, 429) or status >= 500)


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _result(
    call: LLMCall,
    prompt_hash: str,
    started: float,
    progress: _Progress,
    *,
    status: CallStatus,
    content: str | None = None,
    tokens_in: int | None = None,
    tokens_out: int | None = None,
    cost_usd: Decimal | None = None,
    cost_source: CostSource = CostSource.UNKNOWN,
    error_class: str | None = None,
    error_message: str | None = None,
    finish_reason: str | None = None,
) -> LLMCallResult:
    return LLMCallResult(
        call=call,
        status=status,
        prompt_hash=prompt_hash,
        latency_ms=int((time.monotonic() - started) * 1000),
        attempts=progress.attempts,
        content=content,
        tokens_in=tokens_in,
        tokens_out=tokens_out,
        cost_usd=cost_usd,
        cost_source=cost_source,
        error_class=error_class,
        error_message=error_message,
        finish_reason=finish_reason,
        extra={"retried": list(progress.retried)} if progress.retried else {},
    )
