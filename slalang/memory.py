"""Memory habits shared by the stages that build millions of small objects at once."""

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
