"""Which engine a run uses: decided before anything heavy is imported, so a small run on the
reference replay never pays for loading pyarrow or the compiled kernel."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Sequence
from typing import Any

from slalang.diagnostics import SlalangError

ENGINES = ("local", "reference")

SMALL = 16 << 20
"""Input bytes below which `--engine local` runs the reference replay: starting the
columnar engine (pyarrow, the compiled kernel from its cache) costs more than it saves on
less than about 200,000 rows (measured in bench/bench_engine.py; docs/engine.md)."""
SMALL_ROWS = 200_000
"""`SMALL` in rows, for an engine that learns how many rows it read, not their bytes
(Spark's executors replay a small text input with the reference replay, as a local run)."""


def chooses_local(engine: str, paths: Sequence[str]) -> bool:
    """Whether a run with `--engine ENGINE` on PATHS uses the columnar engine: `local` does
    for Parquet and for files of some size; standard input and small inputs take the
    reference replay."""
    if engine not in ENGINES:
        raise SlalangError(f"unknown engine `{engine}` (one of {', '.join(ENGINES)})")
    parquet = [path for path in paths if path != "-" and is_parquet(path)]
    if parquet:
        if engine == "reference":
            raise SlalangError(
                f"{parquet[0]}: Parquet is read by the local engine only; "
                "leave out --engine reference"
            )
        return True
    if engine == "reference" or "-" in paths:
        return False
    return input_bytes(paths) >= SMALL


def input_bytes(paths: Sequence[str]) -> int:
    """About how many bytes of text the inputs hold: a gzip file (by its name or its first
    bytes) counted six times, Parquet (a file, or the files of a directory) five times,
    about what the same data takes as CSV."""
    size = 0
    for path in paths:
        with contextlib.suppress(OSError):
            if os.path.isdir(path):
                size += 5 * sum(entry.stat().st_size for entry in os.scandir(path))
            elif path.endswith(".gz") or is_gzip(path):
                size += 6 * os.path.getsize(path)
            elif path.lower().endswith(".parquet"):
                size += 5 * os.path.getsize(path)
            else:
                size += os.path.getsize(path)
    return size


def rereadable(path: str) -> bool:
    """Whether `path` can be opened again (a regular file, or a directory): not standard
    input or any other pipe, whose bytes are read once, so nothing may look at them first."""
    return path != "-" and (os.path.isfile(path) or os.path.isdir(path))


def is_parquet(path: str) -> bool:
    """A `.parquet` file or a directory (of Parquet files), or a file starting `PAR1` (a
    regular file: a pipe's first bytes, read here, would be lost to the read)."""
    if os.path.isdir(path) or path.lower().endswith(".parquet"):
        return True
    if not rereadable(path):
        return False
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def kept_stdin(stdin: Any) -> str | None:
    """The file standard input was kept in (`slalang.api.keep_stdin`: a named temporary
    file), which is read by its name, from its start, as often as need be; None for a
    stream (a pipe, rows in memory), which is read once, as it comes."""
    name = getattr(stdin, "name", None)
    return name if isinstance(name, str) and os.path.isfile(name) else None


def is_gzip(path: str) -> bool:
    """Whether `path` is a regular file of gzip, by its first bytes (a pipe is never looked
    at: it is read once)."""
    if not rereadable(path) or not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"
