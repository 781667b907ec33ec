"""JSON error bodies `{error, detail, fields?}` and the wrapper that turns every failure into one.

ApiError carries an HTTP status; the `endpoint` wrapper also maps Arena's own exceptions:

InvalidRequestError → 422 invalid_request      ConfigurationError → 503 not_configured
DatabaseError / OperationalError → 503 database_unavailable
IntegrityError → 409 conflict                   anything else → 500 internal_error (logged with a reference)

No response ever carries a stack trace, an exception's repr or a secret.
"""

from __future__ import annotations

import functools
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from arena.kernel.errors import ConfigurationError, DatabaseError, InvalidRequestError

log = logging.getLogger("arena.api")

NO_STORE = {"Cache-Control": "no-store"}
ERROR_REF_CHARS = 12  # the reference a 500 body and the server log share
MAX_EXACT_INT = 2**53  # beyond this a JSON number is not exactly an integer in most clients

Handler = Callable[[Request], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)


class ApiError(Exception):
    """A failure with its HTTP status, machine-readable code and one-line human detail."""

    def __init__(
        self,
        status: int,
        error: str,
        detail: str,
        *,
        fields: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers) if headers else {}

    def response(self) -> JSONResponse:
        return error_response(self.status, self.error, self.detail, fields=self.fields, headers=self.headers)


def error_response(
    status: int,
    error: str,
    detail: str,
    *,
    fields: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "detail": detail}
    if fields:
        body["fields"] = dict(fields)
    return JSONResponse(body, status_code=status, headers={**NO_STORE, **(headers or {})})


def json_response(payload: BaseModel, *, status: int = 200, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(payload.model_dump(mode="json"), status_code=status, headers={**NO_STORE, **(headers or {})})


def validation_fields(exc: ValidationError) -> dict[str, str]:
    """`{"symbols": "…", "limit": "…"}` from a pydantic error; model-level errors land under `body`."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        key = ".".join(str(p) for p in err["loc"]) or "body"
        message = str(err["msg"]).removeprefix("Value error, ")
        fields[key] = f"{fields[key]}; {message}" if key in fields else message
    return fields


def invalid(fields: Mapping[str, str], detail: str | None = None) -> ApiError:
    summary = detail or "; ".join(f"{k}: {v}" for k, v in fields.items())
    return ApiError(422, "invalid_request", summary, fields=fields)


def parse(model: type[M], data: Any) -> M:
    """Validate query or path input (text by nature, so `"5"` is a number); every field error at once as a 422."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid(validation_fields(exc)) from None


def _json_numbers(value: Any) -> Any:
    """`5.0` as `5`: JSON Schema counts a number with no fraction as an integer; strict pydantic would not."""
    if isinstance(value, float) and value.is_integer() and abs(value) <= MAX_EXACT_INT:
        return int(value)
    if isinstance(value, list):
        return [_json_numbers(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_numbers(v) for k, v in value.items()}
    return value


def parse_body(model: type[M], data: Any) -> M:
    """Validate a JSON body strictly, as its published schema reads: `"5"` is not an integer, `1` not a boolean."""
    try:
        return model.model_validate_json(json.dumps(_json_numbers(data)), strict=True)
    except ValidationError as exc:
        raise invalid(validation_fields(exc)) from None


def endpoint(func: Handler) -> Handler:
    """Wrap a handler so every failure becomes a JSON error body with the right status."""

    @functools.wraps(func)
    async def wrapper(request: Request) -> Response:
        try:
            return await func(request)
        except ApiError as exc:
            if exc.status == 401:
                log.info("api %s %s: 401 %s", request.method, request.url.path, exc.detail)
            return exc.response()
        except InvalidRequestError as exc:
            return invalid({exc.field or "body": str(exc)}, str(exc)).response()
        except ConfigurationError as exc:
            return error_response(503, "not_configured", str(exc))
        except (DatabaseError, OperationalError) as exc:
            log.warning("api %s %s: database unavailable: %s", request.method, request.url.path, type(exc).__name__)
            return error_response(503, "database_unavailable", "the database is not reachable; retry later")
        except IntegrityError:
            return error_response(409, "conflict", "the request conflicted with a concurrent change; retry it")
        except Exception:
            ref = uuid.uuid4().hex[:ERROR_REF_CHARS]
            log.exception("api %s %s failed (ref %s)", request.method, request.url.path, ref)
            return error_response(500, "internal_error", f"unexpected server error; see the server log (ref {ref})")

    return wrapper
