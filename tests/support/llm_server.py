"""A loopback OpenAI-compatible chat-completions server, so tests drive the real litellm over real HTTP.

Replies are scripted per model name as it arrives in the request body (litellm strips the `openai/` and
`openrouter/` prefixes). Unknown models get a 404 with an OpenAI-style error body.

The server is a faithful peer, not a fake that accepts anything: before a scripted reply is used, the request
is checked against the rules of the provider the model stands for, and a request a real provider would
refuse gets that provider's refusal (status and body shape), without consuming a scripted reply.

Behaviours (`srv.behaviour(model, Behaviour.X)`; a model without one behaves as `openai`):

* ``openai`` (default) - api.openai.com: `response_format` json_schema with `strict: true` must keep to the
  Structured Outputs schema subset (see `tests.support.openai_rules`), else HTTP 400 with OpenAI's error body;
  `json_schema.name` must match ``^[a-zA-Z0-9_-]{1,64}$``; json_object and text are accepted. Only for a model
  declared with ``srv.behaviour(model, Behaviour.OPENAI)``, an unknown top-level request argument is refused
  ("Unrecognized request argument supplied: usage"): an undeclared model may be reached through litellm's
  OpenRouter provider, which adds OpenRouter's own `usage` argument. Success bodies carry the full
  chat.completion shape of openai-python's recorded fixtures.
* ``openrouter`` - a model behind OpenRouter that supports json_schema (passed on unchecked). OpenRouter-shaped
  bodies (`gen-…` id, `provider`, `native_finish_reason`), OpenRouter-shaped errors (`code` is the HTTP status)
  and usage accounting: `usage.cost` only when the request asks with ``"usage": {"include": true}``
  (``usage_accounting="always"`` returns it regardless, as OpenRouter's current docs describe).
* ``json_mode_only`` - an OpenRouter model such as DeepSeek or Qwen: like ``openrouter`` but json_schema gets
  400 "This model does not support response_format type json_schema"; json_object is accepted.
* ``prose_json`` - a model that ignores response_format: the scripted content comes back wrapped in prose,
  "Here is my decision:\\n```json\\n<content>\\n```\\nLet me know if you need more."
* ``llama_cpp_python`` - llama-cpp-python's server: json_schema is refused with HTTP 500
  ``{"error": {"message": …, "type": "internal_server_error", "param": null, "code": null}}``; text and
  json_object are accepted; minimal success bodies.
* ``llama_server`` - llama.cpp's llama-server: json_schema and json_object accepted (no OpenAI strict subset:
  minLength and friends pass); llama.cpp-shaped bodies (with `timings`) and errors.

``openrouter=True/False`` on `behaviour()` overrides whether a model gets OpenRouter's body/error shapes and
usage accounting (default: on for ``openrouter`` and ``json_mode_only``).

Server switches: ``LLMServer(strict_rules=False)`` turns every request check off (any request is answered);
``LLMServer(json_word_rule=True)`` adds OpenAI's JSON-mode rule (with json_object, some message must say
"json") for every model; a model declared ``Behaviour.OPENAI`` always has it.

Tool calls: ``Reply(tool_calls=(ToolCall("get_quote", {"symbol": "AAPL"}),))`` answers with OpenAI's
function-calling shape (content null, ``message.tool_calls[]`` with ``call_…`` ids and JSON-string arguments,
finish_reason ``tool_calls``). Only a request that offers `tools` without ``tool_choice: "none"`` can get one (a
model never calls a tool it was not given or was told not to call, and always calls one when `tool_choice` is
``required`` or names a function: otherwise the server answers 500 "script error"), and
for every behaviour the request's `tools`, `tool_choice` and tool-message sequence are checked against OpenAI's
rules (`tests.support.openai_rules`).

Reply extras: ``retry_after`` (429 with `Retry-After`, `retry-after-ms` and `x-ratelimit-*` headers and
OpenAI's rate-limit body), ``refusal`` (content null, `message.refusal` set), ``truncate_at`` (content cut
at N characters, finish_reason "length"), ``cached_tokens`` / ``reasoning_tokens`` (usage details).
"""

from __future__ import annotations

import contextlib
import json
import math
import secrets
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Literal

from tests.support.openai_rules import check_request, check_tool_messages, check_tools

# ARENA_ALLOWED_API_BASES for tests: every provider may be served by a loopback server on any port.
LOOPBACK_API_BASES = "openai=http://127.0.0.1:*,openrouter=http://127.0.0.1:*,local=http://127.0.0.1:*"

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
PROSE_TEMPLATE = "Here is my decision:\n```json\n{content}\n```\nLet me know if you need more."
JSON_SCHEMA_UNSUPPORTED = "This model does not support response_format type json_schema"


class Behaviour(StrEnum):
    """Which real server a model stands for; see the module docstring."""

    OPENAI = "openai"
    OPENROUTER = "openrouter"
    JSON_MODE_ONLY = "json_mode_only"
    PROSE_JSON = "prose_json"
    LLAMA_CPP_PYTHON = "llama_cpp_python"
    LLAMA_SERVER = "llama_server"


UsageAccounting = Literal["opt_in", "always"]


@dataclass(frozen=True)
class ToolCall:
    """One function call the scripted model makes; `arguments` is sent as a JSON string (a str is sent as is)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """One scripted answer; `status` >= 400 sends an error body, `raw_body` sends exact bytes.

    `retry_after` (seconds) adds `Retry-After` / `retry-after-ms` / `x-ratelimit-*` headers; `refusal` answers
    with `content: null` and that refusal; `truncate_at` cuts the content and reports finish_reason "length".
    """

    content: str = "{}"
    prompt_tokens: int = 10
    completion_tokens: int = 5
    cost: float | None = None
    delay_s: float = 0.0
    status: int = 200
    finish_reason: str = "stop"
    raw_body: bytes | None = None
    error_message: str | None = None
    retry_after: float | None = None
    refusal: str | None = None
    truncate_at: int | None = None
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    tool_calls: tuple[ToolCall, ...] = ()


@dataclass(frozen=True)
class RecordedRequest:
    """What arrived, and when (monotonic), so tests can check both content and overlap in time.

    `status` is the HTTP status the server answered with (0 if building the answer raised). A request is
    recorded just before its answer is written, so a client that holds the answer always finds the request.
    """

    path: str
    model: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    started_at: float
    finished_at: float
    status: int = 0


ReplyFn = Callable[[dict[str, Any]], Reply]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}
_LLAMA_SERVER_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    501: "not_supported_error",
    503: "unavailable_error",
}


@dataclass(frozen=True)
class _Profile:
    kind: Behaviour = Behaviour.OPENAI
    openrouter: bool = False
    usage_accounting: UsageAccounting = "opt_in"
    declared: bool = False  # set by behaviour(); an undeclared model may be reached through any provider


@dataclass(frozen=True)
class _Answer:
    """A fully rendered HTTP answer."""

    status: int
    payload: bytes
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class _Script:
    queue: list[Reply] = field(default_factory=list)
    fn: ReplyFn | None = None

    def next(self, body: dict[str, Any]) -> Reply:
        if self.fn is not None:
            return self.fn(body)
        return self.queue.pop(0) if len(self.queue) > 1 else self.queue[0]


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a hanging handler must never block shutdown
    block_on_close = False
    owner: LLMServer


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output quiet
        return

    def do_POST(self) -> None:
        started = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        path = self.path.split("?", 1)[0]
        owner = self.server.owner
        model = body.get("model") if isinstance(body.get("model"), str) else None
        answer: _Answer | None = None
        try:
            answer = owner._answer(path, model, body)
        finally:
            # recorded before the answer is written, so a client holding its reply always finds its request
            owner._record(
                RecordedRequest(
                    path=path,
                    model=model,
                    body=body,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    started_at=started,
                    finished_at=time.monotonic(),
                    status=answer.status if answer is not None else 0,
                )
            )
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            self._send(answer)

    def _send(self, answer: _Answer) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer.payload)))
        for name, value in answer.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(answer.payload)
        self.wfile.flush()


# ---------------------------------------------------------------------------------------------------------
# request gates: what each real server refuses before any model runs


def _response_format_type(body: dict[str, Any]) -> object:
    rf = body.get("response_format")
    return rf.get("type") if isinstance(rf, dict) else None


def _gate(profile: _Profile, model: str, body: dict[str, Any], *, json_word: bool) -> _Answer | None:
    kind = profile.kind
    if kind != Behaviour.OPENAI:  # every OpenAI-compatible server refuses a broken tool exchange
        violation = check_tools(body) or check_tool_messages(body.get("messages"))
        if violation is not None:
            return _json_answer(violation.status, violation.body())
    if kind == Behaviour.OPENAI:
        # a model declared as OpenAI's gets every OpenAI request rule, JSON mode's "json" word included
        violation = check_request(body, known_params=profile.declared, json_word=json_word or profile.declared)
        if violation is not None:
            return _json_answer(violation.status, violation.body())
    elif kind == Behaviour.JSON_MODE_ONLY:
        if _response_format_type(body) == "json_schema":
            return _json_answer(400, _openrouter_error(400, JSON_SCHEMA_UNSUPPORTED, model))
    elif kind == Behaviour.LLAMA_CPP_PYTHON:
        rf_type = _response_format_type(body)
        if rf_type not in (None, "text", "json_object"):
            # llama-cpp-python's request model only knows text/json_object; its route handler turns the
            # validation failure into a 500 with the exception text.
            detail = (
                "[{'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
                "'msg': \"Input should be 'text' or 'json_object'\", "
                f"'input': {rf_type!r}, 'ctx': {{'expected': \"'text' or 'json_object'\"}}}}]"
            )
            return _json_answer(
                500, {"error": {"message": detail, "type": "internal_server_error", "param": None, "code": None}}
            )
    return None


# ---------------------------------------------------------------------------------------------------------
# error bodies


def _json_answer(status: int, body: dict[str, Any], headers: tuple[tuple[str, str], ...] = ()) -> _Answer:
    return _Answer(status, json.dumps(body).encode(), headers)


def _script_error(what: str) -> _Answer:
    """A scripted reply the real model could not give for this request: a test bug, answered 500."""
    return _json_answer(500, {"error": {"message": f"script error: {what}", "type": "server_error"}})


def _openrouter_error(status: int, message: str, model: str | None) -> dict[str, Any]:
    return {
        "error": {"message": message, "code": status, "metadata": {"provider_name": None, "model": model}},
        "user_id": "user_loopback",
    }


def _reset_text(seconds: float) -> str:
    return f"{round(seconds * 1000)}ms" if seconds < 1 else f"{seconds:g}s"


def _rate_limit_headers(reply: Reply) -> tuple[tuple[str, str], ...]:
    if reply.retry_after is None:
        return ()
    wait = max(0.0, reply.retry_after)
    return (
        ("Retry-After", str(math.ceil(wait))),
        ("retry-after-ms", str(round(wait * 1000))),
        ("x-ratelimit-limit-requests", "500"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", _reset_text(wait)),
    )


def _error_answer(reply: Reply, model: str | None, profile: _Profile) -> _Answer:
    status = reply.status
    headers = _rate_limit_headers(reply)
    if profile.openrouter:
        message = reply.error_message or f"scripted error {status}"
        return _json_answer(status, _openrouter_error(status, message, model), headers)
    if profile.kind == Behaviour.LLAMA_SERVER:
        message = reply.error_message or f"scripted error {status}"
        error_type = _LLAMA_SERVER_ERROR_TYPES.get(status, "server_error")
        return _json_answer(status, {"error": {"code": status, "message": message, "type": error_type}}, headers)
    if profile.kind == Behaviour.LLAMA_CPP_PYTHON:
        message = reply.error_message or f"scripted error {status}"
        error_type = "invalid_request_error" if status < 500 else "internal_server_error"
        return _json_answer(
            status, {"error": {"message": message, "type": error_type, "param": None, "code": None}}, headers
        )
    if status == 429:
        wait = reply.retry_after if reply.retry_after is not None else 20
        message = reply.error_message or (
            f"Rate limit reached for {model or 'unknown'} in organization org-loopback on requests per min (RPM): "
            f"Limit 500, Used 500, Requested 1. Please try again in {_reset_text(wait)}. "
            "Visit https://platform.openai.com/account/rate-limits to learn more."
        )
        body = {"error": {"message": message, "type": "requests", "param": None, "code": "rate_limit_exceeded"}}
        return _json_answer(status, body, headers)
    body = {
        "error": {
            "message": reply.error_message or f"scripted error {status}",
            "type": _ERROR_TYPES.get(status, "server_error"),
            "param": None,
            "code": str(status),
        }
    }
    return _json_answer(status, body, headers)


# ---------------------------------------------------------------------------------------------------------
# success bodies


def _content(reply: Reply, profile: _Profile) -> tuple[str | None, str]:
    """The assistant text (None for a refusal) and the finish reason."""
    if reply.refusal is not None:
        return None, reply.finish_reason
    content = reply.content
    if profile.kind == Behaviour.PROSE_JSON:
        content = PROSE_TEMPLATE.format(content=content)
    if reply.truncate_at is not None:
        return content[: max(0, reply.truncate_at)], "length"
    return content, reply.finish_reason


def _wants_usage(body: dict[str, Any]) -> bool:
    usage = body.get("usage")
    return isinstance(usage, dict) and usage.get("include") is True


def _completion(reply: Reply, model: str | None, profile: _Profile, body: dict[str, Any]) -> dict[str, Any]:
    content, finish_reason = _content(reply, profile)
    if reply.tool_calls:
        content, finish_reason = None, "tool_calls"
    if profile.openrouter:
        completion = _openrouter_completion(reply, model, profile, body, content, finish_reason)
    elif profile.kind == Behaviour.LLAMA_CPP_PYTHON:
        completion = _llama_cpp_python_completion(reply, model, content, finish_reason)
    elif profile.kind == Behaviour.LLAMA_SERVER:
        completion = _llama_server_completion(reply, model, content, finish_reason)
    else:
        completion = _openai_completion(reply, model, content, finish_reason)
    if reply.tool_calls:
        completion["choices"][0]["message"]["tool_calls"] = [_tool_call_json(call) for call in reply.tool_calls]
    return completion


def _tool_call_json(call: ToolCall) -> dict[str, Any]:
    arguments = call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    call_id = "call_" + "".join(secrets.choice(alphabet) for _ in range(24))
    return {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": arguments}}


def _basic_usage(reply: Reply) -> dict[str, Any]:
    return {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }


def _openai_completion(reply: Reply, model: str | None, content: str | None, finish_reason: str) -> dict[str, Any]:
    usage: dict[str, Any] = {
        **_basic_usage(reply),
        "prompt_tokens_details": {"cached_tokens": reply.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": reply.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    if reply.cost is not None:
        usage["cost"] = reply.cost  # not OpenAI's; kept so scripted provider costs still reach the client
    return {
        "id": f"chatcmpl-{secrets.token_hex(15)[:29]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model or "unknown",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": reply.refusal, "annotations": []},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": usage,
        "service_tier": "default",
        "system_fingerprint": "fp_loopback0",
    }


def _openrouter_completion(
    reply: Reply,
    model: str | None,
    profile: _Profile,
    body: dict[str, Any],
    content: str | None,
    finish_reason: str,
) -> dict[str, Any]:
    usage: dict[str, Any] = _basic_usage(reply)
    if profile.usage_accounting == "always" or _wants_usage(body):
        if reply.cost is not None:
            usage["cost"] = reply.cost
        usage["is_byok"] = False
        usage["prompt_tokens_details"] = {"cached_tokens": reply.cached_tokens, "audio_tokens": 0}
        usage["cost_details"] = {"upstream_inference_cost": None}
        usage["completion_tokens_details"] = {"reasoning_tokens": reply.reasoning_tokens}
    return {
        "id": f"gen-{int(time.time())}-{secrets.token_hex(10)}",
        "provider": "Loopback",
        "model": model or "unknown",
        "object": "chat.completion",
        "created": int(time.time()),
        "choices": [
            {
                "logprobs": None,
                "finish_reason": finish_reason,
                "native_finish_reason": finish_reason,
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": reply.refusal, "reasoning": None},
            }
        ],
        "system_fingerprint": None,
        "usage": usage,
    }


def _llama_cpp_python_completion(
    reply: Reply, model: str | None, content: str | None, finish_reason: str
) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-{uuid.uuid4()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model or "unknown",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content if content is not None else reply.refusal},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": _basic_usage(reply),
    }


def _llama_server_completion(
    reply: Reply, model: str | None, content: str | None, finish_reason: str
) -> dict[str, Any]:
    return {
        "choices": [
            {
                "finish_reason": finish_reason,
                "index": 0,
                "message": {"role": "assistant", "content": content if content is not None else reply.refusal},
            }
        ],
        "created": int(time.time()),
        "model": model or "unknown",
        "system_fingerprint": "b0000-loopback",
        "object": "chat.completion",
        "usage": _basic_usage(reply),
        "id": f"chatcmpl-{secrets.token_urlsafe(24)}",
        "timings": {
            "prompt_n": reply.prompt_tokens,
            "prompt_ms": 1.0,
            "predicted_n": reply.completion_tokens,
            "predicted_ms": 1.0,
        },
    }


class LLMServer:
    """Context manager: `with LLMServer() as srv: srv.on("gpt-4o-mini", Reply(...)); srv.base_url`.

    `strict_rules=False` answers every request without checking it; `json_word_rule=True` adds OpenAI's
    JSON-mode "messages must contain the word 'json'" rule.
    """

    def __init__(self, *, strict_rules: bool = True, json_word_rule: bool = False) -> None:
        self.strict_rules = strict_rules
        self.json_word_rule = json_word_rule
        self._lock = threading.Lock()
        self._scripts: dict[str, _Script] = {}
        self._profiles: dict[str, _Profile] = {}
        self._requests: list[RecordedRequest] = []
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="llm-server", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of recorded requests, in the order they finished."""
        with self._lock:
            return list(self._requests)

    def requests_for(self, model: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.model == model]

    def on(self, model: str, *replies: Reply) -> LLMServer:
        """Queue replies for a model; consumed in order, the last one repeats."""
        if not replies:
            raise ValueError("on() needs at least one Reply")
        with self._lock:
            self._scripts[model] = _Script(queue=list(replies))
        return self

    def on_call(self, model: str, fn: ReplyFn) -> LLMServer:
        """Answer a model with fn(body), for replies that depend on the request."""
        with self._lock:
            self._scripts[model] = _Script(fn=fn)
        return self

    def behaviour(
        self,
        model: str,
        kind: Behaviour | str,
        *,
        openrouter: bool | None = None,
        usage_accounting: UsageAccounting = "opt_in",
    ) -> LLMServer:
        """Make a model behave as a given real server (see the module docstring); independent of on()/on_call()."""
        behaviour = Behaviour(kind)
        if openrouter is None:
            openrouter = behaviour in (Behaviour.OPENROUTER, Behaviour.JSON_MODE_ONLY)
        with self._lock:
            self._profiles[model] = _Profile(behaviour, openrouter, usage_accounting, declared=True)
        return self

    def _profile(self, model: str | None) -> _Profile:
        with self._lock:
            return self._profiles.get(model or "", _Profile())

    def _answer(self, path: str, model: str | None, body: dict[str, Any]) -> _Answer:
        profile = self._profile(model)
        if path not in CHAT_PATHS:
            return _error_answer(Reply(status=404, error_message=f"no route {path}"), model, profile)
        with self._lock:
            known = (model or "") in self._scripts
        if not known:
            return _error_answer(Reply(status=404, error_message=f"The model `{model}` does not exist"), model, profile)
        if self.strict_rules:
            refusal = _gate(profile, model or "", body, json_word=self.json_word_rule)
            if refusal is not None:
                return refusal
        reply = self._reply_for(model, body)
        if reply.delay_s > 0:
            time.sleep(reply.delay_s)
        if reply.raw_body is not None:
            return _Answer(reply.status, reply.raw_body, _rate_limit_headers(reply))
        if reply.status >= 400:
            return _error_answer(reply, model, profile)
        choice = body.get("tool_choice")
        if reply.tool_calls and (not body.get("tools") or choice == "none"):
            return _script_error("a tool call scripted for a request that offers no tools")
        if not reply.tool_calls and body.get("tools") and (choice == "required" or isinstance(choice, dict)):
            return _script_error(f"a reply without a tool call scripted for tool_choice {choice!r}")
        payload = json.dumps(_completion(reply, model, profile, body)).encode()
        return _Answer(reply.status, payload, _rate_limit_headers(reply))

    def _reply_for(self, model: str | None, body: dict[str, Any]) -> Reply:
        with self._lock:
            script = self._scripts.get(model or "")
            if script is None:
                return Reply(status=404, error_message=f"The model `{model}` does not exist")
            if script.fn is None:
                return script.next(body)
            fn = script.fn
        return fn(body)  # outside the lock: fn may be slow

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def start(self) -> LLMServer:
        self._thread.start()
        return self

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=2)

    def __enter__(self) -> LLMServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
