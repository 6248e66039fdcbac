"""Which engine a run uses: decided before anything heavy is imported, so a small run on the
reference replay never pays for loading pyarrow or the compiled kernel."""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Sequence

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
    for Parquet and for files of some size; standard input and small inputs (a named pipe
    counts nothing) take the reference replay. The API sizes the files it kept standard
    input and named pipes in instead (`slalang.api.keep_streams`)."""
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
    """About how many bytes of text the inputs hold: each file's stored bytes times its
    `_text_per_byte`, about what the same data takes as CSV."""
    return sum(_text_per_byte(path) * stored_bytes([path]) for path in paths)


def _text_per_byte(path: str) -> int:
    """About how many bytes of CSV text a stored byte of `path` holds: a gzip file (by its
    name or its first bytes) six, Parquet (a file, or the files of a directory) five, text
    one. A directory is never opened as a gzip file; a gzip file named `.parquet` is one."""
    if os.path.isdir(path):
        return 5
    if path.endswith(".gz") or is_gzip(path):
        return 6
    return 5 if path.lower().endswith(".parquet") else 1


def stored_bytes(paths: Sequence[str]) -> int:
    """The bytes the inputs take as stored (a directory: its files'), what a run's
    progress through them counts; 0 for one that cannot be told (standard input)."""
    size = 0
    for path in paths:
        with contextlib.suppress(OSError):
            if os.path.isdir(path):
                size += sum(entry.stat().st_size for entry in os.scandir(path))
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


def read_once(path: str) -> bool:
    """Whether input `path` can be read once only: standard input (`-`) or a named pipe
    (a FIFO, or process substitution's `/dev/fd/63`). Not a device or a socket, which the
    reader refuses (a copy of `/dev/zero` would fill the disk), nor a path that cannot be
    looked at, which the reader names in its one-line error."""
    if path == "-":
        return True
    try:
        return stat.S_ISFIFO(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


def is_gzip(path: str) -> bool:
    """Whether `path` is a regular file of gzip, by its first bytes (a pipe is never looked
    at: it is read once)."""
    if not rereadable(path) or not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        return handle.read(2) == b"\x1f\x8b"
