"""Kind vocabularies: the closed sets of names the engine, storage and faces share (actions, modes, providers…).

`StrEnum` members are their strings, so stored values, JSON shapes and CLI arguments are unchanged.
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    """What an agent proposes."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


class FinalAction(StrEnum):
    """What a run ends with: an agent action, or the arena declining to trade."""

    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"
    NO_TRADE = "NO_TRADE"


class TimeHorizon(StrEnum):
    INTRADAY = "intraday"
    ONE_DAY = "1d"
    FIVE_DAYS = "5d"
    TWENTY_DAYS = "20d"


class SizingKind(StrEnum):
    PCT_EQUITY = "pct_equity"
    NOTIONAL_USD = "notional_usd"
    SHARES = "shares"


class Side(StrEnum):
    """An order's side at the broker."""

    BUY = "buy"
    SELL = "sell"


class RunMode(StrEnum):
    COMPETITION = "competition"
    DEBATE = "debate"


class Trigger(StrEnum):
    """Who asked for a run."""

    CLI = "cli"
    MANUAL = "manual"
    API = "api"
    SCHEDULE = "schedule"


class ScheduleKind(StrEnum):
    CRON = "cron"
    INTERVAL = "interval"


class Provider(StrEnum):
    OPENAI = "openai"
    OPENROUTER = "openrouter"
    LOCAL = "local"  # any OpenAI-compatible server (llama.cpp, llama-cpp-python, Ollama, vLLM) at ARENA_LOCAL_API_BASE


class OutputMode(StrEnum):
    """How a model is asked for structured output, strongest first (a rejection falls back one step)."""

    JSON_SCHEMA = "json_schema"  # the provider enforces our (strict-safe) schema
    JSON_OBJECT = "json_object"  # JSON mode: any JSON object; the schema travels in the prompt
    PROMPT = "prompt"  # no response_format; the schema in the prompt, one JSON object extracted from the reply


class ProfileMode(StrEnum):
    """Where a profile sits in the routing: asked first, or only when the cheap agents escalate."""

    CHEAP_FIRST = "cheap_first"
    JUDGE_CHEAP = "judge_cheap"  # a cheap judge: asked only when the cheap votes tie, or to close a debate
    ESCALATION_ONLY = "escalation_only"


class Role(StrEnum):
    TECHNICAL_ANALYST = "technical_analyst"
    RISK_MANAGER = "risk_manager"
    JUDGE = "judge"
    BULL = "bull"  # debate researcher arguing for the trade
    BEAR = "bear"  # debate researcher arguing against it


class ToolPolicy(StrEnum):
    NONE = "none"
    READ_ONLY = "read_only"


class Purpose(StrEnum):
    """Why an LLM call was made (`ai_cost_telemetry.purpose`)."""

    AGENT = "agent"
    DEBATE = "debate"
    REPAIR = "repair"
    JUDGE = "judge"
    ESCALATION = "escalation"


class DecidedBy(StrEnum):
    """Which rule settled a run (`ai_arena_consensus.decided_by`, `decided_by` in the run JSON)."""

    CHEAP_CONSENSUS = "cheap_consensus"  # the cheap votes, no trigger fired
    CHEAP_JUDGE = "cheap_judge"  # a judge_cheap profile broke a tie or closed a debate, no trigger fired after it
    ESCALATION = "escalation"  # the powerful model's answer
    VETO = "veto"  # a blocking risk flag
    NO_QUORUM = "no_quorum"  # fewer valid cheap votes than min_valid_votes
    SPEND_CAP = "spend_cap"  # the global daily LLM spend cap stopped the calls
    NO_POWER_PROFILE = "no_power_profile"  # escalation needed, no enabled escalation_only profile
    POWER_CAP_REACHED = "power_cap_reached"  # escalation needed, today's powerful calls used up


class CostSource(StrEnum):
    PROVIDER = "provider"
    PRICE_TABLE = "price_table"
    UNKNOWN = "unknown"


class Regime(StrEnum):
    NORMAL = "normal"
    HIGH_VOLATILITY = "high_volatility"


class ScoreSubject(StrEnum):
    """Whose decision an outcome score belongs to (`baseline`: a free rule on the same snapshot, no LLM)."""

    AGENT = "agent"
    CONSENSUS = "consensus"
    CHEAP_CONSENSUS = "cheap_consensus"
    BASELINE = "baseline"


class Phase(StrEnum):
    """Which part of a run an agent answered in (`ai_arena_agent_decisions.phase`)."""

    CHEAP = "cheap"
    DEBATE = "debate"
    ESCALATION = "escalation"
    JUDGE = "judge"


class SnapshotKind(StrEnum):
    """What a stored snapshot holds (`ai_snapshots.kind`)."""

    MARKET = "market"
    UNIVERSE = "universe"
    PORTFOLIO = "portfolio"


class PositionSide(StrEnum):
    LONG = "long"
    SHORT = "short"


class ExecutionMode(StrEnum):
    """Whether a run may send orders (`ARENA_EXECUTION`, `ai_arena_runs.execution_mode`)."""

    ON = "on"
    OFF = "off"


class LeaderboardWindow(StrEnum):
    """How far back a leaderboard looks; the worker materialises one snapshot per window."""

    WEEK = "7d"
    MONTH = "30d"
    QUARTER = "90d"

    @property
    def days(self) -> int:
        return int(self.value.removesuffix("d"))


class LeaderboardGroup(StrEnum):
    """What a leaderboard ranks: each agent profile, each model, or each prompt."""

    PROFILE = "profile"
    MODEL = "model"
    PROMPT = "prompt"


class LeaderboardStatus(StrEnum):
    """Whether a leaderboard (or one of its entries) has enough scored decisions to rank.

    A board is `ranked` or `not_enough_data`; an entry is `ranked` or `provisional` (listed with its cost and
    validity, outcome columns empty or below the minimum sample)."""

    RANKED = "ranked"
    NOT_ENOUGH_DATA = "not_enough_data"
    PROVISIONAL = "provisional"


class LeaderboardEntryKind(StrEnum):
    """What a leaderboard entry is: an LLM agent (profile, model or prompt) or a free baseline rule."""

    AGENT = "agent"
    BASELINE = "baseline"
