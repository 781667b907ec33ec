"""The strict-safe JSON Schema: what OpenAI's strict structured outputs accept, made from a pydantic schema.

OpenAI documents a subset of JSON Schema for `strict: true` ("Supported schemas"): the root is an object, every
object has `additionalProperties: false` and lists every property in `required`, and only some keywords are
allowed — for strings `pattern` and `format`, for numbers `minimum`/`maximum`/`exclusiveMinimum`/
`exclusiveMaximum`/`multipleOf`, for arrays `minItems`/`maxItems`. Anything else (`minLength`, `maxLength`,
`default`, `uniqueItems`, …) makes the provider answer 400 and the call fail. This module drops what cannot be
sent; the bounds it drops are still enforced by our own validation (`parse_decision`) on every reply.
"""

from __future__ import annotations

from typing import Any

# Keywords any schema object may carry.
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
# Keywords allowed only on schemas of one type.
TYPED_KEYWORDS: dict[str, frozenset[str]] = {
    "string": frozenset({"pattern", "format"}),
    "number": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
    "integer": frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}),
    "array": frozenset({"minItems", "maxItems"}),
}
STRING_FORMATS = frozenset({"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"})
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions")


def strict_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """A copy of `schema` that OpenAI's strict mode accepts (the root must already be an object schema)."""
    if schema.get("type") != "object":
        raise ValueError("a strict schema's root must be an object")
    return _clean(schema)


def _clean(node: dict[str, Any]) -> dict[str, Any]:
    types = node.get("type")
    kinds = set(types) if isinstance(types, list) else {types} if isinstance(types, str) else set()
    allowed = set(COMMON_KEYWORDS)
    for kind in kinds:
        allowed |= TYPED_KEYWORDS.get(kind, frozenset())
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key not in allowed:
            continue
        if key == "format" and value not in STRING_FORMATS:
            continue
        if key in _SUBSCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _clean(sub) if isinstance(sub, dict) else sub for name, sub in value.items()}
        elif key == "items" and isinstance(value, dict):
            out[key] = _clean(value)
        elif key == "anyOf" and isinstance(value, list):
            out[key] = [_clean(sub) if isinstance(sub, dict) else sub for sub in value]
        else:
            out[key] = value
    if "object" in kinds or "properties" in out:
        out["additionalProperties"] = False
        out["required"] = list(out.get("properties", {}))
    return out
