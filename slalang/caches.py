"""Where slalang keeps what it computes once per machine and reuses: compiled kernels
(`slalang.engine.kernel`), the parser's tables (`slalang.syntax.parser`), public holidays
(`slalang.calendar`), the plans of policies the checker passed clean
(`slalang.plancache`) and the HTML report's charting runtime
(`slalang.render.report.html.vega_runtime`).

Everything kept there is derived, named by a digest of what it was made from (so it is
never stale), and safe to delete; a cache that cannot be written only means computing
again on every run.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def cache_root() -> Path:
    """`$SLALANG_CACHE_DIR` when set, else `$XDG_CACHE_HOME/slalang`, else
    `~/.cache/slalang`."""
    configured = os.environ.get("SLALANG_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "slalang"


def keep(path: Path, text: str) -> bool:
    """Write `text` to `path` in the cache atomically (a temporary file beside it, then
    renamed: a reader never sees half of it, and processes keeping the same file at once
    all succeed); False when the cache cannot be written, which only means computing
    again on every run."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, path)
    except OSError:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        return False
    return True
