"""The Run Details copy (no streamlit here): the one-line why at the top, and one sentence on how a run was
settled, from its `decided_by` rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from arena.kernel.kinds import DecidedBy, FinalAction
from arena.kernel.states import ExecutionOutcome, RunStatus
from arena.storage.read.run_views import RunDetails


def _quorum(quorum: dict[str, Any] | None) -> str:
    if not quorum:
        return "too few valid cheap votes"
    return f"{quorum.get('valid')} of {quorum.get('required')} required valid cheap votes"


def how_decided(
    *,
    decided_by: DecidedBy | None,
    escalated: bool,
    reasons: Sequence[str],
    quorum: dict[str, Any] | None,
    veto: dict[str, Any] | None,
    judge: dict[str, Any] | None,
) -> str:
    """What Run Details says under "Escalation": which rule decided, and why the powerful model was (not) asked."""
    why = ", ".join(reasons) or "no trigger"
    if decided_by == DecidedBy.ESCALATION or (decided_by is None and escalated):
        return f"escalated to the powerful model; reasons: {why}"
    if decided_by == DecidedBy.VETO and veto:
        return (
            f"not escalated: {veto.get('agent')} ({veto.get('role')}) raised the blocking flag "
            f"'{veto.get('flag')}'; a veto ends the run in NO_TRADE whatever the votes say"
        )
    if decided_by == DecidedBy.NO_QUORUM:
        return f"not escalated: no quorum ({_quorum(quorum)}); a provider outage never buys a powerful call"
    if decided_by == DecidedBy.SPEND_CAP:
        return f"not escalated: the daily LLM spend cap stopped the calls ({_quorum(quorum)})"
    if decided_by == DecidedBy.NO_POWER_PROFILE:
        return f"escalation needed ({why}) but no escalation_only profile is enabled"
    if decided_by == DecidedBy.POWER_CAP_REACHED:
        return f"escalation needed ({why}) but today's powerful-call cap was used up"
    if decided_by == DecidedBy.CHEAP_JUDGE and judge:
        return (
            f"not escalated: the cheap judge {judge.get('agent')} settled the {judge.get('reason', 'tie')} "
            f"({judge.get('action')}, confidence {judge.get('confidence')}) and no trigger fired after it"
        )
    if decided_by == DecidedBy.CHEAP_CONSENSUS:
        return "not escalated: the cheap agents agreed and no trigger fired"
    if reasons:
        return f"escalation needed but not performed; reasons: {why}"
    return "not decided yet"


@dataclass(frozen=True)
class Headline:
    """The one line at the top of Run Details: what the run ended with and why, worded for its outcome."""

    label: str  # the badge: BUY, BUY blocked, NO_TRADE, FAILED, …
    colour: str  # the badge colour (a st.badge colour name)
    why: str  # our own words and vocabulary only (safe to show in a heading once escaped)
    quote: str | None = None  # the model's own words behind it (shown as plain text, never Markdown)


def failed_checks(checks: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in checks if not c.get("passed")]


def _answer_of(d: RunDetails, profile: Any) -> str | None:
    return next((x.rationale for x in d.decisions if x.profile == profile and x.rationale), None)


def headline(d: RunDetails) -> Headline:
    """Failed, blocked, vetoed and agent-less runs say so; a decision never wears the colour of a trade it did
    not make."""
    if d.status in (RunStatus.QUEUED, RunStatus.RUNNING):
        return Headline(str(d.status).upper(), "blue", "the run has not decided yet")
    if d.status in (RunStatus.FAILED, RunStatus.ABANDONED):
        first = (d.error or "").strip().splitlines()
        cause = first[0] if first else "no error was recorded"
        stage = "before deciding" if d.consensus is None else "after deciding"
        return Headline(str(d.status).upper(), "red", f"the run stopped {stage}: {cause}")
    c = d.consensus
    if c is None:
        return Headline(str(d.status).upper(), "gray", "no decision was recorded for this run")
    action, target = str(c.final_action), f" {c.symbol}" if c.symbol else ""
    if c.outcome == ExecutionOutcome.BLOCKED:
        failed = failed_checks(c.guardrail_checks)
        reasons = "; ".join(f"{f.get('name')}: {f.get('reason')}" for f in failed)
        noun = "guardrail" if len(failed) == 1 else f"{len(failed)} guardrails"
        return Headline(f"{action} blocked", "red", f"{action}{target} not sent — {noun} failed: {reasons}")
    if c.outcome == ExecutionOutcome.NOT_SIZED:
        size = next((f.get("reason") for f in failed_checks(c.guardrail_checks) if f.get("name") == "size"), None)
        return Headline(
            f"{action} not sent",
            "orange",
            f"{action}{target} not sent — the order sized to nothing: {size}",
        )
    if c.outcome == ExecutionOutcome.REFUSED:
        return Headline(f"{action} refused", "red", f"{action}{target} — the broker refused or rejected the order")
    if c.final_action == FinalAction.NO_TRADE:
        return _no_trade(d)
    story = how_decided(
        decided_by=d.decided_by,
        escalated=d.escalated,
        reasons=d.escalation_reasons,
        quorum=d.quorum,
        veto=d.veto,
        judge=d.judge,
    )
    sent = {
        ExecutionOutcome.EXECUTED: "order sent to the broker",
        ExecutionOutcome.SHADOW: "execution off: recorded, not sent",
        ExecutionOutcome.EXECUTABLE: "not executed yet",
    }.get(c.outcome)
    colour = {FinalAction.BUY: "green", FinalAction.SELL: "red"}.get(c.final_action, "gray")
    return Headline(action, colour, f"{action}{target} — " + (f"{sent}; {story}" if sent else story))


def _no_trade(d: RunDetails) -> Headline:
    veto, quorum = d.veto or {}, d.quorum or {}
    if d.decided_by == DecidedBy.VETO and veto:
        why = f"{veto.get('agent')} ({veto.get('role')}) flagged '{veto.get('flag')}'"
        return Headline("NO_TRADE", "orange", why, _answer_of(d, veto.get("agent")))
    if d.decisions and not any(x.valid for x in d.decisions):
        return Headline(
            "NO_TRADE", "red", f"no valid agent: all {len(d.decisions)} answers failed, so this is no market judgement"
        )
    if d.decided_by in (DecidedBy.NO_QUORUM, DecidedBy.SPEND_CAP):
        cap = "the daily LLM spend cap stopped the calls; " if d.decided_by == DecidedBy.SPEND_CAP else ""
        return Headline("NO_TRADE", "orange", f"{cap}no quorum: {_quorum(quorum)}")
    reason = d.consensus.no_trade_reason if d.consensus else None
    return Headline("NO_TRADE", "orange", reason or "no confident consensus")
