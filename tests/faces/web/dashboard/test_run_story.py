"""Run Details says which rule settled a run: one sentence per `decided_by`, never "the cheap agents were
decisive" for a veto or a run where no agent was valid."""

from __future__ import annotations

from arena.faces.web.widgets.run_story import how_decided
from arena.kernel.kinds import DecidedBy

QUORUM = {"valid": 1, "required": 2}


def story(decided_by: DecidedBy | None, **kw: object) -> str:
    args: dict[str, object] = {"escalated": False, "reasons": [], "quorum": QUORUM, "veto": None, "judge": None}
    return how_decided(decided_by=decided_by, **(args | kw))  # type: ignore[arg-type]


def test_a_veto_names_the_agent_and_the_flag() -> None:
    text = story(DecidedBy.VETO, veto={"agent": "cheap_risk_manager", "role": "risk_manager", "flag": "veto"})
    assert "cheap_risk_manager (risk_manager) raised the blocking flag 'veto'" in text
    assert "decisive" not in text and "agreed" not in text


def test_no_quorum_and_the_spend_cap_give_the_counts() -> None:
    assert "no quorum (1 of 2 required valid cheap votes)" in story(DecidedBy.NO_QUORUM)
    assert "daily LLM spend cap" in story(DecidedBy.SPEND_CAP, quorum={"valid": 0, "required": 2})


def test_judge_escalation_and_missing_power_are_told_apart() -> None:
    judge = {"agent": "cheap_referee", "reason": "tie", "action": "BUY", "confidence": 0.8}
    assert "cheap judge cheap_referee settled the tie (BUY" in story(DecidedBy.CHEAP_JUDGE, judge=judge)
    assert story(DecidedBy.ESCALATION, escalated=True, reasons=["disagreement"]).endswith("reasons: disagreement")
    assert "no escalation_only profile" in story(DecidedBy.NO_POWER_PROFILE, reasons=["tie"])
    assert "powerful-call cap" in story(DecidedBy.POWER_CAP_REACHED, reasons=["low_confidence"])
    assert "cheap agents agreed" in story(DecidedBy.CHEAP_CONSENSUS)
