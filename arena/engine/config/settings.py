"""One settings object for every process; secrets are SecretStr so they never print."""

from __future__ import annotations

import fnmatch
import ipaddress
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from arena.kernel.errors import ConfigurationError
from arena.kernel.kinds import ExecutionMode, Provider

PROJECT_ROOT = Path(__file__).resolve().parents[3]
LOCAL_PLACEHOLDER_KEY = "not-needed"
DEFAULT_FRAME_ANCESTORS = "'self'"  # AdminHub serves /admin/arena/ on its own origin
# Where a hosted provider's key goes when no base URL is configured (litellm's defaults).
OFFICIAL_BASES: dict[str, str] = {
    Provider.OPENAI: "https://api.openai.com/v1",
    Provider.OPENROUTER: "https://openrouter.ai/api/v1",
}  # what a local OpenAI-compatible server is sent without ARENA_LOCAL_API_KEY


def _plain_http_base(url: str) -> bool:
    """An http(s) URL with a host and nothing a parser could read two ways: no query, fragment, backslash or
    whitespace, and a numeric port if any."""
    if any(ch in url for ch in "\\?# \t\r\n"):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


@lru_cache(maxsize=256)
def _netloc_pattern(pattern: str) -> re.Pattern[str]:
    """The host part of an allowed-base pattern as a regular expression whose `*` / `?` never cross `@`."""
    out = ["[^@]*" if ch == "*" else "[^@]" if ch == "?" else re.escape(ch) for ch in urlsplit(pattern).netloc]
    return re.compile("".join(out))


def _matches_base(url: str, pattern: str) -> bool:
    """`url` matches the fnmatch `pattern` and its host part matches the pattern's own host part, so a `*` cannot
    carry the match into user info (`http://10.0.0.5:*/v1` vs `http://10.0.0.5:1@evil.example/v1`) or a path
    (`https://*.corp.example/v1` vs `https://evil.example/x.corp.example/v1`)."""
    if url == pattern:  # literally (an IPv6 host's brackets are not a character class)
        return True
    return fnmatch.fnmatchcase(url, pattern) and bool(_netloc_pattern(pattern).fullmatch(urlsplit(url).netloc))


class Settings(BaseSettings):
    """Environment names are the public interface (DESIGN §2); `.env` is read when present."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field(
        default="sqlite:///data/arena.db", alias="DATABASE_URL", repr=False
    )  # may hold a password

    openrouter_api_key: SecretStr | None = Field(default=None, alias="OPENROUTER_API_KEY")
    openrouter_api_base: str | None = Field(default=None, alias="OPENROUTER_API_BASE")
    openai_api_key: SecretStr | None = Field(default=None, alias="OPENAI_API_KEY")
    openai_api_base: str | None = Field(default=None, alias="OPENAI_API_BASE")
    # any OpenAI-compatible server (llama.cpp llama-server, llama-cpp-python, Ollama, vLLM): no key required
    local_api_base: str | None = Field(default=None, alias="ARENA_LOCAL_API_BASE")
    local_api_key: SecretStr | None = Field(default=None, alias="ARENA_LOCAL_API_KEY")
    # where a provider's key may be sent: `provider=url-pattern` entries (fnmatch), added to the configured bases
    allowed_api_bases: str | None = Field(default=None, alias="ARENA_ALLOWED_API_BASES")

    alpaca_api_key: SecretStr | None = Field(default=None, alias="ALPACA_API_KEY")
    alpaca_secret_key: SecretStr | None = Field(default=None, alias="ALPACA_SECRET_KEY")
    alpaca_trading_url: str | None = Field(default=None, alias="ALPACA_TRADING_URL")
    alpaca_data_url: str | None = Field(default=None, alias="ALPACA_DATA_URL")

    admin_token: SecretStr | None = Field(default=None, alias="ARENA_ADMIN_TOKEN")
    # who may frame the dashboard (CSP frame-ancestors): 'self' when AdminHub serves /admin/arena/ on its origin
    frame_ancestors: str = Field(default=DEFAULT_FRAME_ANCESTORS, alias="ARENA_FRAME_ANCESTORS")
    host: str = Field(default="127.0.0.1", alias="ARENA_HOST")
    port: int = Field(default=8501, alias="ARENA_PORT", ge=1, le=65535)

    cheap_openai_model: str = Field(default="gpt-4o-mini", alias="ARENA_CHEAP_OPENAI_MODEL")
    cheap_openrouter_model: str = Field(
        default="meta-llama/llama-3.1-8b-instruct", alias="ARENA_CHEAP_OPENROUTER_MODEL"
    )
    power_openrouter_model: str = Field(default="anthropic/claude-sonnet-4", alias="ARENA_POWER_OPENROUTER_MODEL")

    execution: str = Field(default=ExecutionMode.ON, alias="ARENA_EXECUTION")
    llm_timeout_s: float = Field(default=30.0, alias="ARENA_LLM_TIMEOUT_S", gt=0)
    http_timeout_s: float = Field(default=10.0, alias="ARENA_HTTP_TIMEOUT_S", gt=0)
    # the worker (docs/WORK_QUEUE.md): lease, polling, graceful stop, concurrency caps
    worker_lease_ttl_s: float = Field(default=15.0, alias="ARENA_WORKER_LEASE_TTL_S", gt=0)
    worker_heartbeat_s: float = Field(default=5.0, alias="ARENA_WORKER_HEARTBEAT_S", gt=0)
    worker_queue_poll_s: float = Field(default=1.0, alias="ARENA_WORKER_QUEUE_POLL_S", gt=0, le=2)
    worker_strategy_poll_s: float = Field(default=5.0, alias="ARENA_WORKER_STRATEGY_POLL_S", gt=0, le=10)
    worker_grace_s: float = Field(default=15.0, alias="ARENA_WORKER_GRACE_S", ge=0)
    worker_max_runs: int = Field(default=4, alias="ARENA_WORKER_MAX_RUNS", ge=1)
    llm_max_concurrency: int = Field(default=8, alias="ARENA_LLM_MAX_CONCURRENCY", ge=1)
    llm_max_concurrency_per_provider: int = Field(default=4, alias="ARENA_LLM_MAX_CONCURRENCY_PER_PROVIDER", ge=1)
    # one provider's own cap (e.g. ARENA_LLM_MAX_CONCURRENCY_OPENAI=32); unset: ARENA_LLM_MAX_CONCURRENCY_PER_PROVIDER
    llm_max_concurrency_openai: int | None = Field(default=None, alias="ARENA_LLM_MAX_CONCURRENCY_OPENAI", ge=1)
    llm_max_concurrency_openrouter: int | None = Field(default=None, alias="ARENA_LLM_MAX_CONCURRENCY_OPENROUTER", ge=1)
    llm_max_concurrency_local: int | None = Field(default=None, alias="ARENA_LLM_MAX_CONCURRENCY_LOCAL", ge=1)
    admin_token_file: Path = Field(default=PROJECT_ROOT / "data" / "admin_token", alias="ARENA_ADMIN_TOKEN_FILE")
    # spend control (docs/ARCHITECTURE.md "Spend"): what an unpriced call is charged, and what "cheap" may cost
    llm_fallback_price_per_mtok: float = Field(default=15.0, alias="ARENA_LLM_FALLBACK_PRICE_PER_MTOK", gt=0)
    cheap_max_price_per_mtok: float = Field(default=5.0, alias="ARENA_CHEAP_MAX_PRICE_PER_MTOK", gt=0)
    capability_table_path: Path = Field(
        default=PROJECT_ROOT / "arena" / "adapters" / "llm" / "capabilities.json", alias="ARENA_CAPABILITY_TABLE"
    )
    llm_max_reply_bytes: int = Field(default=65_536, alias="ARENA_LLM_MAX_REPLY_BYTES", ge=1_024, le=4_194_304)
    llm_retry_after_max_s: float = Field(default=10.0, alias="ARENA_LLM_RETRY_AFTER_MAX_S", ge=0, le=120)
    openrouter_referer: str = Field(default="http://localhost/admin/arena", alias="ARENA_OPENROUTER_REFERER")
    price_table_path: Path = Field(
        default=PROJECT_ROOT / "arena" / "adapters" / "llm" / "prices.json", alias="ARENA_PRICE_TABLE"
    )
    # hardening (docs/WORK_QUEUE.md, docs/ADMIN_ACCESS.md): run deadlines, the sweeper, serve's supervision
    run_grace_s: float = Field(default=60.0, alias="ARENA_RUN_GRACE_S", ge=0)
    worker_sweep_s: float = Field(default=30.0, alias="ARENA_WORKER_SWEEP_S", gt=0)
    serve_restart_max_backoff_s: float = Field(default=60.0, alias="ARENA_SERVE_RESTART_MAX_BACKOFF_S", gt=0)
    # evaluation (docs/LEADERBOARD.md): scored decisions an entry needs before it is ranked by outcome
    leaderboard_min_sample: int = Field(default=20, alias="ARENA_LEADERBOARD_MIN_SAMPLE", ge=1, le=10_000)
    # web access: who may set X-Forwarded-User, failed-auth throttling, the sign-in cookie and links
    trusted_proxies: str = Field(default="", alias="ARENA_TRUSTED_PROXIES")
    auth_max_failures: int = Field(default=10, alias="ARENA_AUTH_MAX_FAILURES", ge=1)
    auth_failure_window_s: float = Field(default=60.0, alias="ARENA_AUTH_FAILURE_WINDOW_S", gt=0)
    session_ttl_s: int = Field(default=3600, alias="ARENA_SESSION_TTL_S", ge=60, le=86_400)
    signin_link_ttl_s: int = Field(default=300, alias="ARENA_SIGNIN_LINK_TTL_S", ge=10, le=3600)

    @field_validator(
        "openrouter_api_key",
        "openai_api_key",
        "alpaca_api_key",
        "alpaca_secret_key",
        "admin_token",
        "openrouter_api_base",
        "openai_api_base",
        "local_api_base",
        "local_api_key",
        "allowed_api_bases",
        "alpaca_trading_url",
        "alpaca_data_url",
        "llm_max_concurrency_openai",
        "llm_max_concurrency_openrouter",
        "llm_max_concurrency_local",
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        """`FOO=` in a .env file or shell means "not configured", not an empty secret."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("execution")
    @classmethod
    def _execution_on_off(cls, value: str) -> str:
        value = value.strip().lower()
        if value not in set(ExecutionMode):
            raise ValueError("ARENA_EXECUTION must be 'on' or 'off'")
        return ExecutionMode(value)

    @field_validator("frame_ancestors")
    @classmethod
    def _frame_ancestors(cls, value: str) -> str:
        sources = value.split()
        for source in sources:
            if source not in ("'self'", "'none'") and not source.startswith(("https://", "http://")):
                raise ValueError(
                    "ARENA_FRAME_ANCESTORS is a space-separated list of 'self', 'none' or http(s) origins "
                    f"(got {source!r})"
                )
            if any(ch in source for ch in ";,\r\n"):
                raise ValueError(f"ARENA_FRAME_ANCESTORS source {source!r} may not contain ; , or line breaks")
        if not sources:
            raise ValueError("ARENA_FRAME_ANCESTORS is empty (use 'none' to forbid every frame)")
        return " ".join(sources)

    @field_validator("trusted_proxies")
    @classmethod
    def _trusted_proxies(cls, value: str) -> str:
        for entry in (e.strip() for e in value.split(",") if e.strip()):
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"ARENA_TRUSTED_PROXIES is a comma-separated list of IP addresses or networks (got {entry!r})"
                ) from None
        return value

    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """The addresses whose X-Forwarded-User / X-Forwarded-For headers are believed (none by default)."""
        return [ipaddress.ip_network(e.strip(), strict=False) for e in self.trusted_proxies.split(",") if e.strip()]

    @field_validator("allowed_api_bases")
    @classmethod
    def _allowed_bases(cls, value: str | None) -> str | None:
        if value is None:
            return None
        for entry in (e.strip() for e in value.split(",") if e.strip()):
            provider, sep, pattern = entry.partition("=")
            if (
                not sep
                or provider.strip() not in set(Provider)
                or not pattern.strip().startswith(("http://", "https://"))
            ):
                raise ValueError(
                    f"ARENA_ALLOWED_API_BASES entries are provider=http(s)-url-pattern with provider one of "
                    f"{', '.join(Provider)} (got {entry!r})"
                )
        return value

    def allowed_bases(self, provider: str) -> list[str]:
        """URL patterns a provider's key may be sent to: its configured base (or the provider's own default) and the
        ARENA_ALLOWED_API_BASES entries for it."""
        configured = self.provider_base(provider) or OFFICIAL_BASES.get(provider)
        allowed = [configured.rstrip("/")] if configured else []
        for entry in (e.strip() for e in (self.allowed_api_bases or "").split(",") if e.strip()):
            name, _, pattern = entry.partition("=")
            if name.strip() == provider:
                allowed.append(pattern.strip().rstrip("/"))
        return allowed

    def base_allowed(self, provider: str, url: str) -> bool:
        """Whether `url` is one of the provider's allowed bases (keys go nowhere else).

        A pattern's host part must match the URL's own host part, `*` never crossing `@` (`_matches_base`); a query,
        fragment, backslash or non-numeric port never matches."""
        wanted = url.strip().rstrip("/")
        if not _plain_http_base(wanted):
            return False
        return any(_matches_base(wanted, p) for p in self.allowed_bases(provider))

    def provider_concurrency(self) -> dict[str, int]:
        """Each provider's cap on concurrent calls: its own setting, else the shared per-provider default."""
        own = {
            Provider.OPENAI: self.llm_max_concurrency_openai,
            Provider.OPENROUTER: self.llm_max_concurrency_openrouter,
            Provider.LOCAL: self.llm_max_concurrency_local,
        }
        return {str(p): cap or self.llm_max_concurrency_per_provider for p, cap in own.items()}

    @property
    def execution_enabled(self) -> bool:
        return self.execution == ExecutionMode.ON

    def provider_key(self, provider: str) -> SecretStr | None:
        """The API key configured for a provider name, or None. A local server needs none: it gets
        ARENA_LOCAL_API_KEY when set, else a placeholder (OpenAI-compatible servers ignore it)."""
        keys: dict[str, SecretStr | None] = {
            Provider.OPENAI: self.openai_api_key,
            Provider.OPENROUTER: self.openrouter_api_key,
            Provider.LOCAL: self.local_api_key or SecretStr(LOCAL_PLACEHOLDER_KEY),
        }
        return keys.get(provider)

    def provider_configured(self, provider: str) -> bool:
        """A key for a hosted provider; a base URL for the local one."""
        if provider == Provider.LOCAL:
            return self.local_api_base is not None
        return self.provider_key(provider) is not None

    def provider_base(self, provider: str) -> str | None:
        bases: dict[str, str | None] = {
            Provider.OPENAI: self.openai_api_base,
            Provider.OPENROUTER: self.openrouter_api_base,
            Provider.LOCAL: self.local_api_base,
        }
        return bases.get(provider)

    @property
    def broker_configured(self) -> bool:
        return self.alpaca_api_key is not None and self.alpaca_secret_key is not None


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one clear line."""
    try:
        return Settings()
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise ConfigurationError(f"invalid settings: {_first_error(exc)}") from None


@lru_cache(maxsize=1)
def cached_settings() -> Settings:
    """Settings for long-lived processes (web, worker); tests build their own."""
    return load_settings()


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        items = errors()
        if items:
            first = items[0]
            loc = ".".join(str(p) for p in first.get("loc", ()))
            return f"{loc}: {first.get('msg')}"
    return str(exc).splitlines()[0]
