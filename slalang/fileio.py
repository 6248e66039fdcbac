"""File output shared by every command: written atomically, so a failed run never leaves
a half-written plan, report or formatted policy behind (RUNNER §1)."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str) -> None:
    """Write `data` to a temporary file beside `path`, then rename it into place.

    Only a regular file (or nothing) is ever replaced: `-o /dev/null`, a FIFO or a terminal
    is written to directly. Renaming over them would swap a device or a pipe someone reads
    for a plain file (as root, `/dev/null` itself), and none of them can be half-written
    in the way a report file can.
    """
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        mode = None  # nothing there yet (or a bad directory, which mkstemp names)
    if mode is not None and not stat.S_ISREG(mode):
        with open(path, "w", encoding="utf-8", newline="") as handle:
            handle.write(data)
        return
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(data)
        os.chmod(tmp, stat.S_IMODE(mode) if mode is not None else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
