"""A compact sketch of a JSON Schema for the prompt: every property, its type, enum values and
required marks, without the descriptions, titles and `$defs` bookkeeping. The full schema still goes
to the provider as the structured-output format (where it becomes a decoding grammar); the prompt only
has to show the model the shape, and the full schema text is most of a small model's context (the
Composer's instructions fall from about 14,200 to about 4,400 characters)."""

from __future__ import annotations

from typing import Any

__all__ = ["sketch_schema"]

# enums longer than this are cut with their count; the grammar still allows every value
MAX_ENUM_VALUES = 12


def sketch_schema(schema: dict[str, Any]) -> str:
    """`{"key": {"tonic": string /^[A-G](#|b)?$/, "mode"?: "major"|"minor"|...}, "sections": [{...}], ...}`:
    a property followed by `?` may be left out (it has a default)."""
    return _sketch(schema, schema.get("$defs", {}), depth=0)


def _sketch(node: dict[str, Any], defs: dict[str, Any], depth: int) -> str:
    if "$ref" in node:
        target = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        return _sketch(target, defs, depth) if depth < 8 else "object"
    for union in ("anyOf", "oneOf"):
        if union in node:
            options = [o for o in node[union] if o.get("type") != "null"]
            nullable = len(options) < len(node[union])
            text = " | ".join(_sketch(o, defs, depth) for o in options) or "null"
            return f"{text} | null" if nullable else text
    if "enum" in node:
        values = [_json_literal(v) for v in node["enum"]]
        if len(values) > MAX_ENUM_VALUES:
            values = values[:MAX_ENUM_VALUES] + [f"... ({len(node['enum'])} values)"]
        return "|".join(values)
    if "const" in node:
        return _json_literal(node["const"])
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        properties = node.get("properties", {})
        if not properties:
            extra = node.get("additionalProperties")
            return "{string: " + _sketch(extra, defs, depth + 1) + "}" if isinstance(extra, dict) else "object"
        required = set(node.get("required", []))
        parts = [f'"{name}"{"" if name in required else "?"}: {_sketch(sub, defs, depth + 1)}' for name, sub in properties.items()]
        return "{" + ", ".join(parts) + "}"
    if kind == "array":
        items = node.get("items")
        return "[" + (_sketch(items, defs, depth + 1) if isinstance(items, dict) else "any") + ", ...]"
    text = {"string": "string", "integer": "int", "number": "number", "boolean": "bool", "null": "null"}.get(str(kind), "any")
    bounds = _bounds(node)
    return text + (f" {bounds}" if bounds else "")


def _bounds(node: dict[str, Any]) -> str:
    if "pattern" in node:
        return f"/{node['pattern']}/"
    low, high = node.get("minimum", node.get("exclusiveMinimum")), node.get("maximum", node.get("exclusiveMaximum"))
    if low is not None or high is not None:
        return f"in [{'' if low is None else low}, {'' if high is None else high}]"
    return ""


def _json_literal(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
