"""Consensus rules: veto (flags only), quorum, weighted majority, ties that ignore names, sizing; escalation triggers."""

from __future__ import annotations

import itertools

import pytest
from pydantic import ValidationError

from arena.engine.config.guardrails import GuardrailConfig, quorum_warning
from arena.engine.decide.consensus import ConsensusResult, Vote, decide, judged
from arena.engine.decide.escalation import escalation_reasons, portfolio_delta_pct
from tests.engine.factories import decision, portfolio, snapshot

CFG = GuardrailConfig()


def votes(*items: tuple[str, str, float] | tuple[str, str, float, list[str]]) -> list[Vote]:
    out = []
    for i, item in enumerate(items):
        role, action, conf = item[0], item[1], item[2]
        flags = item[3] if len(item) == 4 else []  # type: ignore[misc]
        out.append(Vote(f"agent{i}", role, decision(action, conf, flags=flags)))  # type: ignore[arg-type]
    return out


def run(vs: list[Vote], quorum: int = 1) -> ConsensusResult:
    return decide(vs, blocking_flags=CFG.blocking_risk_flags, quorum=quorum)


def reasons(result: ConsensusResult, regime: str = "normal") -> list[str]:
    return escalation_reasons(result, config=CFG, snapshot=snapshot(regime), portfolio=portfolio())


def test_unanimous_buy_has_mean_confidence_and_no_disagreement() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.8), ("risk_manager", "BUY", 0.7)))
    assert (r.action, r.symbol, r.rule) == ("BUY", "AAPL", "unanimous")
    assert r.confidence == pytest.approx(0.75)
    assert r.disagreement_rate == 0
    assert r.trace["scores"] == {"BUY:AAPL": pytest.approx(1.5)}


def test_weighted_majority_counts_dissent_as_zero_support() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.9), ("technical_analyst", "BUY", 0.6), ("risk_manager", "HOLD", 0.5)))
    assert r.action == "BUY"
    assert r.rule == "weighted_majority"
    assert r.confidence == pytest.approx((0.9 + 0.6) / 3)
    assert r.disagreement_rate == pytest.approx(1 / 3)


def test_confidence_weighting_beats_head_count() -> None:
    r = run(
        votes(("technical_analyst", "SELL", 0.95), ("technical_analyst", "BUY", 0.3), ("technical_analyst", "BUY", 0.3))
    )
    assert r.action == "SELL"


def test_a_confident_risk_manager_voting_the_other_way_is_disagreement_not_a_veto() -> None:
    # the case: analyst BUY 0.80, risk manager SELL 0.75 → escalate on disagreement, never a silent veto
    r = run(votes(("technical_analyst", "BUY", 0.80), ("risk_manager", "SELL", 0.75)), quorum=2)
    assert not r.vetoed and r.rule == "weighted_majority" and r.action == "BUY"
    assert r.disagreement_rate == pytest.approx(0.5)
    assert "disagreement" in reasons(r)


def test_the_same_action_on_another_symbol_is_disagreement() -> None:
    vs = [
        Vote("a", "technical_analyst", decision("BUY", 0.8, "AAPL")),
        Vote("b", "technical_analyst", decision("BUY", 0.8, "AAPL")),
        Vote("c", "risk_manager", decision("BUY", 0.8, "MSFT")),
    ]
    r = run(vs)
    assert r.rule == "weighted_majority" and r.symbol == "AAPL" and r.disagreement_rate == pytest.approx(1 / 3)
    split = run(vs[1:])
    assert split.rule == "tie" and split.disagreement_rate == pytest.approx(0.5)


def test_a_role_weight_makes_the_risk_manager_count_more_explicitly() -> None:
    weighted = [
        Vote("a", "technical_analyst", decision("BUY", 0.80)),
        Vote("r", "risk_manager", decision("SELL", 0.75), weight=2.0),
    ]
    r = run(weighted)
    assert r.action == "SELL" and r.trace["scores"]["SELL:AAPL"] == pytest.approx(1.5)
    assert r.confidence == pytest.approx(1.5 / 3.0) and r.disagreement_rate == pytest.approx(1 / 3)


@pytest.mark.parametrize(("first", "second"), [("BUY", "SELL"), ("SELL", "BUY"), ("BUY", "HOLD"), ("HOLD", "SELL")])
def test_ties_do_not_depend_on_names_roles_or_order(first: str, second: str) -> None:
    results = []
    for (role_a, act_a), (role_b, act_b) in itertools.permutations(
        [("technical_analyst", first), ("risk_manager", second)]
    ):
        r = run(votes((role_a, act_a, 0.7), (role_b, act_b, 0.7)), quorum=2)
        results.append((r.rule, r.action, r.vetoed, r.disagreement_rate, tuple(reasons(r))))
    assert results[0] == results[1]
    assert results[0][:3] == ("tie", None, False)
    assert "tie" in results[0][4]


def test_blocking_flag_vetoes_any_majority_and_names_agent_and_flag() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.9), ("risk_manager", "BUY", 0.9, ["VETO"])))
    assert r.action is None and r.vetoed and r.rule == "risk_veto"
    assert r.trace["veto"] == {"agent": "agent1", "role": "risk_manager", "flag": "veto"}


def test_a_veto_on_a_hold_still_ends_the_round() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.8), ("risk_manager", "HOLD", 0.9, ["veto"])))
    assert r.vetoed and reasons(r, "high_volatility") == []


def test_non_blocking_flags_are_only_information() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.9, ["earnings_soon"]), ("risk_manager", "BUY", 0.8)))
    assert not r.vetoed and r.action == "BUY"


def test_fewer_valid_votes_than_the_quorum_is_no_quorum() -> None:
    r = run(votes(("risk_manager", "BUY", 0.95)), quorum=2)
    assert r.rule == "no_quorum" and r.action is None
    assert r.trace["quorum"] == {"valid": 1, "required": 2}
    assert reasons(r, "high_volatility") == []  # never a powerful call on a provider outage


def test_no_votes_is_no_valid_votes() -> None:
    r = run([], quorum=2)
    assert r.action is None and r.rule == "no_valid_votes" and r.valid_votes == 0


def test_sizing_takes_the_smallest_winning_size() -> None:
    vs = [
        Vote("a", "technical_analyst", decision("BUY", 0.8, pct=2.0)),
        Vote("b", "technical_analyst", decision("BUY", 0.8, pct=0.5)),
    ]
    r = run(vs)
    assert r.sizing is not None and r.sizing.value == 0.5


def test_a_judge_breaking_a_tie_counts_as_one_more_vote() -> None:
    tie = votes(("technical_analyst", "BUY", 0.7), ("risk_manager", "SELL", 0.7))
    r = judged(tie, Vote("judge", "judge", decision("BUY", 0.8, pct=0.5)), blocking_flags=["veto"], quorum=2)
    assert (r.action, r.rule, r.confidence) == ("BUY", "judge", 0.8)
    assert r.disagreement_rate == pytest.approx(1 / 3)  # 1 of 3 below the 0.34 threshold: agreement follows
    assert reasons(r) == []
    vetoing = judged(
        tie, Vote("judge", "judge", decision("BUY", 0.9, flags=["veto"])), blocking_flags=["veto"], quorum=2
    )
    assert vetoing.vetoed and vetoing.action is None


@pytest.mark.parametrize(
    ("vote_items", "regime", "pct", "expected"),
    [
        ([("technical_analyst", "BUY", 0.8), ("risk_manager", "BUY", 0.7)], "normal", 1.0, []),
        (
            [("technical_analyst", "BUY", 0.9), ("risk_manager", "SELL", 0.5)],
            "normal",
            1.0,
            ["disagreement", "low_confidence"],
        ),
        ([("technical_analyst", "BUY", 0.6), ("risk_manager", "BUY", 0.6)], "normal", 1.0, ["low_confidence"]),
        (
            [("technical_analyst", "BUY", 0.8), ("risk_manager", "BUY", 0.7)],
            "high_volatility",
            1.0,
            ["high_volatility"],
        ),
        ([("technical_analyst", "BUY", 0.8), ("risk_manager", "BUY", 0.7)], "normal", 2.0, ["portfolio_delta"]),
    ],
)
def test_escalation_triggers(vote_items, regime, pct, expected) -> None:  # type: ignore[no-untyped-def]
    vs = [Vote(f"a{i}", role, decision(action, conf, pct=pct)) for i, (role, action, conf) in enumerate(vote_items)]
    assert reasons(run(vs, quorum=2), regime) == expected


def test_disagreement_threshold_is_strictly_greater_than() -> None:
    # 1 of 3 dissenting = 0.333 < 0.34: no disagreement trigger; 2 of 5 = 0.4 > 0.34: trigger.
    three = run(
        votes(("technical_analyst", "BUY", 0.9), ("technical_analyst", "BUY", 0.9), ("technical_analyst", "HOLD", 0.1))
    )
    assert "disagreement" not in reasons(three)
    five = run(
        votes(
            *[("technical_analyst", "BUY", 0.9)] * 3,
            ("technical_analyst", "HOLD", 0.1),
            ("technical_analyst", "SELL", 0.1),
        )
    )
    assert "disagreement" in reasons(five)


def test_portfolio_delta_uses_shares_times_price() -> None:
    vs = [Vote("a", "technical_analyst", decision("BUY", 0.9))]
    result = run(vs)
    object.__setattr__(result, "sizing", result.sizing.model_copy(update={"kind": "shares", "value": 20}))  # type: ignore[union-attr]
    assert portfolio_delta_pct(result, snapshot=snapshot(price=100.0), portfolio=portfolio(100_000)) == pytest.approx(
        2.0
    )


@pytest.mark.parametrize(
    "bad",
    [
        {"disagreement_rate": 0},
        {"min_confidence": 0},
        {"min_confidence": 1.2},
        {"min_valid_votes": 0},
        {"role_weights": {"astrologer": 2.0}},
        {"role_weights": {"risk_manager": 0}},
        {"debate_rounds": 0},
        {"blocking_risk_flags": []},
        {"blocking_risk_flags": ["  "]},
    ],
)
def test_guardrail_settings_are_validated(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        GuardrailConfig.model_validate(bad)


def test_a_quorum_above_the_enabled_cheap_agents_is_a_warning_not_an_error() -> None:
    config = GuardrailConfig(min_valid_votes=3)
    warning = quorum_warning(config, cheap_agents=2)
    assert warning is not None and "every run will end NO_TRADE" in warning
    assert quorum_warning(config, cheap_agents=3) is None
