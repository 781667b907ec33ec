"""One sentence on how a run was settled, from its `decided_by` rule — the Run Details copy (no streamlit here)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arena.kernel.kinds import DecidedBy


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
