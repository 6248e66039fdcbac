"""Plan stage: the checked AST compiled to the evaluation plan, and the plan ⇄ JSON.

The plan is a JSON-ready dict and the evaluator's only input; its format is described in
docs/plan.md and pinned by `plan.schema.json` (JSON Schema 2020-12, shipped in the package).
"""

from typing import TYPE_CHECKING, Any

from slalang.plan.codec import FORMAT_VERSION, PLAN_SCHEMA, digest, dumps, is_plan_path, loads

if TYPE_CHECKING:
    from slalang.plan.lower import compile_program


def __getattr__(name: str) -> Any:
    """`compile_program`, imported when first asked for: the compiler brings the parser and
    the syntax tree (0.1 s), which a run of a kept or given plan never needs (it reads
    only the codec, e.g. for a plan's digest)."""
    if name == "compile_program":
        from slalang.plan.lower import compile_program

        return compile_program
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "FORMAT_VERSION",
    "PLAN_SCHEMA",
    "compile_program",
    "digest",
    "dumps",
    "is_plan_path",
    "loads",
]
