"""Where slalang keeps what it computes once per machine and reuses: compiled kernels
(`slalang.engine.kernel`) and the parser's tables (`slalang.syntax.parser`).

Everything kept there is derived, named by a digest of what it was made from (so it is
never stale), and safe to delete; a cache that cannot be written only means computing
again on every run.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_root() -> Path:
    """`$SLALANG_CACHE_DIR` when set, else `$XDG_CACHE_HOME/slalang`, else
    `~/.cache/slalang`."""
    configured = os.environ.get("SLALANG_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "slalang"
