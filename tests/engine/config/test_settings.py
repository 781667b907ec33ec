"""Settings: the public environment names, their defaults, one-line errors, and secrets that never print."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from arena.engine.config.settings import Settings, load_settings
from arena.kernel.errors import ConfigurationError

SECRETS = {
    "OPENROUTER_API_KEY": "sk-or-secret-1111",
    "OPENAI_API_KEY": "sk-openai-secret-2222",
    "ALPACA_API_KEY": "PK-alpaca-secret-3333",
    "ALPACA_SECRET_KEY": "alpaca-secret-secret-4444",
    "ARENA_ADMIN_TOKEN": "admin-token-secret-5555",
}

# DESIGN §2 plus the extra knobs: environment name → (value to set, attribute, value expected).
PUBLIC_NAMES: dict[str, tuple[str, str, object]] = {
    "DATABASE_URL": ("postgresql://u@h/arena", "database_url", "postgresql://u@h/arena"),
    "OPENROUTER_API_BASE": ("http://127.0.0.1:9/or", "openrouter_api_base", "http://127.0.0.1:9/or"),
    "OPENAI_API_BASE": ("http://127.0.0.1:9/oa", "openai_api_base", "http://127.0.0.1:9/oa"),
    "ALPACA_TRADING_URL": ("http://127.0.0.1:9/t", "alpaca_trading_url", "http://127.0.0.1:9/t"),
    "ALPACA_DATA_URL": ("http://127.0.0.1:9/d", "alpaca_data_url", "http://127.0.0.1:9/d"),
    "ARENA_HOST": ("0.0.0.0", "host", "0.0.0.0"),
    "ARENA_PORT": ("9001", "port", 9001),
    "ARENA_CHEAP_OPENAI_MODEL": ("gpt-x-mini", "cheap_openai_model", "gpt-x-mini"),
    "ARENA_CHEAP_OPENROUTER_MODEL": ("vendor/cheap", "cheap_openrouter_model", "vendor/cheap"),
    "ARENA_POWER_OPENROUTER_MODEL": ("vendor/power", "power_openrouter_model", "vendor/power"),
    "ARENA_EXECUTION": ("OFF", "execution", "off"),
    "ARENA_LLM_TIMEOUT_S": ("12.5", "llm_timeout_s", 12.5),
    "ARENA_HTTP_TIMEOUT_S": ("3", "http_timeout_s", 3.0),
    "ARENA_PRICE_TABLE": ("/etc/arena/prices.json", "price_table_path", Path("/etc/arena/prices.json")),
}


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No inherited variables and no repository `.env`: each test states exactly what it sets."""
    for name in [*SECRETS, *PUBLIC_NAMES]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_defaults_are_local_and_safe() -> None:
    s = Settings()
    assert s.database_url == "sqlite:///data/arena.db"
    assert (s.host, s.port) == ("127.0.0.1", 8501)
    assert s.execution_enabled is True
    assert (s.llm_timeout_s, s.http_timeout_s) == (30.0, 10.0)
    assert s.price_table_path.name == "prices.json"
    assert s.openai_api_key is None and s.openrouter_api_key is None and s.admin_token is None
    assert s.broker_configured is False
    assert s.provider_key("openai") is None


@pytest.mark.parametrize("name", sorted(PUBLIC_NAMES))
def test_each_public_environment_name_is_read(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    raw, attribute, expected = PUBLIC_NAMES[name]
    monkeypatch.setenv(name, raw)
    assert getattr(Settings(), attribute) == expected


def test_secrets_are_read_but_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    s = Settings()

    assert s.openrouter_api_key is not None and s.openrouter_api_key.get_secret_value() == SECRETS["OPENROUTER_API_KEY"]
    assert s.openai_api_key is not None and s.openai_api_key.get_secret_value() == SECRETS["OPENAI_API_KEY"]
    assert s.admin_token is not None and s.admin_token.get_secret_value() == SECRETS["ARENA_ADMIN_TOKEN"]
    assert s.broker_configured is True
    provider_key = s.provider_key("openrouter")
    assert provider_key is not None

    renderings = [
        repr(s),
        str(s),
        f"{s}",
        s.model_dump_json(),
        json.dumps(s.model_dump(mode="json")),
        repr(s.model_dump()),
        str(provider_key),
        repr(provider_key),
    ]
    for text in renderings:
        for secret in SECRETS.values():
            assert secret not in text
    assert "**********" in repr(s)


def test_dotenv_is_read_and_the_environment_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("ARENA_PORT=9100\nOPENAI_API_KEY=from-dotenv\n", encoding="utf-8")
    s = Settings()
    assert s.port == 9100
    assert s.openai_api_key is not None and s.openai_api_key.get_secret_value() == "from-dotenv"

    monkeypatch.setenv("ARENA_PORT", "9200")
    assert Settings().port == 9200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ARENA_PORT", "not-a-port"),
        ("ARENA_PORT", "70000"),
        ("ARENA_EXECUTION", "maybe"),
        ("ARENA_LLM_TIMEOUT_S", "0"),
        ("ARENA_HTTP_TIMEOUT_S", "-1"),
    ],
)
def test_bad_values_fail_with_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    monkeypatch.setenv("OPENAI_API_KEY", SECRETS["OPENAI_API_KEY"])
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert name in message
    assert "\n" not in message
    assert SECRETS["OPENAI_API_KEY"] not in message


@pytest.mark.parametrize(
    "value",
    ["http://x/v1", "anthropic=https://x/v1", "openai=ftp://x", "openai="],
)
def test_allowed_api_bases_must_name_a_provider_and_an_http_url(value: str) -> None:
    with pytest.raises(ValueError, match="ARENA_ALLOWED_API_BASES"):
        Settings(_env_file=None, ARENA_ALLOWED_API_BASES=value)  # type: ignore[call-arg]


def test_a_providers_key_goes_only_to_its_own_allowed_bases() -> None:
    s = Settings(  # type: ignore[call-arg]
        _env_file=None,
        OPENAI_API_BASE="https://gateway.corp.example/openai/v1/",
        ARENA_ALLOWED_API_BASES="local=http://127.0.0.1:*/v1, openrouter=https://eu.openrouter.ai/api/v1",
    )
    assert s.base_allowed("openai", "https://gateway.corp.example/openai/v1")
    assert not s.base_allowed("openai", "https://api.openai.com/v1")  # configured base replaces the default
    assert s.base_allowed("openrouter", "https://openrouter.ai/api/v1") and s.base_allowed(
        "openrouter", "https://eu.openrouter.ai/api/v1/"
    )
    assert s.base_allowed("local", "http://127.0.0.1:8080/v1")
    assert not s.base_allowed("openai", "http://127.0.0.1:8080/v1")  # the local entry is not OpenAI's


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5:1@evil.example/v1",  # user info: the host is evil.example
        "http://10.0.0.5:8080/v1?@evil.example",
        "http://10.0.0.5:8080#@evil.example/v1",
        "http://10.0.0.5:80.evil.example/v1",  # not a port
        "http://10.0.0.5:8080\\@evil.example/v1",
    ],
)
def test_a_pattern_cannot_be_stretched_over_another_host(url: str) -> None:
    s = Settings(_env_file=None, ARENA_ALLOWED_API_BASES="openai=http://10.0.0.5:*/v1")  # type: ignore[call-arg]
    assert s.base_allowed("openai", "http://10.0.0.5:8080/v1")
    assert not s.base_allowed("openai", url)


def test_a_host_pattern_cannot_be_met_in_the_path_and_user_info_needs_a_pattern_that_allows_it() -> None:
    s = Settings(  # type: ignore[call-arg]
        _env_file=None, ARENA_ALLOWED_API_BASES="openai=https://*.corp.example/v1,openrouter=https://*@llm.internal/v1"
    )
    assert s.base_allowed("openai", "https://llm.corp.example/v1")
    assert not s.base_allowed("openai", "https://evil.example/x.corp.example/v1")
    assert s.base_allowed("openrouter", "https://user:pass@llm.internal/v1")
    assert not s.base_allowed("openrouter", "https://a@llm.internal@evil.example/v1")


def test_a_configured_ipv6_base_matches_itself() -> None:
    s = Settings(_env_file=None, ARENA_LOCAL_API_BASE="http://[::1]:8080/v1")  # type: ignore[call-arg]
    assert s.base_allowed("local", "http://[::1]:8080/v1/")
    assert not s.base_allowed("local", "http://[::2]:8080/v1")
