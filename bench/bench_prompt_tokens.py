"""Benchmark: input tokens per agent call, before and after the prompt layout of issue 13, and the shared prefix.

    python bench/bench_prompt_tokens.py [--symbols 1]

"Before" is the layout Arena sent until issue 13 (role text first, then the rules with the full pydantic JSON
Schema, in the system message, for every provider — and OpenAI got the schema again in response_format — and
the indicators as full-precision JSON).
"After" is what the gateway sends now for the three starting profiles: the shared rules first, the market data,
then the role; the schema (compact, without titles) only where the provider does not enforce it. Tokens are
counted with litellm's tokenizer for gpt-4o-mini (o200k) on the exact messages. The shared prefix is what the
cheap agents' requests have in common from the first character: what a provider's prompt cache can reuse.
Prints a table; not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from arena.adapters.llm.gateway import load_litellm, sent_messages  # noqa: E402
from arena.engine.config.profiles import starting_profiles  # noqa: E402
from arena.engine.config.settings import Settings  # noqa: E402
from arena.engine.decide.decision import decision_json_schema  # noqa: E402
from arena.engine.decide.prompts import get_template, market_context, render_agent, schema_instructions  # noqa: E402
from arena.engine.llm.capabilities import CapabilityTable  # noqa: E402
from arena.engine.llm.types import LLMCall  # noqa: E402
from arena.engine.market.indicators import classify_regime, compute_indicators  # noqa: E402
from arena.engine.market.snapshot import Bar, MarketSnapshot, PortfolioState, SymbolSnapshot  # noqa: E402
from arena.kernel.kinds import OutputMode, Purpose  # noqa: E402

TOKENIZER_MODEL = "gpt-4o-mini"
UNIVERSE = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL"]

# The rules as they were sent before issue 13, verbatim, with the pretty-printed schema of the decision model.
LEGACY_RULES = (
    "Answer with ONE JSON object and nothing else, matching this JSON Schema exactly "
    "(no extra keys, every key present):\n" + json.dumps(decision_json_schema(), sort_keys=True) + "\n"
    "sizing.kind is pct_equity (percent of account equity), notional_usd or shares. "
    "confidence is your probability in [0, 1] that the action is right over time_horizon. "
    "Put 'veto' in risk_flags only if the trade must not happen whatever others say."
)


def snapshot(symbols: list[str]) -> tuple[MarketSnapshot, PortfolioState]:
    """A deterministic 40-day market with the real indicator code (the same data before and after)."""
    start = datetime(2026, 10, 1, tzinfo=UTC)
    syms = []
    for k, name in enumerate(symbols):
        closes = [100 + k * 20 + i * 0.4 + (i % 5) * 0.7 for i in range(40)]
        bars = [
            Bar(t=start + timedelta(days=i), o=c - 0.3, h=c + 0.9, l=c - 1.1, c=c, v=1e6) for i, c in enumerate(closes)
        ]
        ind = compute_indicators(bars)
        syms.append(
            SymbolSnapshot(
                symbol=name,
                bars=bars,
                bid=closes[-1] - 0.01,
                ask=closes[-1] + 0.01,
                last_price=closes[-1],
                indicators=ind,
                regime=classify_regime(ind).regime,
            )
        )
    snap = MarketSnapshot(as_of=start + timedelta(days=40), symbols=syms, regime="normal", regime_rule="bench")
    return snap, PortfolioState(as_of=snap.as_of, equity=100_000, cash=100_000, buying_power=200_000)


def legacy_context(snap: MarketSnapshot, portfolio: PortfolioState, universe: list[str]) -> str:
    """The market block as it was rendered before issue 13 (indicators as full-precision JSON)."""
    lines = [f"As of {snap.as_of.isoformat()} (bars: {snap.timeframe}). Universe: {', '.join(universe)}."]
    lines.append(f"Market regime: {snap.regime} ({snap.regime_rule}).")
    for sym in snap.symbols:
        ind = sym.indicators.model_dump(exclude_none=True)
        lines.append(
            f"{sym.symbol}: last {sym.last_price:.2f}, bid {sym.bid}, ask {sym.ask}, regime {sym.regime}, "
            f"indicators {json.dumps(ind, sort_keys=True)}"
        )
    lines.append(
        f"Account: equity {portfolio.equity:.2f}, cash {portfolio.cash:.2f}, buying power {portfolio.buying_power:.2f}."
    )
    lines.append("No open positions.")
    return "\n".join(lines)


def tokens(messages: list[dict[str, str]]) -> int:
    return int(load_litellm().token_counter(model=TOKENIZER_MODEL, messages=messages))


def prefix_chars(texts: list[str]) -> int:
    return len(os.path.commonprefix(texts))  # noqa: RUF071 - character by character is what a cache compares


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=1, help="symbols in the run's universe (1-5)")
    args = parser.parse_args()
    universe = UNIVERSE[: max(1, min(5, args.symbols))]
    settings = Settings(_env_file=None)
    table = CapabilityTable.load(settings.capability_table_path)
    snap, portfolio = snapshot(universe)
    context = market_context(snap, portfolio, universe)
    old_context = legacy_context(snap, portfolio, universe)
    rows = []
    before_texts, after_texts = [], []
    for spec in starting_profiles(settings):
        template = get_template(spec.prompt_template_id, spec.prompt_version)
        mode = spec.output_mode or table.lookup(spec.provider, spec.model).output
        before = [
            {"role": "system", "content": template.role_text + " " + LEGACY_RULES},
            {"role": "user", "content": old_context + "\nGive your decision."},
        ]
        call = LLMCall(
            trace_id="bench",
            purpose=Purpose.AGENT,
            provider=spec.provider,
            model=spec.model,
            messages=render_agent(template, context),
            max_tokens=spec.max_tokens,
            temperature=spec.temperature,
            timeout_s=spec.timeout_s,
            response_schema=decision_json_schema(universe),
            output_mode=OutputMode(mode),
            schema_instructions=schema_instructions(universe),
        )
        after = sent_messages(call, OutputMode(mode))
        b, a = tokens(before), tokens(after)
        rows.append((spec.name, f"{spec.provider}/{spec.model}", mode, b, a, 100.0 * (a - b) / b))
        if spec.mode == "cheap_first":
            before_texts.append("".join(m["content"] for m in before))
            after_texts.append("".join(m["content"] for m in after))
    print(f"Input tokens per agent call ({TOKENIZER_MODEL} tokenizer), universe {','.join(universe)}\n")
    print(f"{'profile':<20} {'model':<44} {'mode':<12} {'before':>7} {'after':>7} {'change':>8}")
    for name, model, mode, b, a, change in rows:
        print(f"{name:<20} {model:<44} {mode:<12} {b:>7} {a:>7} {change:>7.1f}%")
    total_b = sum(r[3] for r in rows)
    total_a = sum(r[4] for r in rows)
    print(
        f"{'all three':<20} {'':<44} {'':<12} {total_b:>7} {total_a:>7} {100.0 * (total_a - total_b) / total_b:>7.1f}%"
    )
    print()
    for label, texts in (("before", before_texts), ("after", after_texts)):
        chars = prefix_chars(texts)
        shared = tokens([{"role": "user", "content": texts[0][:chars]}]) if chars else 0
        print(f"shared prefix of the two cheap agents {label}: {chars} characters (~{shared} tokens)")
    print("\nOpenAI also received the schema a second time in response_format before; it still does (enforced),")
    print("but no longer in the prompt.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
