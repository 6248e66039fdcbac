"""Report stage: the JSON Schema of the report contract (RUNNER §3), and a check against it.

The schema ships in the package (`report.schema.json`) so consumers validate what they read
with the same file the project tests every report it produces against.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

SCHEMA_FILE = "report.schema.json"
REPORT_SCHEMA: dict[str, Any] = json.loads(
    resources.files("slalang.evaluate").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
)
# A type error on a large object quotes the whole object; a path and a glimpse are enough.
_MESSAGE_LIMIT = 300
_REF_KEYS = ("$ref", "$defs")


@cache
def _validator() -> Draft202012Validator:
    """A validator for the schema with its `$defs` written in place: resolving a `$ref` per
    use costs as much as the check itself, and a report has one violation per breach."""
    Draft202012Validator.check_schema(REPORT_SCHEMA)
    return Draft202012Validator(_inline(REPORT_SCHEMA, REPORT_SCHEMA["$defs"]))


def _inline(node: Any, defs: Mapping[str, Any]) -> Any:
    """`node` with every local `$ref` replaced by its definition (the schema has no cycles)."""
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    rest = {key: _inline(value, defs) for key, value in node.items() if key not in _REF_KEYS}
    if "$ref" not in node:
        return rest
    target = _inline(defs[node["$ref"].removeprefix("#/$defs/")], defs)
    return {"allOf": [target, rest]} if rest else target


def validate_report(report: Mapping[str, Any]) -> None:
    """Raise `jsonschema.ValidationError` with one line naming the JSON path unless `report`
    keeps the contract; a plain error rather than an assert, so it also works under `-O`."""
    error = best_match(_validator().iter_errors(report))
    if error is None:
        return
    message = error.message
    if len(message) > _MESSAGE_LIMIT:
        message = message[: _MESSAGE_LIMIT - 1] + "…"
    raise ValidationError(f"invalid report at `{error.json_path}`: {message}") from error
