"""The one door to LLM providers: litellm is imported here and nowhere else, and only when a call is made.

Every call ends in exactly one LLMCallResult handed to the telemetry sink — failures included — so cost and
latency are recorded rather than guessed. Provider faults never raise; they come back as status error|timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import logging
import os
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from types import ModuleType
from typing import Any

from arena.adapters.llm.limits import CallLimits
from arena.engine.config.settings import Settings
from arena.engine.llm.capabilities import FALLBACK_ORDER, next_mode
from arena.engine.llm.prices import COST_QUANTUM, PriceTable
from arena.engine.llm.strict_schema import strict_schema
from arena.engine.llm.types import LLMCall, LLMCallResult, ToolRequest
from arena.engine.market.snapshot import canonical_json, sha256_hex
from arena.kernel.kinds import CostSource, OutputMode, Provider
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
APP_TITLE = "Arena"
# Words in a 400/422/500 that say the server cannot do the requested structured-output mode.
OUTPUT_MODE_WORDS = ("response_format", "json_schema", "json schema", "json_object", "structured output")

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


@dataclass
class _Attempt:
    """What one HTTP attempt ended with, before it becomes a telemetry row."""

    status: CallStatus
    error_class: str | None = None
    error_message: str | None = None
    http_status: int | None = None
    retry_after_s: float | None = None


class LLMGateway:
    """Chat completions through litellm with Arena's own bounded retry, output-mode fallback, cost resolution and
    telemetry: one row per HTTP request (a retried call is several rows, each with its attempt number)."""

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
        # a model that rejected a mode is asked with the next one from then on (this process)
        self._stepped_down: dict[tuple[str, str, str], OutputMode] = {}

    @staticmethod
    def preload() -> None:
        """Pay litellm's import cost up front (worker start) instead of inside the first run."""
        load_litellm()

    def mode_for(self, call: LLMCall) -> OutputMode:
        """The mode this model is asked with now: the call's, unless the model rejected it earlier."""
        remembered = self._stepped_down.get(self._model_key(call))
        if remembered is not None and FALLBACK_ORDER.index(remembered) > FALLBACK_ORDER.index(call.output_mode):
            return remembered
        return call.output_mode

    def _model_key(self, call: LLMCall) -> tuple[str, str, str]:
        """A model is one model at one server: two local servers may serve the same model name differently."""
        return (call.provider, call.model, call.api_base or self._settings.provider_base(call.provider) or "")

    async def call(self, call: LLMCall) -> LLMCallResult:
        """Make the call (retrying temporary faults, stepping down a rejected output mode), hand every attempt to
        the sink, and return the last one.

        Cost: the provider's own figure when the reply carries one (OpenRouter's `usage.cost`), else the price
        table, else None with cost_source "unknown" (tokens are kept either way).
        """
        progress = _Progress()
        started = time.monotonic()
        mode = self.mode_for(call)
        try:
            result = await self._run(call, mode, progress)
        except asyncio.CancelledError:
            cancelled = self._result(
                call,
                mode,
                started,
                progress,
                status=CallStatus.TIMEOUT,  # cancelled by the agent's deadline (or a shutdown): the reply never came
                error_class="CancelledError",
                error_message="call cancelled before it finished (agent deadline, a cancelled run or shutdown)",
            )
            try:
                self._sink(cancelled)
            except Exception as exc:  # e.g. the database is down: one line, the cancellation goes on
                log.warning(
                    "telemetry not written for a cancelled call (trace %s): %s: %s",
                    call.trace_id,
                    type(exc).__name__,
                    scrub(str(exc).splitlines()[0] if str(exc) else ""),
                )
            raise
        if not result.ok:
            log.warning(
                "LLM call failed: run %s, %s/%s, %s after %d attempt(s): %s %s",
                call.run_id,
                call.provider,
                call.model,
                result.status,
                result.attempts,
                result.error_class,
                result.error_message,
            )
        return result

    def _refuse(
        self, call: LLMCall, mode: OutputMode, progress: _Progress, error_class: str, message: str
    ) -> LLMCallResult:
        """A call that is not sent at all (no HTTP request): one row with attempts 0."""
        failed = _Attempt(status=CallStatus.ERROR, error_class=error_class, error_message=message)
        return self._emit(self._result(call, mode, time.monotonic(), progress, **_fields(failed)))

    async def _run(self, call: LLMCall, mode: OutputMode, progress: _Progress) -> LLMCallResult:
        if call.provider not in PROVIDERS:
            return self._refuse(
                call, mode, progress, "UnsupportedProvider", f"provider {call.provider!r} is not supported"
            )
        key = self._settings.provider_key(call.provider)
        secret = key.get_secret_value() if key is not None else ""
        if not secret:
            return self._refuse(
                call, mode, progress, "MissingProviderKey", f"no API key configured for {call.provider}"
            )
        if call.api_base and not self._settings.base_allowed(call.provider, call.api_base):
            # checked again at call time: a profile saved before the allow-list, or edited in the database
            return self._refuse(
                call,
                mode,
                progress,
                "ApiBaseNotAllowed",
                f"{call.api_base} is not an allowed base URL for {call.provider} (ARENA_ALLOWED_API_BASES); "
                "the key was not sent",
            )
        if call.provider == Provider.LOCAL and not (call.api_base or self._settings.provider_base(call.provider)):
            # without a base URL litellm would send the prompt to api.openai.com
            return self._refuse(
                call,
                mode,
                progress,
                "MissingApiBase",
                "a local model needs ARENA_LOCAL_API_BASE or the profile's api_base",
            )
        litellm = load_litellm()
        retryable = tuple(getattr(litellm, name) for name in RETRYABLE_CLASSES)
        timeout_classes = (litellm.Timeout, TimeoutError)
        max_attempts = max(1, call.max_attempts)
        note: str | None = None
        stepped_down = False
        tries = 0  # attempts that count against max_attempts (a step down does not)
        while True:
            progress.attempts += 1
            tries += 1
            started = time.monotonic()
            request = self._request(call, secret, mode)
            slot = self._limits.slot(call.provider) if self._limits is not None else contextlib.nullcontext()
            try:
                async with slot:  # held for the attempt only, never across a backoff sleep
                    response = await asyncio.wait_for(
                        litellm.acompletion(**request), timeout=call.timeout_s + HARD_TIMEOUT_GRACE_S
                    )
            except Exception as exc:
                failed = _failure(exc, secret, timeout_classes)
                lower = next_mode(mode)
                if lower is not None and not stepped_down and _rejects_output_mode(failed):
                    note = (
                        f"{mode} rejected (HTTP {failed.http_status}): {failed.error_message}; asked again with {lower}"
                    )
                    self._emit(self._result(call, mode, started, progress, **_fields(failed), note=note))
                    self._stepped_down[self._model_key(call)] = lower
                    mode, stepped_down, note = lower, True, None
                    tries -= 1  # a step down is not a retry: it does not use up an attempt
                    continue
                retry_in = self._retry_in(failed, exc, retryable, tries, max_attempts)
                if retry_in is None:
                    bound = self._settings.llm_retry_after_max_s
                    if failed.retry_after_s is not None and failed.retry_after_s > bound:
                        failed.error_message = (
                            f"{failed.error_message} (Retry-After {failed.retry_after_s:g} s is longer than the "
                            f"{bound:g} s Arena waits)"
                        )
                    return self._emit(self._result(call, mode, started, progress, **_fields(failed), note=note))
                self._emit(self._result(call, mode, started, progress, **_fields(failed), note=note))
                progress.retried.append(failed.error_class or "error")
                await self._sleep(retry_in)
                continue
            return self._emit(self._success(call, mode, started, progress, response, note=note))

    def _retry_in(
        self,
        failed: _Attempt,
        exc: Exception,
        retryable: tuple[type[BaseException], ...],
        attempt: int,
        max_attempts: int,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None when there is none (attempts used up, not retryable,
        or the server asks for a longer wait than Arena allows)."""
        if attempt >= max_attempts or not _is_retryable(exc, retryable):
            return None
        if failed.retry_after_s is not None:
            if failed.retry_after_s > self._settings.llm_retry_after_max_s:
                return None
            return max(failed.retry_after_s, self._backoff(attempt))
        return self._backoff(attempt)

    def _request(self, call: LLMCall, secret: str, mode: OutputMode) -> dict[str, Any]:
        litellm_provider = "openai" if call.provider == Provider.LOCAL else call.provider
        request: dict[str, Any] = {
            "model": f"{litellm_provider}/{call.model}",
            "messages": sent_messages(call, mode),
            "api_key": secret,
            "timeout": call.timeout_s,
            "num_retries": 0,  # the retry policy is ours; litellm's needs tenacity
            "max_retries": 0,  # the OpenAI SDK would otherwise retry twice on its own
            "max_tokens": call.max_tokens,
            "temperature": call.temperature,
        }
        response_format = response_format_for(call, mode)
        if response_format is not None:
            request["response_format"] = response_format
        if call.tools:
            request["tools"] = call.tools
            if call.tool_choice:
                request["tool_choice"] = call.tool_choice
        if call.provider == Provider.OPENROUTER:
            # usage accounting returns the call's real cost; require_parameters routes only to hosts that honour
            # the structured-output parameter; the attribution headers name the app (OpenRouter's docs)
            extra: dict[str, Any] = {"usage": {"include": True}}
            if response_format is not None:
                extra["provider"] = {"require_parameters": True}
            request["extra_body"] = extra
            request["extra_headers"] = {"HTTP-Referer": self._settings.openrouter_referer, "X-Title": APP_TITLE}
        api_base = call.api_base or self._settings.provider_base(call.provider)
        if api_base:
            request["api_base"] = api_base
        return request

    def _success(
        self, call: LLMCall, mode: OutputMode, started: float, progress: _Progress, response: Any, *, note: str | None
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
        finish = getattr(choice, "finish_reason", None)
        refusal = getattr(choice.message, "refusal", None)
        content: str | None = choice.message.content or ""
        tool_calls = _tool_requests(getattr(choice.message, "tool_calls", None))
        status, error_class, error_message = CallStatus.OK, None, None
        if isinstance(refusal, str) and refusal.strip():
            status, error_class, error_message = CallStatus.REFUSED, "Refusal", scrub(refusal)
            content = None
        elif finish == "length":
            status, error_class = CallStatus.TRUNCATED, "MaxTokens"
            error_message = f"the reply stopped at max_tokens ({call.max_tokens})"
        cap = self._settings.llm_max_reply_bytes
        raw = (content or "").encode("utf-8")
        asked = sum(len(t.arguments.encode("utf-8")) + len(t.name) for t in tool_calls)
        if tool_calls and len(raw) + asked > cap:
            tool_calls = []
            status, error_class = CallStatus.TRUNCATED, "ReplyTooLarge"
            error_message = f"tool calls of {asked:,} bytes exceed the {cap:,}-byte cap (ARENA_LLM_MAX_REPLY_BYTES)"
        elif len(raw) > cap:
            content = raw[:cap].decode("utf-8", errors="ignore")
            status, error_class = CallStatus.TRUNCATED, "ReplyTooLarge"
            error_message = f"reply of {len(raw):,} bytes cut to the {cap:,}-byte cap (ARENA_LLM_MAX_REPLY_BYTES)"
        return self._result(
            call,
            mode,
            started,
            progress,
            status=status,
            content=content,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost,
            cost_source=source,
            error_class=error_class,
            error_message=error_message,
            finish_reason=finish,
            note=note,
            tool_calls=tool_calls,
        )

    def _result(
        self,
        call: LLMCall,
        mode: OutputMode,
        started: float,
        progress: _Progress,
        *,
        status: CallStatus,
        note: str | None = None,
        **values: Any,
    ) -> LLMCallResult:
        extra: dict[str, Any] = {"retried": list(progress.retried)} if progress.retried else {}
        if note:
            extra["note"] = note
        messages = sent_messages(call, mode)
        return LLMCallResult(
            call=call,
            status=status,
            prompt_hash=sha256_hex(canonical_json(messages)),
            latency_ms=int((time.monotonic() - started) * 1000),
            attempts=progress.attempts,
            output_mode=mode,
            sent_messages=messages,
            extra=extra,
            **values,
        )

    def _emit(self, result: LLMCallResult) -> LLMCallResult:
        try:
            self._sink(result)
        except Exception:
            log.exception("telemetry sink failed (trace %s)", result.call.trace_id)
            raise
        return result

    def _backoff(self, attempt: int) -> float:
        return float(min(MAX_BACKOFF_S, self._backoff_base_s * 2 ** (attempt - 1)))


def sent_messages(call: LLMCall, mode: OutputMode) -> list[dict[str, Any]]:
    """The call's messages, with the reply's shape added at the end of the last user message unless the provider
    enforces the schema (json_schema mode): the shared rules and market data in front stay identical for every
    agent of a run, whatever its mode, so a provider's prompt cache can reuse them."""
    messages = [dict(m) for m in call.messages]
    if mode == OutputMode.JSON_SCHEMA or not call.schema_instructions:
        return messages
    last_user = next((i for i in range(len(messages) - 1, -1, -1) if messages[i].get("role") == "user"), None)
    if last_user is None:
        messages.append({"role": "user", "content": call.schema_instructions})
    else:
        messages[last_user]["content"] = messages[last_user]["content"] + "\n" + call.schema_instructions
    return messages


def _tool_requests(raw: Any) -> list[ToolRequest]:
    """The function calls of a reply (litellm's ChatCompletionMessageToolCall objects); other kinds are ignored."""
    requests: list[ToolRequest] = []
    for item in raw or []:
        function = getattr(item, "function", None)
        name = getattr(function, "name", None)
        arguments = getattr(function, "arguments", None)
        call_id = getattr(item, "id", None)
        if isinstance(name, str) and isinstance(call_id, str):
            requests.append(
                ToolRequest(id=call_id, name=name, arguments=arguments if isinstance(arguments, str) else "")
            )
    return requests


def response_format_for(call: LLMCall, mode: OutputMode) -> dict[str, Any] | None:
    """json_schema (strict, with the strict-safe schema), json_object, or nothing (prompt mode)."""
    if mode == OutputMode.JSON_SCHEMA and call.response_schema is not None:
        return {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": strict_schema(call.response_schema), "strict": True},
        }
    if mode == OutputMode.PROMPT:
        return None
    return {"type": "json_object"}


def _failure(exc: Exception, secret: str, timeout_classes: tuple[type[BaseException], ...]) -> _Attempt:
    status = CallStatus.TIMEOUT if isinstance(exc, timeout_classes) else CallStatus.ERROR
    http_status = getattr(exc, "status_code", None)
    return _Attempt(
        status=status,
        error_class=type(exc).__name__,
        error_message=scrub(str(exc) or type(exc).__name__, secret),
        http_status=http_status if isinstance(http_status, int) else None,
        retry_after_s=_retry_after(exc),
    )


def _fields(failed: _Attempt) -> dict[str, Any]:
    return {"status": failed.status, "error_class": failed.error_class, "error_message": failed.error_message}


def _rejects_output_mode(failed: _Attempt) -> bool:
    """A 400/422/500 that names the structured-output request: the server cannot do this mode."""
    if failed.http_status not in (400, 422, 500) or not failed.error_message:
        return False
    text = failed.error_message.lower()
    return any(word in text for word in OUTPUT_MODE_WORDS)


def _retry_after(exc: Exception) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date) on the error's response, if any."""
    value = None
    # the response's own headers (OpenAI path) or litellm's copy of them (OpenRouter path leaves the response bare)
    for headers in (
        getattr(getattr(exc, "response", None), "headers", None),
        getattr(exc, "litellm_response_headers", None),
    ):
        if headers is not None and headers.get("retry-after") is not None:
            value = str(headers.get("retry-after"))
            break
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(when.tzinfo or UTC)).total_seconds())


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
