"""Operator-editable list prices (arena/llm/prices.json), the fallback when a provider reports no cost.

litellm's bundled price map is deliberately not used: it has no OpenRouter models, so mixing it in would make
the cost source of otherwise identical calls depend on which provider served them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from arena.engine.llm.file_cache import load_cached
from arena.kernel.errors import ConfigurationError

PER_TOKENS = Decimal(1_000_000)
COST_QUANTUM = Decimal("0.00000001")  # ai_cost_telemetry.cost_usd is Numeric(14, 8)


@dataclass(frozen=True)
class ModelPrice:
    """USD per 1M input and output tokens."""

    input_per_1m: Decimal
    output_per_1m: Decimal


class PriceTable:
    """Prices keyed "provider/model" (e.g. "openai/gpt-4o-mini")."""

    def __init__(self, prices: dict[str, ModelPrice] | None = None) -> None:
        self._prices = dict(prices or {})

    @classmethod
    def cached(cls, path: Path | str) -> PriceTable:
        """The table at `path`, read again only when the file changes (every run asks for it)."""
        return load_cached(cls.load, path)

    @classmethod
    def load(cls, path: Path | str) -> PriceTable:
        """Read the JSON file; anything malformed is a ConfigurationError naming the file and the problem."""
        path = Path(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"price table not found: {path}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"price table {path} is unreadable: {exc}") from None
        except json.JSONDecodeError as exc:
            raise ConfigurationError(f"price table {path} is not valid JSON: {exc}") from None
        return cls(_parse(raw, path))

    def price(self, provider: str, model: str) -> ModelPrice | None:
        return self._prices.get(f"{provider}/{model}")

    def cost(self, provider: str, model: str, tokens_in: int | None, tokens_out: int | None) -> Decimal | None:
        """USD for the tokens, or None when the model is not priced or the token counts are unknown."""
        price = self.price(provider, model)
        if price is None or tokens_in is None or tokens_out is None:
            return None
        total = (tokens_in * price.input_per_1m + tokens_out * price.output_per_1m) / PER_TOKENS
        return total.quantize(COST_QUANTUM)

    def __contains__(self, key: object) -> bool:
        return key in self._prices

    def __len__(self) -> int:
        return len(self._prices)


def _parse(raw: Any, path: Path) -> dict[str, ModelPrice]:
    if not isinstance(raw, dict) or not isinstance(raw.get("models"), dict):
        raise ConfigurationError(f'price table {path} must be an object with a "models" object')
    prices: dict[str, ModelPrice] = {}
    for key, entry in raw["models"].items():
        if "/" not in key:
            raise ConfigurationError(f'price table {path}: key {key!r} must be "provider/model"')
        if not isinstance(entry, dict):
            raise ConfigurationError(f'price table {path}: {key} must be {{"input": ..., "output": ...}}')
        prices[key] = ModelPrice(
            input_per_1m=_usd(entry.get("input"), f"{key}.input", path),
            output_per_1m=_usd(entry.get("output"), f"{key}.output", path),
        )
    return prices


def _usd(value: Any, where: str, path: Path) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigurationError(f"price table {path}: {where} must be a number (USD per 1M tokens)")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ConfigurationError(f"price table {path}: {where} is not a number: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise ConfigurationError(f"price table {path}: {where} must be a non-negative number")
    return amount
