"""Memory and process habits shared by the stages that build millions of small objects at once
and by the processes of a run."""

from __future__ import annotations

import gc
import multiprocessing
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building a large acyclic structure.

    The collector rescans every live container each time allocations pile up, so building
    a syntax tree or a million events it runs hundreds of times and can double the work,
    while none of these objects form a cycle. Loading numba and a kernel from its cache
    is the same story (its registries: hundreds of thousands of long-lived objects, no
    garbage): paused, loading the assembling loop and the seed policy's kernel took
    0.77-0.86 CPU-s instead of 1.04-1.16 (four fresh processes each, load 6). Restored
    afterwards, even on error; usable as a decorator.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def can_fork(platform: str = sys.platform) -> bool:
    """Whether worker processes may be forked from this one, sharing its pages (a batch in
    memory, the modules it imported) instead of building them again: where `fork` exists,
    except on macOS, where a forked child can crash once a system framework has started
    threads (numpy's wheels use Accelerate there), and Python itself starts with `spawn`.
    Where it may not, the work forked elsewhere is done in this process or by workers
    started afresh."""
    return platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


FORK = can_fork()


class _NoPandas:
    """An import finder that says pandas is not installed (see `refuse_pandas`)."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas":
            raise ModuleNotFoundError("slalang's engine runs without pandas", name=name)


def refuse_pandas() -> None:
    """From now on, this process imports no pandas, unless it has already.

    Arrow imports pandas, when it is installed, the first time a process converts Python
    objects or asks for a NumPy copy of a column with nulls (to know pandas' own missing
    values), whether or not a pandas object is in sight: half a second of one core, in
    every process of a run (measured: 1M events 2.77 -> 2.20 s, 10M 10.6 -> 8.8 s, with
    the Spark extra installed). Nothing the engine gives Arrow comes from pandas, so its
    processes go without: the `slalang` command's own (until the Spark engine, which needs
    pandas, is chosen: `allow_pandas`) and every worker process the engine starts. A
    program that uses slalang as a library keeps pandas; only the workers refuse it."""
    if "pandas" not in sys.modules and not any(isinstance(f, _NoPandas) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoPandas())


def allow_pandas() -> None:
    """Undo `refuse_pandas` (the Spark engine's driver needs pandas)."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _NoPandas)]
