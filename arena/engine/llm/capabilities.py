"""What each model can do: its structured-output mode and tool support, from an operator-editable table.

The table (`arena/adapters/llm/capabilities.json`, or `ARENA_CAPABILITY_TABLE`) maps fnmatch patterns on
"provider/model" to an `OutputMode` and a tools flag; the first match wins and an unknown model gets the safest
mode (prompt). A profile's `output_mode` overrides the table. When a provider rejects a mode anyway, the gateway
falls back one step (`next_mode`) and remembers it for that model in the process.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arena.engine.llm.file_cache import load_cached
from arena.kernel.errors import ConfigurationError
from arena.kernel.kinds import OutputMode

FALLBACK_ORDER = (OutputMode.JSON_SCHEMA, OutputMode.JSON_OBJECT, OutputMode.PROMPT)


@dataclass(frozen=True)
class Capability:
    match: str
    output: OutputMode
    tools: bool


UNKNOWN = Capability(match="*", output=OutputMode.PROMPT, tools=False)


def next_mode(mode: OutputMode) -> OutputMode | None:
    """The next weaker mode after a rejection, or None after `prompt`."""
    index = FALLBACK_ORDER.index(mode)
    return FALLBACK_ORDER[index + 1] if index + 1 < len(FALLBACK_ORDER) else None


class CapabilityTable:
    def __init__(self, entries: list[Capability]) -> None:
        self._entries = list(entries)

    @classmethod
    def cached(cls, path: Path | str) -> CapabilityTable:
        """The table at `path`, read again only when the file changes (every run asks for it)."""
        return load_cached(cls.load, path)

    @classmethod
    def load(cls, path: Path | str) -> CapabilityTable:
        """Read the JSON file; anything malformed is a ConfigurationError naming the file and the entry."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"capability table not found: {path}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ConfigurationError(f"capability table {path} is unreadable: {exc}") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("models"), list):
            raise ConfigurationError(f'capability table {path} must be an object with a "models" list')
        return cls([_entry(item, i, path) for i, item in enumerate(raw["models"])])

    def lookup(self, provider: str, model: str) -> Capability:
        key = f"{provider}/{model}"
        return next((e for e in self._entries if fnmatch.fnmatchcase(key, e.match)), UNKNOWN)


def _entry(item: Any, index: int, path: Path) -> Capability:
    where = f"capability table {path}: models[{index}]"
    if not isinstance(item, dict) or not isinstance(item.get("match"), str) or not item["match"]:
        raise ConfigurationError(f'{where} needs a "match" pattern like "openrouter/qwen/*"')
    try:
        output = OutputMode(str(item.get("output")))
    except ValueError:
        raise ConfigurationError(f'{where}: "output" must be one of {", ".join(OutputMode)}') from None
    tools = item.get("tools", False)
    if not isinstance(tools, bool):
        raise ConfigurationError(f'{where}: "tools" must be true or false')
    return Capability(match=item["match"], output=output, tools=tools)
