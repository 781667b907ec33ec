"""The strict-safe schema against OpenAI's documented Structured Outputs subset (the loopback server's checker)."""

from __future__ import annotations

import pytest

from arena.engine.decide.decision import decision_json_schema
from arena.engine.llm.strict_schema import strict_schema
from arena.engine.tools.catalog import ALL_TOOLS, tool_definitions
from tests.support.openai_rules import check_tools, strict_schema_problem


def test_the_pydantic_schema_breaks_the_strict_rules_and_the_strict_safe_one_keeps_them() -> None:
    raw = decision_json_schema(["AAPL", "MSFT"])
    problem = strict_schema_problem(raw)
    assert problem is not None and "is not permitted" in problem  # minLength/maxLength on rationale
    safe = strict_schema(raw)
    assert strict_schema_problem(safe) is None
    # what is kept: every property required, no extra keys, the universe enum, numeric bounds
    assert safe["required"] == list(safe["properties"]) and safe["additionalProperties"] is False
    assert safe["properties"]["symbols"]["items"]["enum"] == ["AAPL", "MSFT"]
    assert safe["properties"]["confidence"]["minimum"] == 0 and safe["properties"]["confidence"]["maximum"] == 1
    assert safe["properties"]["symbols"]["maxItems"] == 20
    assert "minLength" not in str(safe) and "maxLength" not in str(safe)
    sizing = safe["$defs"]["Sizing"]
    assert sizing["additionalProperties"] is False and sizing["required"] == ["kind", "value"]


def test_unsupported_keywords_are_dropped_at_every_depth_and_objects_are_closed() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "default": "x", "pattern": "^[a-z]+$", "format": "zip"},
            "tags": {"type": "array", "items": {"type": "string", "maxLength": 3}, "uniqueItems": True},
            "inner": {"type": "object", "properties": {"n": {"type": "integer", "minimum": 1}}},
            "either": {"anyOf": [{"type": "string", "minLength": 2}, {"type": "null"}]},
        },
        "required": ["name"],
    }
    safe = strict_schema(schema)
    assert strict_schema_problem(safe) is None
    assert safe["properties"]["name"] == {"type": "string", "pattern": "^[a-z]+$"}  # unknown format dropped too
    assert safe["properties"]["tags"] == {"type": "array", "items": {"type": "string"}}
    assert safe["properties"]["inner"]["required"] == ["n"] and safe["properties"]["inner"]["properties"]["n"] == {
        "type": "integer",
        "minimum": 1,
    }
    assert safe["properties"]["either"]["anyOf"][0] == {"type": "string"}
    assert safe["required"] == ["name", "tags", "inner", "either"]


def test_the_root_must_be_an_object() -> None:
    with pytest.raises(ValueError, match="root must be an object"):
        strict_schema({"type": "array", "items": {"type": "string"}})


def test_every_tool_definition_keeps_to_openais_function_calling_rules() -> None:
    tools = tool_definitions(list(ALL_TOOLS), ["AAPL", "MSFT"])
    assert [t["function"]["name"] for t in tools] == [str(n) for n in ALL_TOOLS]
    assert all(t["function"]["strict"] is True for t in tools)
    assert check_tools({"tools": tools, "tool_choice": "auto"}) is None
    for tool in tools:
        parameters = tool["function"]["parameters"]
        assert parameters["additionalProperties"] is False and parameters["required"] == list(parameters["properties"])
        if "symbol" in parameters["properties"]:
            assert parameters["properties"]["symbol"]["enum"] == ["AAPL", "MSFT"]
