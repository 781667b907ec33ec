"""The one module that imports alpaca-py: bounded clients and vendor-error translation.

alpaca-py passes no timeout to `requests` (a hung server blocks forever) and sleeps 3 × 3 s on 429/504.
Arena owns its retry policy, so every request here gets `settings.http_timeout_s` and no hidden retries,
and every vendor failure leaves as one of Arena's errors:

- timeout, connection error, 408/429/5xx      → AlpacaUnavailable (a RetryLater)
- any other 4xx (401, 403, 404, 422, …)       → AlpacaRequestFailed (a GiveUpAndRecord), with status code
- a response alpaca-py cannot parse            → AlpacaRequestFailed (status None)

Messages carry the status code and Alpaca's own message, never the API key or secret.
alpaca-py is imported inside functions so importing this module stays cheap.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from arena.engine.config.settings import Settings
from arena.kernel.errors import ConfigurationError, GiveUpAndRecord, RetryLater

if TYPE_CHECKING:
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.trading.client import TradingClient

T = TypeVar("T")

_RETRYABLE_STATUS = frozenset({408, 429})
_MAX_MESSAGE = 300


class AlpacaUnavailable(RetryLater):
    """Alpaca did not answer in time, refused the connection, rate-limited us or failed (5xx)."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class AlpacaRequestFailed(GiveUpAndRecord):
    """Alpaca rejected this request (4xx) or answered with something unparseable; retrying won't help."""

    def __init__(
        self, message: str, *, status_code: int | None, vendor_code: int | None = None, detail: str = ""
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.vendor_code = vendor_code
        self.detail = detail


def _credentials(settings: Settings) -> tuple[str, str]:
    if settings.alpaca_api_key is None or settings.alpaca_secret_key is None:
        raise ConfigurationError("ALPACA_API_KEY and ALPACA_SECRET_KEY must both be set to reach Alpaca")
    key, secret = settings.alpaca_api_key.get_secret_value(), settings.alpaca_secret_key.get_secret_value()
    if not key or not secret:
        raise ConfigurationError("ALPACA_API_KEY and ALPACA_SECRET_KEY must not be empty")
    return key, secret


def _base_url(url: str | None) -> str | None:
    """alpaca-py appends `/v2/...` itself, so accept both `https://host` and `https://host/v2/`."""
    if not url:
        return None
    return url.rstrip("/").removesuffix("/v2")


@cache
def _client_classes() -> tuple[type[StockHistoricalDataClient], type[TradingClient]]:
    """Subclasses of alpaca-py's clients that bound every HTTP request (built once, on first use)."""
    from alpaca.common.rest import RESTClient
    from alpaca.data.historical.stock import StockHistoricalDataClient
    from alpaca.trading.client import TradingClient

    class _Bounded(RESTClient):
        # Why an override: RESTClient._one_request is the single place that calls requests, and it
        # passes no timeout. We add ours there, and pass retry=0 so a 429/504 raises APIError at once
        # instead of RetryException (whose handler in RESTClient._request sleeps 3 s and tries again).
        # A subclass, not a patch: alpaca-py's own classes and modules are left untouched.
        arena_timeout_s: float = 10.0

        def _one_request(self, method: str, url: str, opts: dict[str, Any], retry: int) -> Any:
            opts.setdefault("timeout", self.arena_timeout_s)
            return super()._one_request(method, url, opts, 0)

    class ArenaDataClient(_Bounded, StockHistoricalDataClient):
        """StockHistoricalDataClient with a timeout and no hidden retries."""

    class ArenaTradingClient(_Bounded, TradingClient):
        """TradingClient with a timeout and no hidden retries."""

    return ArenaDataClient, ArenaTradingClient


def data_client(settings: Settings) -> StockHistoricalDataClient:
    """Market-data client for ALPACA_DATA_URL (Alpaca's default when unset)."""
    key, secret = _credentials(settings)
    cls = _client_classes()[0]
    client = cls(api_key=key, secret_key=secret, url_override=_base_url(settings.alpaca_data_url))
    client.arena_timeout_s = settings.http_timeout_s  # type: ignore[attr-defined]
    return client


def trading_client(settings: Settings) -> TradingClient:
    """Paper-trading client for ALPACA_TRADING_URL (Alpaca's paper endpoint when unset)."""
    key, secret = _credentials(settings)
    cls = _client_classes()[1]
    url = _base_url(settings.alpaca_trading_url)
    client = cls(api_key=key, secret_key=secret, paper=True, url_override=url)
    client.arena_timeout_s = settings.http_timeout_s  # type: ignore[attr-defined]
    return client


def expect(value: object, cls: type[T]) -> T:
    """Narrow alpaca-py's `Model | RawData` return types (our clients never ask for raw data)."""
    if not isinstance(value, cls):
        raise AlpacaRequestFailed(f"alpaca returned {type(value).__name__}, expected {cls.__name__}", status_code=None)
    return value


def _scrub(text: str, settings: Settings) -> str:
    for secret in (settings.alpaca_api_key, settings.alpaca_secret_key):
        value = secret.get_secret_value() if secret is not None else ""
        if value:
            text = text.replace(value, "***")
    return text[:_MAX_MESSAGE]


def _vendor_detail(body: str) -> tuple[int | None, str]:
    """Alpaca's error bodies are `{"code": int, "message": str}`; fall back to the raw text."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return None, body.strip()
    if isinstance(parsed, dict):
        code = parsed.get("code")
        return (code if isinstance(code, int) else None), str(parsed.get("message", body)).strip()
    return None, body.strip()


@contextmanager
def vendor_errors(settings: Settings, action: str) -> Iterator[None]:
    """Run alpaca-py calls, turning its failures into Arena's errors (see the module docstring)."""
    import requests
    from alpaca.common.exceptions import APIError
    from pydantic import ValidationError
    from requests.exceptions import InvalidSchema, InvalidURL, MissingSchema

    try:
        yield
    except APIError as exc:
        status = exc.status_code
        vendor_code, detail = _vendor_detail(str(exc))
        detail = _scrub(detail, settings)
        message = f"alpaca {action} failed: HTTP {status}: {detail}"
        if status is None or status in _RETRYABLE_STATUS or status >= 500:
            raise AlpacaUnavailable(message, status_code=status) from None
        raise AlpacaRequestFailed(message, status_code=status, vendor_code=vendor_code, detail=detail) from None
    except (MissingSchema, InvalidSchema, InvalidURL):
        raise ConfigurationError(f"alpaca {action}: the configured Alpaca URL is not a valid URL") from None
    except requests.Timeout:
        raise AlpacaUnavailable(f"alpaca {action} timed out after {settings.http_timeout_s:g}s") from None
    except requests.RequestException as exc:
        raise AlpacaUnavailable(f"alpaca {action} failed: {type(exc).__name__}: {_scrub(str(exc), settings)}") from None
    except ValidationError as exc:
        raise AlpacaRequestFailed(
            f"alpaca {action}: unexpected response shape ({exc.error_count()} validation errors)",
            status_code=None,
        ) from None
    except (ValueError, TypeError, KeyError) as exc:  # alpaca-py's parsers on a body they don't expect
        raise AlpacaRequestFailed(
            f"alpaca {action}: unexpected response ({type(exc).__name__}: {_scrub(str(exc), settings)})",
            status_code=None,
        ) from None
