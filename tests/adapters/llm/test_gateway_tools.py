"""Function calling through the real litellm over HTTP: tools offered, tool calls parsed, the exchange sent back.

The loopback server applies OpenAI's tool rules (tests/support/openai_rules.py) to every behaviour, so a broken
exchange is refused here exactly as a real provider would refuse it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from arena.kernel.kinds import Provider
from tests.adapters.llm.test_gateway import CHEAP, HOLD, MESSAGES, ROUTED, SCHEMA, make_call, run
from tests.support.llm_server import Behaviour, LLMServer, Reply, ToolCall
from tests.support.openai_rules import check_tool_messages, check_tools

QUOTE_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_quote",
        "description": "latest quote",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {"symbol": {"type": "string", "enum": ["AAPL"]}},
            "required": ["symbol"],
            "additionalProperties": False,
        },
    },
}


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with LLMServer() as srv:
        yield srv


@pytest.mark.parametrize(
    ("provider", "model", "behaviour"),
    [("openai", CHEAP, Behaviour.OPENAI), ("openrouter", ROUTED, Behaviour.OPENROUTER)],
)
def test_a_tool_call_is_parsed_and_the_answer_goes_back_as_a_tool_message(
    server: LLMServer, provider: Provider, model: str, behaviour: Behaviour
) -> None:
    server.behaviour(model, behaviour)
    server.on(model, Reply(tool_calls=(ToolCall("get_quote", {"symbol": "AAPL"}),)), Reply(content=HOLD))

    first, _ = run(make_call(server, provider, model, response_schema=SCHEMA, tools=[QUOTE_TOOL], tool_choice="auto"))

    assert first.ok and first.finish_reason == "tool_calls"
    (asked,) = first.tool_calls
    assert asked.name == "get_quote" and json.loads(asked.arguments) == {"symbol": "AAPL"}
    assert asked.id.startswith("call_")
    sent = server.requests[0].body
    assert sent["tools"] == [QUOTE_TOOL] and sent["tool_choice"] == "auto"

    exchange = [
        *MESSAGES,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": asked.id, "type": "function", "function": {"name": asked.name, "arguments": asked.arguments}}
            ],
        },
        {"role": "tool", "tool_call_id": asked.id, "content": '{"bid": 1.0, "ask": 1.1}'},
    ]
    second, _ = run(make_call(server, provider, model, messages=exchange, response_schema=SCHEMA, tools=[QUOTE_TOOL]))
    assert second.ok and second.content == HOLD and second.tool_calls == []
    assert server.requests[1].body["messages"][-1]["tool_call_id"] == asked.id


def test_a_tool_message_that_answers_no_call_is_refused_as_openai_refuses_it(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD))
    orphan = [*MESSAGES, {"role": "tool", "tool_call_id": "call_nobody", "content": "{}"}]

    result, _ = run(make_call(server, messages=orphan, tools=[QUOTE_TOOL]))

    assert result.status == "error" and result.attempts == 1  # a 400 is never retried
    assert "must be a response to a preceeding message with 'tool_calls'" in (result.error_message or "")


def test_an_unanswered_tool_call_is_refused(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD))
    call = {"id": "call_1", "type": "function", "function": {"name": "get_quote", "arguments": "{}"}}
    unanswered = [*MESSAGES, {"role": "assistant", "content": None, "tool_calls": [call]}]

    result, _ = run(make_call(server, messages=unanswered, tools=[QUOTE_TOOL]))

    assert result.status == "error"
    assert "did not have response messages: call_1" in (result.error_message or "")


def test_a_strict_tool_schema_outside_the_subset_is_refused(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD))
    loose = json.loads(json.dumps(QUOTE_TOOL))
    loose["function"]["parameters"]["properties"]["symbol"]["minLength"] = 1

    result, _ = run(make_call(server, tools=[loose]))

    assert result.status == "error" and "Invalid schema for function 'get_quote'" in (result.error_message or "")
    assert "minLength" in (result.error_message or "")


def test_the_server_never_scripts_a_tool_call_for_a_request_without_tools(server: LLMServer) -> None:
    server.on(CHEAP, Reply(tool_calls=(ToolCall("get_quote", {}),)))
    result, _ = run(make_call(server, max_attempts=1))
    assert result.status == "error" and "script error" in (result.error_message or "")


def test_an_empty_tools_array_is_refused_as_openai_refuses_it() -> None:
    problem = check_tools({"tools": [], "tool_choice": "auto"})
    assert problem is not None and problem.param == "tools" and problem.code == "empty_array"


@pytest.mark.parametrize("name", ["get_quote\n", "x" * 65, "get quote", ""])
def test_a_function_name_outside_openais_pattern_is_refused(name: str) -> None:
    tool = json.loads(json.dumps(QUOTE_TOOL))
    tool["function"]["name"] = name
    problem = check_tools({"tools": [tool]})
    assert problem is not None and problem.param == "tools[0].function.name"


@pytest.mark.parametrize(
    ("drop", "param"),
    [
        ("id", "messages[1].tool_calls[0].id"),
        ("type", "messages[1].tool_calls[0].type"),
        ("arguments", "messages[1].tool_calls[0].function.arguments"),
    ],
)
def test_an_assistant_tool_call_without_its_required_parts_is_refused(drop: str, param: str) -> None:
    call: dict[str, Any] = {"id": "call_1", "type": "function", "function": {"name": "get_quote", "arguments": "{}"}}
    if drop == "arguments":
        del call["function"]["arguments"]
    else:
        del call[drop]
    messages = [
        *MESSAGES[-1:],
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{}"},
    ]
    problem = check_tool_messages(messages)
    assert problem is not None and problem.param == param and "Missing required parameter" in problem.message
    call = {"id": "call_1", "type": "function", "function": {"name": "get_quote", "arguments": "{}"}}
    assert check_tool_messages([messages[0], {**messages[1], "tool_calls": [call]}, messages[2]]) is None


def test_the_server_never_scripts_a_plain_answer_when_a_tool_call_is_required(server: LLMServer) -> None:
    server.on(CHEAP, Reply(content=HOLD))
    result, _ = run(make_call(server, tools=[QUOTE_TOOL], tool_choice="required", max_attempts=1))
    assert result.status == "error" and "script error" in (result.error_message or "")


def test_an_assistant_message_with_an_empty_tool_calls_array_is_refused() -> None:
    messages = [*MESSAGES[-1:], {"role": "assistant", "content": "thinking", "tool_calls": []}]
    problem = check_tool_messages(messages)
    assert problem is not None and problem.param == "messages[1].tool_calls" and problem.code == "empty_array"
    assert check_tool_messages([messages[0], {"role": "assistant", "content": "thinking"}]) is None
