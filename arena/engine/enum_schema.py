"""Enum-typed pydantic fields whose JSON Schema stays inline, exactly as the `Literal[...]` it replaced rendered.

A plain enum field renders as a `$ref` into `$defs`; the decision schema is sent to providers and quoted in the
prompts, and the API documents the profile and strategy bodies, so those shapes must not change with the types.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import WithJsonSchema


def inline_enum(vocabulary: type[StrEnum], title: str) -> WithJsonSchema:
    """`Annotated[Enum, inline_enum(Enum, "Field Title")]`: validates to the enum, documents its values inline."""
    return WithJsonSchema({"enum": [m.value for m in vocabulary], "title": title, "type": "string"})
