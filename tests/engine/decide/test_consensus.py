"""Consensus rules: weighted majority, veto, ties, sizing; escalation triggers from the brief's thresholds."""

from __future__ import annotations

import pytest

from arena.engine.config.guardrails import GuardrailConfig
from arena.engine.decide.consensus import Vote, decide
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


def run(vs: list[Vote]):  # type: ignore[no-untyped-def]
    return decide(vs, min_confidence=CFG.min_confidence, blocking_flags=CFG.blocking_risk_flags)


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


def test_equal_scores_are_a_tie_and_ambiguous() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.6), ("technical_analyst", "SELL", 0.6)))
    assert r.action is None and r.ambiguous and r.rule == "tie"


def test_blocking_flag_vetoes_any_majority() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.9), ("technical_analyst", "BUY", 0.9, ["veto"])))
    assert r.action is None and r.vetoed and r.rule == "risk_veto"
    assert "blocking risk flag" in r.trace["veto"]["reason"]


def test_confident_risk_manager_against_the_majority_vetoes() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.95), ("technical_analyst", "BUY", 0.9), ("risk_manager", "HOLD", 0.7)))
    assert r.vetoed and r.action is None


def test_unsure_risk_manager_does_not_veto() -> None:
    r = run(votes(("technical_analyst", "BUY", 0.95), ("risk_manager", "HOLD", 0.4)))
    assert not r.vetoed and r.action == "BUY"


def test_no_votes_is_no_valid_votes() -> None:
    r = run([])
    assert r.action is None and r.rule == "no_valid_votes"


def test_sizing_takes_the_smallest_winning_size() -> None:
    vs = [
        Vote("a", "technical_analyst", decision("BUY", 0.8, pct=2.0)),
        Vote("b", "technical_analyst", decision("BUY", 0.8, pct=0.5)),
    ]
    r = run(vs)
    assert r.sizing is not None and r.sizing.value == 0.5


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
    result = run(vs)
    assert escalation_reasons(result, config=CFG, snapshot=snapshot(regime), portfolio=portfolio()) == expected


def test_disagreement_threshold_is_strictly_greater_than() -> None:
    # 1 of 3 dissenting = 0.333 < 0.34: no disagreement trigger; 2 of 5 = 0.4 > 0.34: trigger.
    three = run(
        votes(("technical_analyst", "BUY", 0.9), ("technical_analyst", "BUY", 0.9), ("technical_analyst", "HOLD", 0.1))
    )
    assert "disagreement" not in escalation_reasons(three, config=CFG, snapshot=snapshot(), portfolio=portfolio())
    five = run(
        votes(
            *[("technical_analyst", "BUY", 0.9)] * 3,
            ("technical_analyst", "HOLD", 0.1),
            ("technical_analyst", "SELL", 0.1),
        )
    )
    assert "disagreement" in escalation_reasons(five, config=CFG, snapshot=snapshot(), portfolio=portfolio())


def test_portfolio_delta_uses_shares_times_price() -> None:
    vs = [Vote("a", "technical_analyst", decision("BUY", 0.9))]
    result = run(vs)
    object.__setattr__(result, "sizing", result.sizing.model_copy(update={"kind": "shares", "value": 20}))  # type: ignore[union-attr]
    assert portfolio_delta_pct(result, snapshot=snapshot(price=100.0), portfolio=portfolio(100_000)) == pytest.approx(
        2.0
    )


def test_veto_and_empty_rounds_do_not_escalate() -> None:
    vetoed = run(votes(("technical_analyst", "BUY", 0.9, ["veto"])))
    assert escalation_reasons(vetoed, config=CFG, snapshot=snapshot("high_volatility"), portfolio=portfolio()) == []
    assert escalation_reasons(run([]), config=CFG, snapshot=snapshot("high_volatility"), portfolio=portfolio()) == []
