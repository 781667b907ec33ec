"""A loopback OpenAI-compatible chat-completions server, so tests drive the real litellm over real HTTP.

Replies are scripted per model name as it arrives in the request body (litellm strips the `openai/` and
`openrouter/` prefixes). Unknown models get a 404 with an OpenAI-style error body.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass(frozen=True)
class Reply:
    """One scripted answer; `status` >= 400 sends an error body, `raw_body` sends exact bytes."""

    content: str = "{}"
    prompt_tokens: int = 10
    completion_tokens: int = 5
    cost: float | None = None
    delay_s: float = 0.0
    status: int = 200
    finish_reason: str = "stop"
    raw_body: bytes | None = None
    error_message: str | None = None


@dataclass(frozen=True)
class RecordedRequest:
    """What arrived, and when (monotonic), so tests can check both content and overlap in time."""

    path: str
    model: str | None
    body: dict[str, Any]
    headers: dict[str, str]
    started_at: float
    finished_at: float


ReplyFn = Callable[[dict[str, Any]], Reply]

_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


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
        try:
            if path not in CHAT_PATHS:
                reply = Reply(status=404, error_message=f"no route {path}")
            else:
                reply = owner._reply_for(model, body)
            if reply.delay_s > 0:
                time.sleep(reply.delay_s)
            self._send(reply, model)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); nothing to answer
        finally:
            owner._record(
                RecordedRequest(
                    path=path,
                    model=model,
                    body=body,
                    headers={k.lower(): v for k, v in self.headers.items()},
                    started_at=started,
                    finished_at=time.monotonic(),
                )
            )

    def _send(self, reply: Reply, model: str | None) -> None:
        if reply.raw_body is not None:
            payload = reply.raw_body
        elif reply.status >= 400:
            payload = json.dumps(
                {
                    "error": {
                        "message": reply.error_message or f"scripted error {reply.status}",
                        "type": _ERROR_TYPES.get(reply.status, "server_error"),
                        "param": None,
                        "code": str(reply.status),
                    }
                }
            ).encode()
        else:
            payload = json.dumps(_completion(reply, model)).encode()
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()


def _completion(reply: Reply, model: str | None) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "prompt_tokens": reply.prompt_tokens,
        "completion_tokens": reply.completion_tokens,
        "total_tokens": reply.prompt_tokens + reply.completion_tokens,
    }
    if reply.cost is not None:
        usage["cost"] = reply.cost  # OpenRouter's provider-reported charge in USD
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:12]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model or "unknown",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content},
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": usage,
    }


class LLMServer:
    """Context manager: `with LLMServer() as srv: srv.on("gpt-4o-mini", Reply(...)); srv.base_url`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, _Script] = {}
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
