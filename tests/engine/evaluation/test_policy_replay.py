"""Policy replay on runs the real engine recorded: the current settings reproduce every decision exactly, other
settings change what they must, and what would need an unrecorded answer is `unknown`, never guessed."""

from __future__ import annotations

import pytest

from arena.engine.config.guardrails import load_config
from arena.engine.evaluation.policy_replay import _Cache, redecide, replay_policy
from arena.engine.evaluation.recorded import prepare
from arena.kernel.clock import utcnow
from arena.kernel.errors import InvalidRequestError
from arena.storage.read.replay_inputs import read_last_prices, read_replay_runs
from tests.engine.evaluation.conftest import Recorded


def _by_id(recorded: Recorded) -> dict[str, str]:
    return {summary["run_id"]: name for name, summary in recorded.runs.items()}


def test_the_cases_were_recorded_as_intended(recorded: Recorded) -> None:
    r = recorded.runs
    assert r["agree"]["final_action"] == "BUY" and not r["agree"]["escalated"]
    assert r["disagree"]["escalation_reasons"] == ["disagreement", "low_confidence"]
    assert r["veto"]["final_action"] == "NO_TRADE" and r["veto"]["decided_by"] == "veto"
    assert r["tie"]["decided_by"] == "cheap_judge" and r["tie"]["final_action"] == "BUY"
    assert r["no_quorum"]["decided_by"] == "no_quorum"
    assert r["volatile"]["escalation_reasons"] == ["high_volatility"] and r["volatile"]["final_action"] == "SELL"
    assert r["too_large"]["escalation_reasons"] == ["portfolio_delta"]
    assert r["moderate"]["final_action"] == "BUY" and not r["moderate"]["escalated"]


def test_current_settings_reproduce_every_recorded_decision(recorded: Recorded) -> None:
    names = _by_id(recorded)
    with recorded.db.sessions() as session:
        config = load_config(session=session)
        runs = read_replay_runs(session=session, since=utcnow().replace(year=2000))
        prices = read_last_prices(session=session, hashes={r.market_hash for r in runs if r.market_hash})
    cache = _Cache()
    checked = 0
    for i, run in enumerate(runs):
        p = prepare(run, prices.get(run.market_hash or "", {}))
        if p.skip is not None:
            continue
        again = redecide(p, config, index=i, cache=cache)
        summary = recorded.runs[names[run.run_id]]
        assert again.unknown is None, names[run.run_id]
        assert (again.action, again.symbol, again.decided_by) == (
            summary["final_action"],
            run.final_symbol,
            summary["decided_by"],
        ), names[run.run_id]
        assert again.escalation_needed == bool(summary["escalation_reasons"]), names[run.run_id]
        checked += 1
    assert checked == len(recorded.runs)


def test_no_change_scenario_changes_nothing_and_matches_the_record(recorded: Recorded) -> None:
    with recorded.db.sessions() as session:
        report = replay_policy(session=session, window="30d", sets=[])
    assert report["runs_considered"] == len(recorded.runs)
    assert report["skipped"] == {"run queued": 1}
    actual, (same,) = report["actual"], report["scenarios"]
    assert same["current"] is True and same["settings"] == actual["settings"]
    assert same["decisions_changed"] == 0 and same["unknown"] == 0
    recorded_escalations = sum(1 for s in recorded.runs.values() if s["escalation_reasons"])
    assert same["escalations"] == actual["escalations"] == recorded_escalations == 4
    assert same["power_calls"] == actual["power_calls"] == 4  # escalated runs each asked the one powerful profile
    assert same["cost_usd"] == pytest.approx(actual["cost_usd"]) and actual["cost_usd"] > 0
    assert same["hit_rate"] == actual["hit_rate"] and same["scored"] == actual["scored"] > 0
    assert same["mean_return_pct"] == pytest.approx(actual["mean_return_pct"])


def test_stricter_confidence_escalates_at_least_as_often_and_unrecorded_answers_are_unknown(
    recorded: Recorded,
) -> None:
    with recorded.db.sessions() as session:
        report = replay_policy(session=session, window="30d", sets=["min_confidence=0.62,0.7"])
    current, strict = report["scenarios"]
    assert current["settings"]["min_confidence"] == 0.62 and strict["settings"]["min_confidence"] == 0.7
    assert strict["escalations"] >= current["escalations"]
    # "moderate" (0.65) now needs the powerful model, which was never asked for it: unknown, not guessed;
    # "agree" (0.775) and the judge's 0.8 still pass
    assert strict["unknown"] == 1 and strict["escalations"] == current["escalations"] + 1
    assert strict["decisions_changed"] == 0


def test_a_smaller_quorum_re_decides_the_no_quorum_run(recorded: Recorded) -> None:
    with recorded.db.sessions() as session:
        report = replay_policy(session=session, window="30d", sets=["min_valid_votes=1,2"])
    one, two = report["scenarios"]
    assert two["decisions_changed"] == 0
    # the one valid vote (BUY 0.8) now decides alone: BUY instead of NO_TRADE, no escalation needed
    assert one["decisions_changed"] == 1 and one["unknown"] == 0
    assert one["no_trade"] == two["no_trade"] - 1


def test_a_looser_disagreement_threshold_keeps_recorded_power_answers(recorded: Recorded) -> None:
    with recorded.db.sessions() as session:
        report = replay_policy(session=session, window="30d", sets=["disagreement_rate=0.34,1"])
    current, loose = report["scenarios"]
    # "disagree" still escalates on low confidence (0.7/1.2 < 0.62), so its recorded powerful answer stands
    assert loose["escalations"] == current["escalations"] and loose["decisions_changed"] == 0
    assert report["window"] == "30d" and len(report["scenarios"]) == 2


@pytest.mark.parametrize(
    ("sets", "window", "message"),
    [
        (["max_power_calls=1"], "30d", "unknown key 'max_power_calls'"),
        (["min_confidence=0"], "30d", "is not min_confidence=v1,v2"),
        (["min_confidence=1.5"], "30d", "is not min_confidence=v1,v2"),
        (["min_valid_votes=0.5"], "30d", "is not min_valid_votes"),
        (["min_confidence=abc"], "30d", "is not min_confidence"),
        (
            [
                "min_confidence=.5,.6,.7,.8",
                "disagreement_rate=.2,.3,.4,.5",
                "min_valid_votes=1,2,3,4",
                "min_valid_votes=5",
            ],
            "30d",
            "80 combinations, at most 64",
        ),
        ([], "30", "window must be a number of days"),
        ([], "0d", "window must be a number of days"),
    ],
)
def test_bad_input_is_refused_naming_the_field(sets: list[str], window: str, message: str, sqlite_database) -> None:  # type: ignore[no-untyped-def]
    with sqlite_database.sessions() as session, pytest.raises(InvalidRequestError) as err:
        replay_policy(session=session, window=window, sets=sets)
    assert message in str(err.value)
    assert err.value.field == ("window" if not sets else "set")
