"""The loopback LLM server refuses what real providers refuse, shaped as they shape it, over real HTTP.

Every test talks to `tests.support.llm_server.LLMServer` through the real openai-python client or plain urllib:
a request breaking a provider rule gets the provider's error, a compliant one gets a real-shaped completion.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Literal

import openai
import pytest
from pydantic import BaseModel, ConfigDict, Field

from tests.support.llm_server import Behaviour, LLMServer, Reply
from tests.support.openai_rules import strict_schema_problem

GPT = "gpt-4o-mini"
ROUTED = "deepseek/deepseek-chat"
NAME = "agent_decision"
HOLD = '{"action": "HOLD"}'
MESSAGES: Any = [{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "AAPL?"}]
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"action": {"type": "string", "enum": ["BUY", "SELL", "HOLD"]}},
    "required": ["action"],
    "additionalProperties": False,
}
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def srv() -> Iterator[LLMServer]:
    with LLMServer() as server:
        server.on(GPT, Reply(content=HOLD))
        yield server


def client(server: LLMServer, **kwargs: Any) -> openai.OpenAI:
    options: dict[str, Any] = {"max_retries": 0, "timeout": 5.0, **kwargs}
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test", **options)


def strict(schema: dict[str, Any], name: str = NAME, *, is_strict: bool = True) -> Any:
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": is_strict}}


def post(
    server: LLMServer, body: dict[str, Any], headers: dict[str, str] | None = None
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """POST a chat completion with urllib; returns (status, JSON body, lower-cased headers)."""
    request = urllib.request.Request(
        f"{server.base_url}/chat/completions",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": "Bearer sk-test", **(headers or {})},
        method="POST",
    )
    try:
        with _NO_PROXY.open(request, timeout=5) as response:
            return response.status, json.loads(response.read()), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read()), {k.lower(): v for k, v in exc.headers.items()}


def ask(server: LLMServer, schema: dict[str, Any], *, model: str = GPT, name: str = NAME) -> tuple[int, dict[str, Any]]:
    status, body, _ = post(server, {"model": model, "messages": MESSAGES, "response_format": strict(schema, name)})
    return status, body


def schema_error(message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": "invalid_request_error", "param": "response_format", "code": None}}


def obj(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A strict-compliant object schema (every key required, no extra keys)."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
        **extra,
    }


# --- strict structured outputs: the OpenAI subset ---------------------------------------------------------


def test_a_compliant_strict_schema_is_answered_through_the_sdk(srv: LLMServer) -> None:
    completion = client(srv).chat.completions.create(
        model=GPT,
        messages=MESSAGES,
        response_format=strict(SCHEMA),
    )
    assert completion.choices[0].message.content == HOLD
    (req,) = srv.requests
    assert req.status == 200 and req.body["response_format"] == strict(SCHEMA)


def test_pydantic_min_length_is_refused_with_openais_error(srv: LLMServer) -> None:
    class Thesis(BaseModel):
        model_config = ConfigDict(extra="forbid")
        action: Literal["BUY", "SELL", "HOLD"]
        rationale: str = Field(min_length=1)

    with pytest.raises(openai.BadRequestError) as caught:
        client(srv).chat.completions.create(
            model=GPT,
            messages=MESSAGES,
            response_format=strict(Thesis.model_json_schema()),
        )
    assert caught.value.status_code == 400
    assert caught.value.response.json() == schema_error(
        "Invalid schema for response_format 'agent_decision': In context=('properties', 'rationale'), "
        "'minLength' is not permitted."
    )


def test_a_refused_request_consumes_no_scripted_reply(srv: LLMServer) -> None:
    srv.on(GPT, Reply(content='{"action": "BUY"}'), Reply(content=HOLD))
    bad = obj({"action": {"type": "string", "maxLength": 4}})
    assert ask(srv, bad)[0] == 400
    status, body = ask(srv, SCHEMA)
    assert status == 200 and body["choices"][0]["message"]["content"] == '{"action": "BUY"}'
    assert [r.status for r in srv.requests] == [400, 200]


def test_openai_sdks_own_strict_schema_is_accepted_and_parsed(srv: LLMServer) -> None:
    pydantic_helpers = pytest.importorskip("openai.lib._pydantic")

    class Leg(BaseModel):
        symbol: str = Field(pattern=r"^[A-Z]{1,5}$")
        weight: float = Field(ge=0, le=1)

    class Plan(BaseModel):
        action: Literal["BUY", "SELL", "HOLD"]
        legs: list[Leg] = Field(max_length=5)
        primary: Leg = Field(description="The main leg.")
        note: str | None = None
        decided_at: datetime

    schema = pydantic_helpers.to_strict_json_schema(Plan)
    assert strict_schema_problem(schema) is None
    leg = {"symbol": "AAPL", "weight": 0.5}
    answer = {"action": "BUY", "legs": [leg], "primary": leg, "note": None, "decided_at": "2024-05-01T15:30:00Z"}
    srv.on(GPT, Reply(content=json.dumps(answer)))
    status, _ = ask(srv, schema, name="Plan")
    assert status == 200

    completion = client(srv).chat.completions.parse(model=GPT, messages=MESSAGES, response_format=Plan)
    parsed = completion.choices[0].message.parsed
    assert parsed is not None and parsed.primary.symbol == "AAPL"
    sent = srv.requests[-1].body["response_format"]
    assert sent["type"] == "json_schema" and sent["json_schema"]["strict"] is True


def test_the_sdks_strict_helper_does_not_strip_min_length_so_parse_is_refused(srv: LLMServer) -> None:
    class Note(BaseModel):
        text: str = Field(min_length=1)

    with pytest.raises(openai.BadRequestError) as caught:
        client(srv).chat.completions.parse(model=GPT, messages=MESSAGES, response_format=Note)
    assert caught.value.response.json() == schema_error(
        "Invalid schema for response_format 'Note': In context=('properties', 'text'), 'minLength' is not permitted."
    )


def test_every_property_must_be_required(srv: LLMServer) -> None:
    schema = obj({"action": {"type": "string"}, "rationale": {"type": "string"}})
    schema["required"] = ["action"]
    assert ask(srv, schema) == (
        400,
        schema_error(
            "Invalid schema for response_format 'agent_decision': In context=(), 'required' is required to be "
            "supplied and to be an array including every key in properties. Missing 'rationale'."
        ),
    )
    del schema["required"]
    assert ask(srv, schema)[1]["error"]["message"].endswith("Missing 'action'.")


def test_required_may_not_name_an_unknown_key(srv: LLMServer) -> None:
    schema = obj({"action": {"type": "string"}})
    schema["required"] = ["action", "ghost"]
    status, body = ask(srv, schema)
    assert status == 400
    assert body["error"]["message"].endswith("In context=(), extra required key 'ghost' supplied.")


@pytest.mark.parametrize("additional", ["missing", True, {"type": "string"}])
def test_every_object_needs_additional_properties_false(srv: LLMServer, additional: object) -> None:
    sizing = obj({"kind": {"type": "string"}, "value": {"type": "number"}})
    if additional == "missing":
        del sizing["additionalProperties"]
    else:
        sizing["additionalProperties"] = additional
    assert ask(srv, obj({"sizing": sizing})) == (
        400,
        schema_error(
            "Invalid schema for response_format 'agent_decision': In context=('properties', 'sizing'), "
            "'additionalProperties' is required to be supplied and to be false."
        ),
    )


def test_refs_are_followed_into_defs(srv: LLMServer) -> None:
    sizing: dict[str, Any] = {"type": "object", "properties": {"value": {"type": "number"}}, "required": ["value"]}
    schema = obj({"sizing": {"$ref": "#/$defs/Sizing"}}, **{"$defs": {"Sizing": sizing}})
    status, body = ask(srv, schema)
    assert status == 400
    assert "In context=('$defs', 'Sizing'), 'additionalProperties' is required" in body["error"]["message"]

    sizing["additionalProperties"] = False
    assert ask(srv, schema)[0] == 200

    dangling = obj({"sizing": {"$ref": "#/$defs/Missing"}}, **{"$defs": {"Sizing": sizing}})
    status, body = ask(srv, dangling)
    assert status == 400 and "'#/$defs/Missing' which was not found" in body["error"]["message"]


def test_recursive_schemas_are_allowed(srv: LLMServer) -> None:
    node = obj({"name": {"type": "string"}, "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}})
    schema = obj({"tree": {"$ref": "#/$defs/Node"}}, **{"$defs": {"Node": node}})
    assert ask(srv, schema)[0] == 200
    self_ref = obj({"name": {"type": "string"}, "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}})
    assert ask(srv, self_ref)[0] == 200


FORBIDDEN = [
    ("rationale", {"type": "string", "minLength": 1}, "minLength"),
    ("rationale", {"type": "string", "maxLength": 4000}, "maxLength"),
    ("rationale", {"type": "string", "default": "none"}, "default"),
    ("rationale", {"type": "string", "examples": ["up"]}, "examples"),
    ("symbols", {"type": "array", "items": {"type": "string"}, "uniqueItems": True}, "uniqueItems"),
    ("symbols", {"type": "array", "items": {"type": "string"}, "contains": {"const": "A"}}, "contains"),
    ("symbols", {"type": "array", "items": {"type": "string"}, "unevaluatedItems": False}, "unevaluatedItems"),
    ("meta", obj({}, minProperties=1), "minProperties"),
    ("meta", obj({}, maxProperties=3), "maxProperties"),
    ("meta", obj({}, patternProperties={"^x": {"type": "string"}}), "patternProperties"),
    ("meta", obj({}, propertyNames={"pattern": "^x"}), "propertyNames"),
    ("meta", obj({}, unevaluatedProperties=False), "unevaluatedProperties"),
    ("meta", {"allOf": [obj({})]}, "allOf"),
    ("meta", {"oneOf": [{"type": "string"}, {"type": "null"}]}, "oneOf"),
    ("meta", {"type": "string", "not": {"const": "x"}}, "not"),
    ("confidence", {"type": "number", "minLength": 1}, "minLength"),  # a string keyword on a number
    ("rationale", {"type": "string", "minimum": 0}, "minimum"),  # a number keyword on a string
]


@pytest.mark.parametrize(("prop", "sub", "keyword"), FORBIDDEN, ids=[f"{k}-on-{p}" for p, _, k in FORBIDDEN])
def test_keywords_outside_the_subset_are_not_permitted(
    srv: LLMServer, prop: str, sub: dict[str, Any], keyword: str
) -> None:
    assert ask(srv, obj({prop: sub})) == (
        400,
        schema_error(
            f"Invalid schema for response_format 'agent_decision': In context=('properties', '{prop}'), "
            f"'{keyword}' is not permitted."
        ),
    )


ALLOWED = {
    "pattern": {"type": "string", "pattern": "^[A-Z]{1,5}$"},
    "format": {"type": "string", "format": "date-time"},
    "number-bounds": {"type": "number", "minimum": 0, "maximum": 1, "exclusiveMaximum": 2, "multipleOf": 0.01},
    "integer-bounds": {"type": "integer", "exclusiveMinimum": 0},
    "array-bounds": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 20},
    "const": {"type": "string", "const": "HOLD"},
    "nullable-type-list": {"type": ["string", "null"], "description": "May be null.", "title": "Note"},
    "anyOf": {"anyOf": [{"type": "string"}, obj({"x": {"type": "integer"}})]},
    "enum-without-type": {"enum": ["a", 1, None]},
}


@pytest.mark.parametrize("sub", ALLOWED.values(), ids=list(ALLOWED))
def test_keywords_inside_the_subset_are_accepted(srv: LLMServer, sub: dict[str, Any]) -> None:
    assert ask(srv, obj({"field": sub}))[0] == 200


def test_only_the_documented_string_formats_are_supported(srv: LLMServer) -> None:
    for fmt in ("date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"):
        assert ask(srv, obj({"f": {"type": "string", "format": fmt}}))[0] == 200, fmt
    status, body = ask(srv, obj({"f": {"type": "string", "format": "uri"}}))
    assert status == 400 and "In context=('properties', 'f'), 'uri'" in body["error"]["message"]


def test_the_root_must_be_an_object(srv: LLMServer) -> None:
    status, body = ask(srv, {"type": "array", "items": {"type": "string"}})
    assert (status, body["error"]["message"]) == (
        400,
        "Invalid schema for response_format 'agent_decision': schema must be a JSON Schema of 'type: \"object\"', "
        "got 'type: \"array\"'.",
    )
    status, body = ask(srv, {"anyOf": [obj({"a": {"type": "string"}}), obj({"b": {"type": "string"}})]})
    assert status == 400 and "got 'type: \"None\"'" in body["error"]["message"]
    status, body = ask(srv, {**obj({"a": {"type": "string"}}), "anyOf": [obj({})]})
    assert status == 400 and "'anyOf' is not permitted at the root" in body["error"]["message"]


@pytest.mark.parametrize("name", ["agent decision", "décision", "x" * 65, ""])
def test_the_schema_name_must_match_the_pattern(srv: LLMServer, name: str) -> None:
    status, body = ask(srv, SCHEMA, name=name)
    assert status == 400
    assert body["error"]["param"] == "response_format.json_schema.name"
    assert body["error"]["type"] == "invalid_request_error"


def test_a_valid_name_of_64_characters_is_accepted(srv: LLMServer) -> None:
    assert ask(srv, SCHEMA, name="aZ0_-" + "x" * 59)[0] == 200


def test_an_unknown_response_format_type_is_refused(srv: LLMServer) -> None:
    status, body, _ = post(srv, {"model": GPT, "messages": MESSAGES, "response_format": {"type": "object"}})
    assert (status, body["error"]["param"], body["error"]["code"]) == (400, "response_format.type", "invalid_value")
    assert (
        body["error"]["message"]
        == "Invalid value: 'object'. Supported values are: 'json_object', 'json_schema', and 'text'."
    )


def nested(levels: int) -> dict[str, Any]:
    schema = obj({"leaf": {"type": "string"}})
    for _ in range(levels - 1):
        schema = obj({"child": schema})
    return schema


def test_nesting_is_limited_to_ten_levels(srv: LLMServer) -> None:
    assert ask(srv, nested(10))[0] == 200
    status, body = ask(srv, nested(11))
    assert status == 400 and "11 levels" in body["error"]["message"]


def test_at_most_5000_properties(srv: LLMServer) -> None:
    assert ask(srv, obj({f"p{i}": {"type": "string"} for i in range(5000)}))[0] == 200
    status, body = ask(srv, obj({f"p{i}": {"type": "string"} for i in range(5001)}))
    assert status == 400 and "5001 object properties" in body["error"]["message"]


def test_at_most_1000_enum_values(srv: LLMServer) -> None:
    assert ask(srv, obj({"e": {"type": "string", "enum": [f"v{i}" for i in range(1000)]}}))[0] == 200
    status, body = ask(srv, obj({"e": {"type": "string", "enum": [f"v{i}" for i in range(1001)]}}))
    assert status == 400 and "1001 enum values" in body["error"]["message"]
    long_values = [f"{i:04d}" + "x" * 56 for i in range(300)]  # 300 values, 18,000 characters
    status, body = ask(srv, obj({"e": {"type": "string", "enum": long_values}}))
    assert status == 400 and "15000 characters" in body["error"]["message"]


def test_non_strict_schemas_and_a_lenient_server_are_not_checked(srv: LLMServer) -> None:
    loose = obj({"rationale": {"type": "string", "minLength": 1}})
    status, _, _ = post(srv, {"model": GPT, "messages": MESSAGES, "response_format": strict(loose, is_strict=False)})
    assert status == 200
    with LLMServer(strict_rules=False) as lenient:
        lenient.on(GPT, Reply(content=HOLD))
        assert ask(lenient, loose)[0] == 200
        status, _, _ = post(lenient, {"model": GPT, "messages": MESSAGES, "usage": {"include": True}})
        assert status == 200


# --- other OpenAI request rules -----------------------------------------------------------------------------


def test_declared_openai_models_refuse_unknown_request_arguments(srv: LLMServer) -> None:
    usage = {"usage": {"include": True}}
    assert post(srv, {"model": GPT, "messages": MESSAGES, **usage})[0] == 200  # undeclared: any provider
    srv.behaviour(GPT, Behaviour.OPENAI)
    with pytest.raises(openai.BadRequestError) as caught:
        client(srv).chat.completions.create(model=GPT, messages=MESSAGES, extra_body=usage)
    assert caught.value.response.json() == {
        "error": {
            "message": "Unrecognized request argument supplied: usage",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
    assert client(srv).chat.completions.create(model=GPT, messages=MESSAGES, seed=7, top_p=0.9).choices


def test_the_json_word_rule_is_opt_in() -> None:
    quiet = [{"role": "user", "content": "AAPL?"}]
    body = {"model": GPT, "messages": quiet, "response_format": {"type": "json_object"}}
    with LLMServer() as default, LLMServer(json_word_rule=True) as pedantic:
        default.on(GPT, Reply(content=HOLD))
        pedantic.on(GPT, Reply(content=HOLD))
        assert post(default, body)[0] == 200
        status, error, _ = post(pedantic, body)
        assert status == 400 and error["error"]["param"] == "messages"
        assert "must contain the word 'json'" in error["error"]["message"]
        assert post(pedantic, {**body, "messages": MESSAGES})[0] == 200


# --- per-model behaviours ------------------------------------------------------------------------------------


def test_json_mode_only_models_refuse_json_schema_the_openrouter_way(srv: LLMServer) -> None:
    srv.behaviour(ROUTED, Behaviour.JSON_MODE_ONLY).on(ROUTED, Reply(content=HOLD))
    status, body = ask(srv, SCHEMA, model=ROUTED)
    assert status == 400
    assert body["error"]["message"] == "This model does not support response_format type json_schema"
    assert body["error"]["code"] == 400
    status, ok, _ = post(srv, {"model": ROUTED, "messages": MESSAGES, "response_format": {"type": "json_object"}})
    assert status == 200 and ok["choices"][0]["message"]["content"] == HOLD
    assert ok["id"].startswith("gen-") and "provider" in ok


def test_prose_json_models_wrap_the_answer_whatever_was_asked(srv: LLMServer) -> None:
    model = "qwen/qwen-2.5-7b-instruct"
    srv.behaviour(model, Behaviour.PROSE_JSON).on(model, Reply(content=HOLD))
    loose = obj({"action": {"type": "string", "minLength": 1}})
    for response_format in (strict(loose), {"type": "json_object"}, None):
        body: dict[str, Any] = {"model": model, "messages": MESSAGES}
        if response_format is not None:
            body["response_format"] = response_format
        status, answer, _ = post(srv, body)
        assert status == 200
        assert answer["choices"][0]["message"]["content"] == (
            f"Here is my decision:\n```json\n{HOLD}\n```\nLet me know if you need more."
        )


def test_llama_cpp_python_answers_json_schema_with_a_500(srv: LLMServer) -> None:
    model = "local-llama"
    srv.behaviour(model, "llama_cpp_python").on(model, Reply(content=HOLD))
    with pytest.raises(openai.InternalServerError) as caught:
        client(srv).chat.completions.create(
            model=model,
            messages=MESSAGES,
            response_format=strict(SCHEMA),
        )
    error = caught.value.response.json()["error"]
    assert caught.value.status_code == 500
    assert error["type"] == "internal_server_error" and "json_object" in error["message"]
    completion = client(srv).chat.completions.create(
        model=model,
        messages=MESSAGES,
        response_format={"type": "json_object"},
    )
    assert completion.choices[0].message.content == HOLD


def test_llama_server_accepts_json_schema_outside_the_openai_subset(srv: LLMServer) -> None:
    model = "qwen2.5-7b-instruct-q4_k_m.gguf"
    srv.behaviour(model, Behaviour.LLAMA_SERVER).on(model, Reply(content=HOLD))
    loose = {"type": "object", "properties": {"action": {"type": "string", "minLength": 1, "default": "HOLD"}}}
    status, answer = ask(srv, loose, model=model)
    assert status == 200 and answer["choices"][0]["message"]["content"] == HOLD
    assert "timings" in answer
    status, _, _ = post(srv, {"model": model, "messages": MESSAGES, "response_format": {"type": "json_object"}})
    assert status == 200


# --- rate limits, refusals, truncation -------------------------------------------------------------------------


def test_429_carries_retry_after_and_openais_rate_limit_body(srv: LLMServer) -> None:
    srv.on(GPT, Reply(status=429, retry_after=2))
    status, body, headers = post(srv, {"model": GPT, "messages": MESSAGES})
    assert status == 429
    assert headers["retry-after"] == "2" and headers["x-ratelimit-reset-requests"] == "2s"
    assert headers["x-ratelimit-remaining-requests"] == "0"
    assert body["error"]["type"] == "requests" and body["error"]["code"] == "rate_limit_exceeded"
    assert body["error"]["message"].startswith(f"Rate limit reached for {GPT}")


def test_the_sdk_honours_retry_after(srv: LLMServer) -> None:
    srv.on(GPT, Reply(status=429, retry_after=0.1), Reply(content=HOLD))
    completion = client(srv, max_retries=1).chat.completions.create(model=GPT, messages=MESSAGES)
    assert completion.choices[0].message.content == HOLD
    first, second = srv.requests
    assert first.status == 429 and second.status == 200
    assert second.started_at - first.finished_at >= 0.09


def test_a_refusal_has_null_content_and_the_refusal_text(srv: LLMServer) -> None:
    text = "I'm sorry, I can't help with that."
    srv.on(GPT, Reply(refusal=text))
    completion = client(srv).chat.completions.create(
        model=GPT,
        messages=MESSAGES,
        response_format=strict(SCHEMA),
    )
    choice = completion.choices[0]
    assert choice.message.content is None and choice.message.refusal == text and choice.finish_reason == "stop"

    class Decision(BaseModel):
        action: Literal["BUY", "SELL", "HOLD"]

    parsed = client(srv).chat.completions.parse(model=GPT, messages=MESSAGES, response_format=Decision)
    assert parsed.choices[0].message.parsed is None and parsed.choices[0].message.refusal == text


def test_truncation_cuts_the_content_and_reports_length(srv: LLMServer) -> None:
    srv.on(GPT, Reply(content=HOLD, truncate_at=9))
    status, body, _ = post(srv, {"model": GPT, "messages": MESSAGES})
    choice = body["choices"][0]
    assert status == 200 and choice["message"]["content"] == '{"action"' and choice["finish_reason"] == "length"

    class Decision(BaseModel):
        action: Literal["BUY", "SELL", "HOLD"]

    with pytest.raises(openai.LengthFinishReasonError):
        client(srv).chat.completions.parse(model=GPT, messages=MESSAGES, response_format=Decision)

    srv.on(GPT, Reply(content=HOLD, finish_reason="length"))
    status, body, _ = post(srv, {"model": GPT, "messages": MESSAGES})
    assert body["choices"][0]["message"]["content"] == HOLD and body["choices"][0]["finish_reason"] == "length"


# --- OpenRouter usage accounting and attribution --------------------------------------------------------------


def test_openrouter_returns_cost_only_when_usage_is_asked_for(srv: LLMServer) -> None:
    srv.behaviour(ROUTED, Behaviour.OPENROUTER).on(ROUTED, Reply(content=HOLD, cost=0.00042))
    plain = {"model": ROUTED, "messages": MESSAGES, "response_format": {"type": "json_object"}}
    _, without, _ = post(srv, plain)
    assert "cost" not in without["usage"]
    _, with_usage, _ = post(srv, {**plain, "usage": {"include": True}})
    assert with_usage["usage"]["cost"] == 0.00042 and with_usage["usage"]["is_byok"] is False

    srv.behaviour(ROUTED, Behaviour.OPENROUTER, usage_accounting="always")
    assert post(srv, plain)[1]["usage"]["cost"] == 0.00042


def test_default_models_keep_returning_a_scripted_cost(srv: LLMServer) -> None:
    srv.on(GPT, Reply(content=HOLD, cost=0.5))
    assert post(srv, {"model": GPT, "messages": MESSAGES})[1]["usage"]["cost"] == 0.5


def test_attribution_headers_are_recorded(srv: LLMServer) -> None:
    srv.behaviour(ROUTED, Behaviour.OPENROUTER).on(ROUTED, Reply(content=HOLD))
    sdk = client(srv, default_headers={"HTTP-Referer": "https://arena.example", "X-Title": "Arena"})
    sdk.chat.completions.create(model=ROUTED, messages=MESSAGES)
    (req,) = srv.requests_for(ROUTED)
    assert req.headers["http-referer"] == "https://arena.example" and req.headers["x-title"] == "Arena"


def test_openrouter_errors_carry_the_status_as_code(srv: LLMServer) -> None:
    srv.behaviour(ROUTED, Behaviour.OPENROUTER).on(ROUTED, Reply(status=503, error_message="No endpoints available"))
    status, body, _ = post(srv, {"model": ROUTED, "messages": MESSAGES})
    assert status == 503 and body["error"] == {
        "message": "No endpoints available",
        "code": 503,
        "metadata": {"provider_name": None, "model": ROUTED},
    }


# --- the success body ----------------------------------------------------------------------------------------


def test_the_success_body_has_openais_recorded_shape(srv: LLMServer) -> None:
    srv.on(GPT, Reply(content=HOLD, prompt_tokens=100, completion_tokens=20, cached_tokens=64, reasoning_tokens=8))
    status, body, headers = post(srv, {"model": GPT, "messages": MESSAGES})
    assert status == 200 and headers["content-type"] == "application/json"
    assert set(body) == {"id", "object", "created", "model", "choices", "usage", "service_tier", "system_fingerprint"}
    assert body["id"].startswith("chatcmpl-") and body["object"] == "chat.completion" and body["model"] == GPT
    assert isinstance(body["created"], int) and body["system_fingerprint"].startswith("fp_")
    assert body["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": HOLD, "refusal": None, "annotations": []},
            "logprobs": None,
            "finish_reason": "stop",
        }
    ]
    assert body["usage"] == {
        "prompt_tokens": 100,
        "completion_tokens": 20,
        "total_tokens": 120,
        "prompt_tokens_details": {"cached_tokens": 64, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 8,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }
    completion = client(srv).chat.completions.create(model=GPT, messages=MESSAGES)
    assert completion.usage is not None and completion.usage.prompt_tokens_details is not None
    assert completion.usage.prompt_tokens_details.cached_tokens == 64


def test_unknown_models_and_routes_still_get_404(srv: LLMServer) -> None:
    status, body, _ = post(srv, {"model": "gpt-nope", "messages": MESSAGES})
    assert status == 404 and body["error"]["message"] == "The model `gpt-nope` does not exist"
    with pytest.raises(openai.NotFoundError):
        client(srv).embeddings.create(model=GPT, input="x")
