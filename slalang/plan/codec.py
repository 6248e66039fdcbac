"""Plan stage: the plan ⇄ JSON text — canonical output, digest, schema-checked input.

`dumps` writes what people read and diff (insertion order, indented); the digest is taken
over a separate canonical form (sorted keys, no whitespace), so it names the plan's
content and not its layout. `loads` is the evaluator's gate for a plan file: a plan that is
not exactly what this version of the compiler writes is refused with one line naming where.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from slalang.diagnostics import SlalangError

if TYPE_CHECKING:  # imported where a plan file is read back: compiling never needs it
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

FORMAT_VERSION = "1.1"
SCHEMA_FILE = "plan.schema.json"
# JSON parsing and schema validation recurse per level of nesting; no policy a person
# writes comes near the limit, but a plan file is input and must fail with a clear line.
_TOO_DEEP = "invalid plan: nested too deeply"
PLAN_SCHEMA: dict[str, Any] = json.loads(
    resources.files("slalang.plan").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
)


def is_plan_path(path: str) -> bool:
    """Whether a path given for a policy names a compiled plan (`.json`) rather than a
    `.sla` file: read back by `loads`, never parsed, checked or kept in the plan cache."""
    return path.endswith(".json")


def dumps(plan: dict[str, Any]) -> str:
    """The plan as JSON text: same plan, same bytes (indented, UTF-8 as is, final newline)."""
    return json.dumps(plan, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def digest(plan: dict[str, Any]) -> str:
    """`sha256:<hex>` of the plan's canonical JSON, without its own `digest` key."""
    body = {key: value for key, value in plan.items() if key != "digest"}
    canonical = json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def loads(text: str) -> dict[str, Any]:
    """A plan read back from JSON, refused with a `SlalangError` naming the JSON path unless
    it is valid against the schema, of this format version and unaltered since compiled."""
    try:
        plan = json.loads(text)
    except RecursionError:
        raise SlalangError(_TOO_DEEP) from None
    except json.JSONDecodeError as exc:
        raise SlalangError(
            f"invalid plan: not JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(plan, dict):
        raise SlalangError("invalid plan at `$`: expected a JSON object")
    version = plan.get("format_version")
    if version != FORMAT_VERSION:
        found = "missing" if version is None else f"`{version}` is not supported"
        raise SlalangError(
            f"invalid plan at `$.format_version`: {found} (this slalang reads "
            f"`{FORMAT_VERSION}`; compile the policy again)"
        )
    from jsonschema.exceptions import best_match

    try:
        error = best_match(_validator().iter_errors(plan))
    except RecursionError:
        raise SlalangError(_TOO_DEEP) from None
    if error is not None:
        raise SlalangError(f"invalid plan at `{error.json_path}`: {_describe(error)}")
    if plan["digest"] != digest(plan):
        raise SlalangError(
            "invalid plan at `$.digest`: does not match the plan's content "
            "(edited after compiling? compile the policy again)"
        )
    return plan


@cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(PLAN_SCHEMA)
    return Draft202012Validator(PLAN_SCHEMA)


def _describe(error: ValidationError) -> str:
    """One short line: JSON Schema's own messages quote whole (possibly huge) instances."""
    expected: Any = error.validator_value
    instance: Any = error.instance
    schema: Any = error.schema
    match error.validator:
        case "required":
            missing = [key for key in expected if key not in instance]
            return f"missing key `{missing[0]}`"
        case "additionalProperties":
            allowed = schema.get("properties", {})
            extra = sorted(key for key in instance if key not in allowed)
            return f"unexpected key `{extra[0]}`" if extra else "unexpected key"
        case "type":
            return f"expected {_types(expected)}, found {_json_type(instance)}"
        case "const" | "enum":
            return f"unexpected value `{_short(instance)}`"
        case "oneOf" | "anyOf":
            return "not a valid node here"
    return _short(error.message)


def _types(value: str | list[str]) -> str:
    return " or ".join(value) if isinstance(value, list) else value


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }.get(type(value), type(value).__name__)


def _short(value: Any, limit: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
