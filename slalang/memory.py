"""Memory habits shared by the stages that build millions of small objects at once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building a large acyclic structure.

    The collector rescans every live container each time allocations pile up, so building
    a syntax tree or a million events it runs hundreds of times and can double the work,
    while none of these objects form a cycle. Restored afterwards, even on error.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
