"""Plan stage: the checked AST compiled to the evaluation plan, and the plan ⇄ JSON.

The plan is a JSON-ready dict and the evaluator's only input; its format is described in
docs/plan.md and pinned by `plan.schema.json` (JSON Schema 2020-12, shipped in the package).
"""

from slalang.plan.codec import FORMAT_VERSION, PLAN_SCHEMA, digest, dumps, loads
from slalang.plan.lower import compile_program

__all__ = ["FORMAT_VERSION", "PLAN_SCHEMA", "compile_program", "digest", "dumps", "loads"]
