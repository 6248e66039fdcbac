"""slalang: marketing-sales service level agreements as code.

The pipeline is the layout: text → syntax tree (`syntax`) → AST (`ast`) → checked
(`check`) → plan (`plan`) → replay per lead (`evaluate`) → aggregate → report.

The public Python API (docs/api.md) is `slalang.api`, re-exported here:
`slalang.load_policy(path).evaluate(events)` gives a `Report`. It is imported on first
use, so `import slalang.something` stays as light as that module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from slalang.api import (
        Checked,
        InstantError,
        Policy,
        Report,
        Selection,
        check_paths,
        load_policy,
    )
    from slalang.diagnostics import Diagnostic, PolicyError, SlalangError

_API = {
    "Checked": "slalang.api",
    "InstantError": "slalang.api",
    "Policy": "slalang.api",
    "Report": "slalang.api",
    "Selection": "slalang.api",
    "check_paths": "slalang.api",
    "load_policy": "slalang.api",
    "Diagnostic": "slalang.diagnostics",
    "PolicyError": "slalang.diagnostics",
    "SlalangError": "slalang.diagnostics",
}


def __getattr__(name: str) -> Any:
    """The API names, imported when first asked for (PEP 562)."""
    module = _API.get(name)
    if module is None:
        raise AttributeError(f"module 'slalang' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(module), name)


__all__ = [
    "Checked",
    "Diagnostic",
    "InstantError",
    "Policy",
    "PolicyError",
    "Report",
    "Selection",
    "SlalangError",
    "__version__",
    "check_paths",
    "load_policy",
]
