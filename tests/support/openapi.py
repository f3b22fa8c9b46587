"""Checking JSON values against the API's OpenAPI document (a small JSON-schema subset)."""

from __future__ import annotations

import re
from typing import Any


def resolve_ref(doc: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = doc
    for part in ref[2:].split("/"):
        assert isinstance(node, dict) and part in node, f"unresolved {ref}"
        node = node[part]
    return node


def check_schema(doc: dict[str, Any], schema: dict[str, Any], value: Any, where: str = "$") -> None:
    if "$ref" in schema:
        check_schema(doc, resolve_ref(doc, schema["$ref"]), value, where)
        return
    if "anyOf" in schema:
        failures = []
        for option in schema["anyOf"]:
            try:
                check_schema(doc, option, value, where)
                break
            except AssertionError as exc:
                failures.append(str(exc))
        else:
            raise AssertionError(f"{where}: no anyOf option matched: {failures}")
    if "oneOf" in schema:
        matched = 0
        for option in schema["oneOf"]:
            try:
                check_schema(doc, option, value, where)
                matched += 1
            except AssertionError:
                pass
        assert matched == 1, f"{where}: {matched} oneOf options matched"
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        checks = {
            "object": lambda v: isinstance(v, dict),
            "array": lambda v: isinstance(v, list),
            "string": lambda v: isinstance(v, str),
            "boolean": lambda v: isinstance(v, bool),
            "null": lambda v: v is None,
            "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
            "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        }
        assert any(checks[name](value) for name in names), f"{where}: not {types}: {value!r}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} not in enum"
    if "pattern" in schema and isinstance(value, str):
        assert re.search(schema["pattern"], value), f"{where}: {value!r} !~ {schema['pattern']}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema:
            assert value >= schema["minimum"], where
        if "maximum" in schema:
            assert value <= schema["maximum"], where
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{where}: missing {name}"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                check_schema(doc, properties[key], item, f"{where}.{key}")
            elif extra is False:
                raise AssertionError(f"{where}: unexpected {key}")
            elif isinstance(extra, dict):
                check_schema(doc, extra, item, f"{where}.{key}")
    if isinstance(value, list):
        if "maxItems" in schema:
            assert len(value) <= schema["maxItems"], where
        for index, item in enumerate(value):
            check_schema(doc, schema.get("items", {}), item, f"{where}[{index}]")
