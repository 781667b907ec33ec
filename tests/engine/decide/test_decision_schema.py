"""The strict decision model: what validates, what does not, and the schema sent to providers."""

from __future__ import annotations

import json

from arena.engine.decide.decision import decision_json_schema, parse_decision
from arena.kernel.kinds import Action, SizingKind
from tests.engine.factories import decision_dict, decision_json


def test_valid_reply_parses() -> None:
    decision, errors = parse_decision(decision_json("SELL", 0.7), universe=["AAPL"])
    assert errors == [] and decision is not None and decision.action == "SELL"


def test_fenced_json_is_accepted() -> None:
    decision, errors = parse_decision("```json\n" + decision_json() + "\n```", universe=["AAPL"])
    assert decision is not None, errors


def test_extra_key_missing_key_and_ranges_are_rejected() -> None:
    data = decision_dict()
    data["surprise"] = 1
    del data["rationale"]
    data["confidence"] = 1.5
    data["action"] = "SHORT"
    decision, errors = parse_decision(json.dumps(data), universe=["AAPL"])
    assert decision is None
    joined = "\n".join(errors)
    for needle in ("surprise", "rationale", "confidence", "action"):
        assert needle in joined


def test_symbol_outside_universe_is_rejected() -> None:
    decision, errors = parse_decision(decision_json(symbol="TSLA"), universe=["AAPL"])
    assert decision is None and "TSLA" in errors[0]


def test_non_json_and_empty_are_rejected_with_reasons() -> None:
    assert parse_decision("I think BUY", universe=["AAPL"])[1][0].startswith("not JSON")
    assert parse_decision("", universe=["AAPL"])[1] == ["empty reply"]


def test_schema_is_strict() -> None:
    schema = decision_json_schema()
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == {
        "action",
        "symbols",
        "sizing",
        "time_horizon",
        "rationale",
        "risk_flags",
        "confidence",
        "required_tools",
        "data_dependencies",
    }
    assert schema["properties"]["confidence"]["minimum"] == 0 and schema["properties"]["confidence"]["maximum"] == 1


def test_schema_spells_the_enums_inline_with_the_wire_values() -> None:
    """The fields are StrEnums in Python; providers (and the prompts quoting the schema) still see plain enums."""
    schema = decision_json_schema()
    assert set(schema["$defs"]) == {"Sizing"}  # no $ref per enum
    assert schema["properties"]["action"] == {"enum": ["BUY", "SELL", "HOLD"], "title": "Action", "type": "string"}
    assert schema["properties"]["time_horizon"]["enum"] == ["intraday", "1d", "5d", "20d"]
    assert schema["$defs"]["Sizing"]["properties"]["kind"]["enum"] == ["pct_equity", "notional_usd", "shares"]


def test_parsed_fields_are_enum_members_that_serialise_as_before() -> None:
    decision, _ = parse_decision(decision_json("BUY", 0.7), universe=["AAPL"])
    assert decision is not None
    assert decision.action is Action.BUY and isinstance(decision.sizing.kind, SizingKind)
    assert json.loads(decision.model_dump_json())["action"] == "BUY"


def test_the_schema_of_a_run_allows_only_its_universe() -> None:
    schema = decision_json_schema(["MSFT", "AAPL", "MSFT"])
    assert schema["properties"]["symbols"]["items"] == {"type": "string", "enum": ["AAPL", "MSFT"]}
    assert "enum" not in json.dumps(decision_json_schema()["properties"]["symbols"])  # the generic one is unchanged
    # and our own validation still refuses a ticker outside it, whatever the provider did
    decision, errors = parse_decision(decision_json("BUY", 0.8, symbol="AAPL_AAPL_B"), universe=["AAPL"])
    assert decision is None and any("AAPL_AAPL_B" in e for e in errors)


def test_prose_before_and_after_the_object_is_ignored() -> None:
    for text in (
        "Here is my decision:\n```json\n" + decision_json() + "\n```\nLet me know.",
        decision_json() + "\n\nI chose BUY because the trend is up {strongly}.",
        "Sure! " + decision_json() + " Hope that helps.",
    ):
        decision, errors = parse_decision(text, universe=["AAPL"])
        assert decision is not None, (text, errors)
    decision, errors = parse_decision("I think you should buy.", universe=["AAPL"])
    assert decision is None and errors[0].startswith("not JSON")
