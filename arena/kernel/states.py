"""State vocabularies: every status a run, queue request, order, agent call or worker can be in.

Each is a `StrEnum`, so a member *is* its string: it compares equal to the stored value, serialises as itself in
JSON, and the vocabulary CHECK constraints are rendered from the members (`arena/storage/models/base.py::check_in`).
The allowed moves between run and order states are the tables in `arena/kernel/lifecycles.py`.
"""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    ABANDONED = "abandoned"


class RequestState(StrEnum):
    """A queued run request as the worker sees it (`ai_run_requests.state`)."""

    QUEUED = "queued"
    CLAIMED = "claimed"
    DONE = "done"


class OrderStatus(StrEnum):
    """Alpaca's order statuses plus Arena's own `pending`, `unknown` and `submit_failed`."""

    PENDING = "pending"
    UNKNOWN = "unknown"
    SUBMIT_FAILED = "submit_failed"
    NEW = "new"
    ACCEPTED = "accepted"
    PENDING_NEW = "pending_new"
    ACCEPTED_FOR_BIDDING = "accepted_for_bidding"
    PARTIALLY_FILLED = "partially_filled"
    PENDING_CANCEL = "pending_cancel"
    PENDING_REPLACE = "pending_replace"
    HELD = "held"
    CALCULATED = "calculated"
    STOPPED = "stopped"
    SUSPENDED = "suspended"
    DONE_FOR_DAY = "done_for_day"
    FILLED = "filled"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REJECTED = "rejected"
    REPLACED = "replaced"


class AgentStatus(StrEnum):
    """How one agent's call ended (`ai_arena_agent_decisions.status`)."""

    VALID = "valid"
    REPAIRED = "repaired"
    INVALID = "invalid"
    TIMEOUT = "timeout"
    ERROR = "error"
    SKIPPED = "skipped"


class CallStatus(StrEnum):
    """How one LLM call ended (`ai_cost_telemetry.status`)."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"
    TRUNCATED = "truncated"  # finish_reason "length" (or a reply over the size cap): never parsed as a decision
    REFUSED = "refused"  # the model refused (`message.refusal`)


class ToolCallStatus(StrEnum):
    """How one tool call an agent asked for ended (`ai_tool_calls.status`)."""

    OK = "ok"
    REFUSED = "refused"  # not allowed (policy, unknown tool, symbol outside the universe, bad arguments): not run
    ERROR = "error"  # ran and failed (the data source answered with an error)
    TIMEOUT = "timeout"  # the tool-time budget ran out before it answered


class ExecutionOutcome(StrEnum):
    """What became of a run's final decision (`ai_arena_consensus.outcome`)."""

    EXECUTABLE = "executable"
    HOLD = "hold"
    NO_TRADE = "no_trade"
    BLOCKED = "blocked"
    EXECUTED = "executed"
    REFUSED = "refused"  # the order was sent, and the broker refused it (submit_failed) or rejected it
    SHADOW = "shadow"
    NOT_SIZED = "not_sized"


class TradingState(StrEnum):
    """The operator's kill switch: ACTIVE trades, REDUCING only closes, HALTED sends nothing."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


class WorkerRole(StrEnum):
    STARTING = "starting"
    STANDBY = "standby"
    ACTIVE = "active"
    STOPPING = "stopping"
    STOPPED = "stopped"
