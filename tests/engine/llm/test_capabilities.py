"""The capability table: first match wins, unknown models get the safest mode, malformed files say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from arena.engine.config.settings import Settings
from arena.engine.llm.capabilities import CapabilityTable, next_mode
from arena.kernel.errors import ConfigurationError
from arena.kernel.kinds import OutputMode


def shipped() -> CapabilityTable:
    return CapabilityTable.load(Settings(_env_file=None).capability_table_path)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("provider", "model", "mode", "tools"),
    [
        ("openai", "gpt-4o-mini", "json_schema", True),
        ("openrouter", "openai/gpt-4o-mini", "json_schema", True),
        ("openrouter", "deepseek/deepseek-chat", "json_object", True),
        ("openrouter", "qwen/qwen-2.5-72b-instruct", "json_object", True),
        ("openrouter", "meta-llama/llama-3.1-8b-instruct", "json_object", False),
        ("openrouter", "someone/new-model", "json_object", False),
        ("local", "qwen2.5-0.5b-instruct", "json_object", False),
        ("elsewhere", "x", "prompt", False),
    ],
)
def test_the_shipped_table(provider: str, model: str, mode: str, tools: bool) -> None:
    found = shipped().lookup(provider, model)
    assert (found.output, found.tools) == (mode, tools)


def test_the_fallback_order_steps_down_to_prompt() -> None:
    assert next_mode(OutputMode.JSON_SCHEMA) == OutputMode.JSON_OBJECT
    assert next_mode(OutputMode.JSON_OBJECT) == OutputMode.PROMPT
    assert next_mode(OutputMode.PROMPT) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", "unreadable"),
        ('{"models": {}}', '"models" list'),
        ('{"models": [{"output": "json_object"}]}', "models[0]"),
        ('{"models": [{"match": "a/*", "output": "xml"}]}', "must be one of"),
        ('{"models": [{"match": "a/*", "output": "prompt", "tools": "yes"}]}', "true or false"),
    ],
)
def test_a_malformed_table_is_a_configuration_error(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "capabilities.json"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=words.replace("[", r"\[").replace("]", r"\]")):
        CapabilityTable.load(path)


def test_the_cached_table_is_parsed_once_per_file_version(tmp_path: Path) -> None:
    path = tmp_path / "caps.json"
    path.write_text('{"models": [{"match": "openai/*", "output": "json_schema", "tools": true}]}')
    first = CapabilityTable.cached(path)
    assert CapabilityTable.cached(path) is first and first.lookup("openai", "x").tools is True
    path.write_text('{"models": [{"match": "openai/*", "output": "json_object", "tools": false}]}  ')
    edited = CapabilityTable.cached(path)
    assert edited is not first and edited.lookup("openai", "x").output == OutputMode.JSON_OBJECT
    with pytest.raises(ConfigurationError, match="not found"):
        CapabilityTable.cached(tmp_path / "missing.json")
