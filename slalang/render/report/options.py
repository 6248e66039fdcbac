"""Report rendering: the choices a caller makes, shared by every format's renderer."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Options:
    """`color`: ANSI colours (the table on a terminal only). `limit`: how many violations the
    people-facing forms list before summing up the rest. `width`: the table's width in
    characters; None means the terminal's when colouring (it is one), else a fixed 100."""

    color: bool = False
    limit: int = 20
    width: int | None = None
