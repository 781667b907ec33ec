"""OpenAI's request rules for chat completions, as a checker the loopback server applies before answering.

What is checked (each a rule api.openai.com enforces with an HTTP 400):

* `response_format.type` is one of `text`, `json_object`, `json_schema`;
* a `json_schema` format carries `json_schema.name` matching ``^[a-zA-Z0-9_-]{1,64}$``;
* with `json_schema.strict: true`, the schema keeps to the Structured Outputs subset ("Supported schemas"):
  the root is `type: "object"` (not a bare `anyOf`); every object has `additionalProperties: false` and lists
  every key of `properties` in `required` (and nothing else); only these keywords appear: type, properties,
  required, additionalProperties, items, enum, const, anyOf, $ref, $defs, definitions, description, title,
  plus string: pattern, format (from `SUPPORTED_FORMATS`); number/integer: minimum, maximum,
  exclusiveMinimum, exclusiveMaximum, multipleOf; array: minItems, maxItems. Everything else (minLength,
  maxLength, default, allOf, oneOf, not, uniqueItems, minProperties, patternProperties, examples, …) is
  "not permitted". `$ref`s must resolve inside the schema; recursion (`"#"` or a `$defs` entry referring to
  itself) is allowed. Limits: ≤ 10 levels of object nesting, ≤ 5000 properties in all, ≤ 1000 enum values in
  all, ≤ 15,000 characters of string values in one enum of more than 250 values, ≤ 120,000 characters of
  property names, definition names, enum and const strings in all;
* no top-level request argument outside the Chat Completions API (``Unrecognized request argument supplied``);
* tools (function calling): a non-empty array whose every entry is ``{"type": "function", "function": {"name",
  "description"?, "parameters"?, "strict"?}}`` with a name matching ``^[a-zA-Z0-9_-]{1,64}$``; with ``strict: true`` the
  parameters keep to the same Structured Outputs subset; `tool_choice` is only allowed with `tools`, and is
  `none`, `auto`, `required` or a named function that is among the tools;
* the message sequence: an assistant message's `tool_calls` each carry `id`, `type: "function"` and
  `function.name` / `function.arguments` (strings), and it is followed by one `tool` message per call id,
  and a `tool` message answers a call id of the assistant message before it ("messages with role 'tool' must
  be a response to a preceeding message with 'tool_calls'" — OpenAI's spelling).

Message texts: the `'X' is not permitted`, `'required' is required to be supplied …`, `'additionalProperties'
is required to be supplied and to be false`, `extra required key`, root-type and unrecognized-argument texts
follow messages OpenAI is publicly recorded as sending. The wording of the limit, `$ref`, format and
malformed-schema messages is this module's own (the status, type and param are OpenAI's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SCHEMA_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")  # used with fullmatch: `$` would let a trailing newline through
RESPONSE_FORMAT_TYPES = ("json_object", "json_schema", "text")

COMMON_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "$ref",
        "$defs",
        "definitions",
        "description",
        "title",
    }
)
TYPE_KEYWORDS: dict[str, frozenset[str]] = {
    "string": frozenset({"pattern", "format"}),
    "number": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
    "integer": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
    "array": frozenset({"minItems", "maxItems"}),
    "object": frozenset(),
    "boolean": frozenset(),
    "null": frozenset(),
}
SUPPORTED_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})

MAX_NESTING = 10
MAX_PROPERTIES = 5000
MAX_ENUM_VALUES = 1000
LARGE_ENUM = 250
MAX_LARGE_ENUM_CHARS = 15_000
MAX_TOTAL_STRING_CHARS = 120_000


def _chat_params() -> frozenset[str]:
    """The Chat Completions request arguments, as openai-python declares them (plus `stream`)."""
    try:
        from openai.types.chat.completion_create_params import CompletionCreateParamsBase
    except ImportError:  # pragma: no cover - openai is a test dependency
        return frozenset()
    return frozenset(CompletionCreateParamsBase.__annotations__) | {"stream"}


CHAT_PARAMS = _chat_params()


@dataclass(frozen=True)
class RuleViolation:
    """One broken rule, rendered as OpenAI's error object."""

    message: str
    param: str | None = "response_format"
    code: str | None = None
    type: str = "invalid_request_error"
    status: int = 400

    def body(self) -> dict[str, Any]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}


class _Invalid(Exception):
    pass


def check_request(
    body: dict[str, Any], *, strict_schemas: bool = True, known_params: bool = True, json_word: bool = False
) -> RuleViolation | None:
    """The first OpenAI rule the request body breaks, or None.

    `json_word` adds OpenAI's JSON-mode rule: with `response_format: json_object` some message must say "json".
    """
    if known_params and CHAT_PARAMS:
        for key in body:
            if key not in CHAT_PARAMS:
                return RuleViolation(f"Unrecognized request argument supplied: {key}", param=None)
    response_format = body.get("response_format")
    problem = (
        check_response_format(response_format, strict_schemas=strict_schemas)
        or check_tools(body, strict_schemas=strict_schemas)
        or check_tool_messages(body.get("messages"))
    )
    if problem is not None:
        return problem
    wants_json_object = isinstance(response_format, dict) and response_format.get("type") == "json_object"
    if json_word and wants_json_object and "json" not in _message_text(body.get("messages")).lower():
        return RuleViolation(
            "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            param="messages",
        )
    return None


def check_tools(body: dict[str, Any], *, strict_schemas: bool = True) -> RuleViolation | None:
    """The `tools` / `tool_choice` rules (function calling)."""
    tools = body.get("tools")
    choice = body.get("tool_choice")
    if tools is None:
        if choice is not None:
            return RuleViolation(
                "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.",
                param="tool_choice",
            )
        return None
    if not isinstance(tools, list):
        return RuleViolation(
            f"Invalid type for 'tools': expected an array, but got {_json_kind(tools)} instead.",
            param="tools",
            code="invalid_type",
        )
    if not tools:
        return RuleViolation(
            "Invalid 'tools': empty array. Expected an array with minimum length 1, but got an empty array instead.",
            param="tools",
            code="empty_array",
        )
    names: list[str] = []
    for i, tool in enumerate(tools):
        where = f"tools[{i}]"
        if not isinstance(tool, dict) or tool.get("type") != "function" or not isinstance(tool.get("function"), dict):
            return RuleViolation(f"Missing required parameter: '{where}.function'.", param=f"{where}.function")
        function = tool["function"]
        name = function.get("name")
        if not isinstance(name, str):
            return RuleViolation(
                f"Missing required parameter: '{where}.function.name'.",
                param=f"{where}.function.name",
                code="missing_required_parameter",
            )
        if len(name) > 64:
            return RuleViolation(
                f"Invalid '{where}.function.name': string too long. Expected a string with maximum length 64, but "
                f"got a string with length {len(name)} instead.",
                param=f"{where}.function.name",
                code="string_above_max_length",
            )
        if not SCHEMA_NAME.fullmatch(name):
            return RuleViolation(
                f"Invalid '{where}.function.name': string does not match pattern. Expected a string that matches "
                "the pattern '^[a-zA-Z0-9_-]+$'.",
                param=f"{where}.function.name",
                code="invalid_value",
            )
        parameters = function.get("parameters")
        if strict_schemas and function.get("strict") is True:
            problem = strict_schema_problem(parameters)
            if problem is not None:
                return RuleViolation(
                    f"Invalid schema for function {name!r}: {problem}", param=f"{where}.function.parameters"
                )
        names.append(name)
    if choice is None or choice in ("none", "auto", "required"):
        return None
    wanted = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    if not isinstance(choice, dict) or choice.get("type") != "function" or wanted not in names:
        return RuleViolation(
            f"Invalid value for 'tool_choice': {choice!r} is not 'none', 'auto', 'required' or one of the tools.",
            param="tool_choice",
        )
    return None


def check_tool_messages(messages: object) -> RuleViolation | None:
    """Tool results answer exactly the calls of the assistant message just before them."""
    if not isinstance(messages, list):
        return None
    pending: list[str] = []  # call ids of the last assistant message still waiting for their tool message
    opened_at = 0
    for i, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role == "tool":
            call_id = message.get("tool_call_id")
            if call_id not in pending:
                return RuleViolation(
                    "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with "
                    "'tool_calls'.",
                    param=f"messages.[{i}].role",
                )
            pending.remove(call_id)
            continue
        if pending:
            return _unanswered(opened_at, pending)
        calls = message.get("tool_calls") if isinstance(message, dict) and role == "assistant" else None
        if calls is not None:
            problem = _malformed_call(i, calls)
            if problem is not None:
                return problem
            pending = [c["id"] for c in calls]
            opened_at = i
    if pending:
        return _unanswered(opened_at, pending)
    return None


def _malformed_call(index: int, calls: object) -> RuleViolation | None:
    """The first missing or mistyped part of an assistant message's `tool_calls` entries (OpenAI's wording)."""
    if not isinstance(calls, list):
        return RuleViolation(
            f"Invalid type for 'messages[{index}].tool_calls': expected an array, but got {_json_kind(calls)} instead.",
            param=f"messages[{index}].tool_calls",
            code="invalid_type",
        )
    if not calls:
        return RuleViolation(
            f"Invalid 'messages[{index}].tool_calls': empty array. Expected an array with minimum length 1, but got "
            "an empty array instead.",
            param=f"messages[{index}].tool_calls",
            code="empty_array",
        )
    for j, call in enumerate(calls):
        where = f"messages[{index}].tool_calls[{j}]"
        function = call.get("function") if isinstance(call, dict) else None
        for key, value in (
            ("id", call.get("id") if isinstance(call, dict) else None),
            ("type", call.get("type") if isinstance(call, dict) else None),
            ("function", function),
            ("function.name", function.get("name") if isinstance(function, dict) else None),
            ("function.arguments", function.get("arguments") if isinstance(function, dict) else None),
        ):
            if value is None:
                return RuleViolation(
                    f"Missing required parameter: '{where}.{key}'.",
                    param=f"{where}.{key}",
                    code="missing_required_parameter",
                )
            expected = dict if key == "function" else str
            if not isinstance(value, expected):
                return RuleViolation(
                    f"Invalid type for '{where}.{key}': expected "
                    f"{'an object' if expected is dict else 'a string'}, but got {_json_kind(value)} instead.",
                    param=f"{where}.{key}",
                    code="invalid_type",
                )
        if call["type"] != "function":
            return RuleViolation(
                f"Invalid value: '{call['type']}'. Supported values are: 'function'.",
                param=f"{where}.type",
                code="invalid_value",
            )
    return None


def _unanswered(index: int, ids: list[str]) -> RuleViolation:
    return RuleViolation(
        "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        f"'tool_call_id'. The following tool_call_ids did not have response messages: {', '.join(ids)}",
        param=f"messages.[{index}].role",
    )


def _message_text(messages: object) -> str:
    parts: list[str] = []
    for message in messages if isinstance(messages, list) else []:
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts.extend(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return "\n".join(parts)


def check_response_format(response_format: object, *, strict_schemas: bool = True) -> RuleViolation | None:
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        return RuleViolation(
            f"Invalid type for 'response_format': expected an object, but got {_json_kind(response_format)} instead.",
            code="invalid_type",
        )
    kind = response_format.get("type")
    if kind not in RESPONSE_FORMAT_TYPES:
        if kind is None:
            return RuleViolation(
                "Missing required parameter: 'response_format.type'.",
                param="response_format.type",
                code="missing_required_parameter",
            )
        return RuleViolation(
            f"Invalid value: {kind!r}. Supported values are: 'json_object', 'json_schema', and 'text'.",
            param="response_format.type",
            code="invalid_value",
        )
    if kind != "json_schema":
        return None
    spec = response_format.get("json_schema")
    if not isinstance(spec, dict):
        return RuleViolation(
            "Missing required parameter: 'response_format.json_schema'.",
            param="response_format.json_schema",
            code="missing_required_parameter",
        )
    name = spec.get("name")
    if not isinstance(name, str):
        return RuleViolation(
            "Missing required parameter: 'response_format.json_schema.name'.",
            param="response_format.json_schema.name",
            code="missing_required_parameter",
        )
    if len(name) > 64:
        return RuleViolation(
            "Invalid 'response_format.json_schema.name': string too long. Expected a string with maximum length 64, "
            f"but got a string with length {len(name)} instead.",
            param="response_format.json_schema.name",
            code="string_above_max_length",
        )
    if not SCHEMA_NAME.fullmatch(name):
        return RuleViolation(
            "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that "
            "matches the pattern '^[a-zA-Z0-9_-]+$'.",
            param="response_format.json_schema.name",
            code="invalid_value",
        )
    if strict_schemas and spec.get("strict") is True:
        problem = strict_schema_problem(spec.get("schema"))
        if problem is not None:
            return RuleViolation(f"Invalid schema for response_format {name!r}: {problem}")
    return None


def strict_schema_problem(schema: object) -> str | None:
    """Why a schema falls outside the strict Structured Outputs subset (OpenAI's wording), or None."""
    try:
        _StrictChecker(schema).run()
    except _Invalid as exc:
        return str(exc)
    return None


def _json_kind(value: object) -> str:
    names = {bool: "a boolean", int: "an integer", float: "a decimal", str: "a string", list: "an array"}
    return names.get(type(value), "null" if value is None else "an object")


def _ctx(path: tuple[str | int, ...]) -> str:
    return f"In context={path!r}, "


def _types(schema: dict[str, Any], path: tuple[str | int, ...]) -> list[str]:
    raw = schema.get("type")
    if raw is None:
        return []
    names = raw if isinstance(raw, list) else [raw]
    for name in names:
        if not isinstance(name, str) or name not in TYPE_KEYWORDS:
            raise _Invalid(f"{_ctx(path)}{name!r} is not a valid type.")
    return [str(n) for n in names]


class _StrictChecker:
    def __init__(self, root: object) -> None:
        self.root = root
        self.properties = 0
        self.enum_values = 0
        self.string_chars = 0

    def run(self) -> None:
        root = self.root
        if not isinstance(root, dict):
            raise _Invalid("schema must be a JSON Schema of 'type: \"object\"', got 'type: \"None\"'.")
        if root.get("type") != "object":
            raise _Invalid(f"schema must be a JSON Schema of 'type: \"object\"', got 'type: \"{root.get('type')}\"'.")
        if "anyOf" in root:
            raise _Invalid(f"{_ctx(())}'anyOf' is not permitted at the root of the schema; the root must be an object.")
        self.node(root, ())
        if self.properties > MAX_PROPERTIES:
            raise _Invalid(
                f"the schema has {self.properties} object properties; at most {MAX_PROPERTIES} are permitted."
            )
        if self.enum_values > MAX_ENUM_VALUES:
            raise _Invalid(f"the schema has {self.enum_values} enum values; at most {MAX_ENUM_VALUES} are permitted.")
        if self.string_chars > MAX_TOTAL_STRING_CHARS:
            raise _Invalid(
                f"the property names, definition names, enum and const values total {self.string_chars} characters; "
                f"at most {MAX_TOTAL_STRING_CHARS} are permitted."
            )
        depth = self.depth(root, ())
        if depth > MAX_NESTING:
            raise _Invalid(f"the schema nests objects {depth} levels deep; at most {MAX_NESTING} levels are permitted.")

    def node(self, schema: object, path: tuple[str | int, ...]) -> None:
        if not isinstance(schema, dict):
            raise _Invalid(f"{_ctx(path)}schema must be a JSON object, got {_json_kind(schema)}.")
        types = _types(schema, path)
        allowed = COMMON_KEYWORDS.union(*(TYPE_KEYWORDS[t] for t in types))
        for key in schema:
            if key not in allowed:
                raise _Invalid(f"{_ctx(path)}{key!r} is not permitted.")
        fmt = schema.get("format")
        if "format" in schema and fmt not in SUPPORTED_FORMATS:
            raise _Invalid(f"{_ctx(path)}{fmt!r} is not a supported 'format'; supported: {sorted(SUPPORTED_FORMATS)}.")

        for defs_key in ("$defs", "definitions"):
            defs = schema.get(defs_key)
            if defs is None:
                continue
            if not isinstance(defs, dict):
                raise _Invalid(f"{_ctx(path)}{defs_key!r} must be an object.")
            for def_name, definition in defs.items():
                self.string_chars += len(def_name)
                self.node(definition, (*path, defs_key, def_name))

        if "object" in types or "properties" in schema:
            self.object_rules(schema, path)

        if "items" in schema:
            self.node(schema["items"], (*path, "items"))
        if "anyOf" in schema:
            variants = schema["anyOf"]
            if not isinstance(variants, list) or not variants:
                raise _Invalid(f"{_ctx(path)}'anyOf' must be a non-empty array.")
            for i, variant in enumerate(variants):
                self.node(variant, (*path, "anyOf", i))
        if "enum" in schema:
            self.enum_rules(schema["enum"], path)
        if isinstance(schema.get("const"), str):
            self.string_chars += len(schema["const"])
        if "$ref" in schema:
            self.resolve(schema["$ref"], path)

    def object_rules(self, schema: dict[str, Any], path: tuple[str | int, ...]) -> None:
        if schema.get("additionalProperties") is not False:
            raise _Invalid(f"{_ctx(path)}'additionalProperties' is required to be supplied and to be false.")
        properties = schema.get("properties", {})
        if not isinstance(properties, dict):
            raise _Invalid(f"{_ctx(path)}'properties' must be an object.")
        required = schema.get("required")
        listed = required if isinstance(required, list) else []
        for key in properties:
            if key not in listed:
                raise _Invalid(
                    f"{_ctx(path)}'required' is required to be supplied and to be an array including every key in "
                    f"properties. Missing {key!r}."
                )
        for key in listed:
            if key not in properties:
                raise _Invalid(f"{_ctx(path)}extra required key {key!r} supplied.")
        self.properties += len(properties)
        for key, sub in properties.items():
            self.string_chars += len(key)
            self.node(sub, (*path, "properties", key))

    def enum_rules(self, values: object, path: tuple[str | int, ...]) -> None:
        if not isinstance(values, list) or not values:
            raise _Invalid(f"{_ctx(path)}'enum' must be a non-empty array.")
        self.enum_values += len(values)
        chars = sum(len(v) for v in values if isinstance(v, str))
        self.string_chars += chars
        if len(values) > LARGE_ENUM and chars > MAX_LARGE_ENUM_CHARS:
            raise _Invalid(
                f"{_ctx(path)}an enum with more than {LARGE_ENUM} values may total at most {MAX_LARGE_ENUM_CHARS} "
                f"characters; this one totals {chars}."
            )

    def resolve(self, ref: object, path: tuple[str | int, ...]) -> dict[str, Any]:
        if not isinstance(ref, str) or not ref.startswith("#"):
            raise _Invalid(f"{_ctx(path)}'$ref' must be a string pointing inside the schema (starting with '#').")
        target: object = self.root
        parts = [p for p in ref[1:].split("/") if p] if ref != "#" else []
        for part in parts:
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise _Invalid(f"{_ctx(path)}reference to component {ref!r} which was not found in the schema.")
            target = target[part]
        if not isinstance(target, dict):
            raise _Invalid(f"{_ctx(path)}reference to component {ref!r} which was not found in the schema.")
        return target

    def depth(self, schema: object, stack: tuple[int, ...]) -> int:
        """Levels of object nesting below (and including) this schema, following `$ref`s once per cycle."""
        if not isinstance(schema, dict) or id(schema) in stack:
            return 0
        stack = (*stack, id(schema))
        if "$ref" in schema:
            return self.depth(self.resolve(schema["$ref"], ()), stack)
        children: list[object] = []
        properties = schema.get("properties")
        if isinstance(properties, dict):
            children.extend(properties.values())
        if "items" in schema:
            children.append(schema["items"])
        if isinstance(schema.get("anyOf"), list):
            children.extend(schema["anyOf"])
        kind = schema.get("type")
        is_object = kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in schema
        own = 1 if is_object else 0
        return own + max((self.depth(c, stack) for c in children), default=0)
