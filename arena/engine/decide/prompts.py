"""Role prompt templates, versioned in code; a profile names (template id, version) and runs record both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from arena.engine.decide.decision import AgentDecision, decision_json_schema
from arena.engine.market.snapshot import MarketSnapshot, PortfolioState


# The shared part of every prompt, first (so all agents share a provider-cacheable prefix). The schema itself is
# not here: the gateway adds `schema_instructions` only when the provider does not enforce the schema.
def answer_rules(blocking_flags: Sequence[str] = ("veto",)) -> str:
    """The rules every agent gets, first in its prompt; the veto sentence names the configured blocking flags."""
    flags = " or ".join(f"'{f}'" for f in blocking_flags) or "'veto'"
    return (
        "You are one of several analysts on a US equities paper-trading desk. Answer with ONE JSON object and "
        "nothing else: every key present, no extra keys. symbols: the tickers the action is about (only from the "
        "run's universe; empty for HOLD). sizing.kind: pct_equity (percent of account equity), notional_usd or "
        "shares. confidence: your probability in [0, 1] that the action is right over time_horizon. rationale: "
        f"your reasoning (at most 4000 characters). Put {flags} in risk_flags only if the trade must not happen "
        "whatever others say."
    )


ANSWER_RULES = answer_rules()


def schema_instructions(universe: list[str] | None = None) -> str:
    """The reply's shape for providers that do not enforce the schema (json_object, prompt): one line generated from
    the schema (so it cannot drift from it), far shorter than the schema itself. Every reply is still validated
    against the full model, bounds included."""
    schema = decision_json_schema(universe)
    return "Reply shape (alternatives separated by |): " + _shape(schema, schema.get("$defs", {}))


def _shape(node: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in node:
        return _shape(defs[str(node["$ref"]).rsplit("/", 1)[-1]], defs)
    if "enum" in node:
        return '"' + "|".join(str(v) for v in node["enum"]) + '"'
    kind = node.get("type")
    if kind == "object":
        fields = ",".join(f'"{k}":{_shape(v, defs)}' for k, v in node.get("properties", {}).items())
        return "{" + fields + "}"
    if kind == "array":
        return "[" + _shape(node.get("items", {}), defs) + ",...]"
    if kind in ("number", "integer"):
        low, high = node.get("minimum"), node.get("maximum")
        return f"<number {low}..{high}>" if low is not None and high is not None else "<number>"
    return "<text>"


@dataclass(frozen=True)
class PromptTemplate:
    template_id: str
    version: int
    role: str
    role_text: str  # what this role is asked to do; it follows the shared rules and the market data


TEMPLATES: dict[tuple[str, int], PromptTemplate] = {
    ("technical_analyst", 1): PromptTemplate(
        "technical_analyst",
        1,
        "technical_analyst",
        "You are a disciplined technical analyst for a US equities paper-trading desk. Judge trend "
        "(SMA 10 vs 30), momentum (returns, RSI 14) and volatility (ATR, realised vol). Prefer HOLD "
        "when signals conflict.",
    ),
    ("risk_manager", 1): PromptTemplate(
        "risk_manager",
        1,
        "risk_manager",
        "You are the risk manager of a US equities paper-trading desk. Your job is to protect capital: "
        "weigh volatility regime, position concentration, buying power and downside. Propose the action "
        "you consider prudent, size conservatively, and list concrete risk flags.",
    ),
    ("bull", 1): PromptTemplate(
        "bull",
        1,
        "bull",
        "You are the bull researcher in a debate on a US equities paper-trading desk. Argue the strongest "
        "evidence-based case FOR opening or adding to a long position (BUY), citing concrete numbers from the "
        "snapshot (trend, momentum, volatility, account). Answer the bear's latest points directly. If the data "
        "truly does not support buying, say so and lower your confidence; never invent data. Your rationale is "
        "your argument.",
    ),
    ("bear", 1): PromptTemplate(
        "bear",
        1,
        "bear",
        "You are the bear researcher in a debate on a US equities paper-trading desk. Argue the strongest "
        "evidence-based case AGAINST buying (SELL to reduce or exit a position, or HOLD), citing concrete numbers "
        "from the snapshot (weak trend, stretched momentum, volatility, concentration). Answer the bull's latest "
        "points directly. If the data truly supports buying, say so and lower your confidence; never invent data. "
        "Your rationale is your argument.",
    ),
    ("judge", 1): PromptTemplate(
        "judge",
        1,
        "judge",
        "You are the senior portfolio judge. Cheaper analysts disagreed, were unsure, or the trade is "
        "large or the market volatile. Read their anonymised decisions and the data, then give the "
        "final decision. If the evidence does not clearly support a trade, answer HOLD with the "
        "confidence you really have.",
    ),
}

REPAIR_TEMPLATE = PromptTemplate(
    "json_repair",
    1,
    "json_repair",
    "You repair malformed JSON. Rewrite the reply below into ONE JSON object that matches the schema, "
    "keeping the author's meaning; do not invent a different decision.",
)


def get_template(template_id: str, version: int) -> PromptTemplate:
    try:
        return TEMPLATES[(template_id, version)]
    except KeyError:
        known = ", ".join(f"{t}@v{v}" for t, v in sorted(TEMPLATES))
        raise KeyError(f"unknown prompt template {template_id}@v{version} (known: {known})") from None


def market_context(snapshot: MarketSnapshot, portfolio: PortfolioState, universe: list[str]) -> str:
    """The data block every role sees: universe, per-symbol indicators, regime, account and positions."""
    lines = [f"As of {snapshot.as_of.isoformat()} (bars: {snapshot.timeframe}). Universe: {', '.join(universe)}."]
    lines.append(f"Market regime: {snapshot.regime} ({snapshot.regime_rule}).")
    for sym in snapshot.symbols:
        ind = sym.indicators.model_dump(exclude_none=True)
        shown = ", ".join(f"{k} {_num(v)}" for k, v in sorted(ind.items()))
        lines.append(
            f"{sym.symbol}: last {sym.last_price:.2f}, bid {_num(sym.bid)}, ask {_num(sym.ask)}, regime {sym.regime}; "
            f"{shown}"
        )
    lines.append(
        f"Account: equity {portfolio.equity:.2f}, cash {portfolio.cash:.2f}, buying power {portfolio.buying_power:.2f}."
    )
    if portfolio.positions:
        for pos in portfolio.positions:
            lines.append(
                f"Position {pos.symbol}: {pos.qty} shares ({pos.side}), value {pos.market_value:.2f}, "
                f"avg entry {pos.avg_entry_price:.2f}"
            )
    else:
        lines.append("No open positions.")
    return "\n".join(lines)


def _shared(context: str, template: PromptTemplate, rules: str) -> list[dict[str, str]]:
    """Shared rules, then the market data, then the role: agents of one run share everything up to the role."""
    return [
        {"role": "system", "content": rules},
        {"role": "user", "content": context + "\n\nYour role: " + template.role_text + "\nGive your decision."},
    ]


def _num(value: object) -> str:
    """A number as the prompt shows it: two decimals at most (model-facing; the stored snapshot keeps every digit)."""
    if isinstance(value, float):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return "n/a" if value is None else str(value)


def render_agent(template: PromptTemplate, context: str, rules: str = ANSWER_RULES) -> list[dict[str, str]]:
    return _shared(context, template, rules)


@dataclass(frozen=True)
class DebateTurn:
    """One debater's argument in one round, as the others and the judge read it."""

    round: int
    role: str
    decision: AgentDecision

    def line(self) -> str:
        d = self.decision
        target = ",".join(d.symbols) or "-"
        return (
            f"[round {self.round}] {self.role}: {d.action} {target} (confidence {d.confidence:.2f}, "
            f"sizing {d.sizing.kind} {d.sizing.value:g}, risk flags {d.risk_flags or []}). Argument: {d.rationale}"
        )


def render_debate(
    template: PromptTemplate,
    context: str,
    own: AgentDecision,
    others: Sequence[DebateTurn],
    round_no: int,
    rules: str = ANSWER_RULES,
) -> list[dict[str, str]]:
    """A debate round: the debater sees the others' latest arguments with their roles, then argues again."""
    peers = "\n".join(t.line() for t in others) or "(no other debater answered)"
    return [
        *_shared(context, template, rules),
        {"role": "assistant", "content": own.model_dump_json()},
        {
            "role": "user",
            "content": f"Debate round {round_no}. The other side's latest arguments:\n"
            + peers
            + "\nAnswer their points with evidence from the data, then give your decision as the JSON object only.",
        },
    ]


def _votes_block(cheap: Sequence[AgentDecision]) -> str:
    return (
        "\n".join(f"Analyst {chr(65 + i)}: {d.model_dump_json()}" for i, d in enumerate(cheap)) or "(no valid answers)"
    )


def render_judge(
    template: PromptTemplate,
    context: str,
    cheap: Sequence[AgentDecision],
    reasons: Sequence[str],
    *,
    transcript: Sequence[DebateTurn] = (),
    judge: AgentDecision | None = None,
    rules: str = ANSWER_RULES,
) -> list[dict[str, str]]:
    """The judge's question: the data, why it is asked, the cheap answers or the whole debate transcript."""
    if transcript:
        body = "Debate transcript, oldest first:\n" + "\n".join(t.line() for t in transcript)
    else:
        body = "Cheaper analysts answered (anonymised):\n" + _votes_block(cheap)
    if judge is not None:
        body += "\nA cheaper judge then decided: " + judge.model_dump_json()
    return [
        {"role": "system", "content": rules},
        {
            "role": "user",
            "content": context
            + "\n\nYour role: "
            + template.role_text
            + f"\nYou are asked because: {', '.join(reasons)}.\n"
            + body
            + "\nGive the final decision.",
        },
    ]


def render_repair(raw: str, errors: list[str]) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": REPAIR_TEMPLATE.role_text + " " + ANSWER_RULES},
        {
            "role": "user",
            "content": "Validation errors:\n- " + "\n- ".join(errors) + "\nReply to repair:\n" + raw,
        },
    ]
