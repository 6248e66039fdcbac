"""Report rendering: the choices a caller makes, shared by every format's renderer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Options:
    """`color`: ANSI colours (the table on a terminal only). `limit`: how many violations the
    people-facing forms list before summing up the rest. `width`: the table's width in
    characters; None means the terminal's when colouring (it is one), else a fixed 100.

    The rest is context the report dict does not hold, each optional: `plan`, the evaluated
    plan (for goal lines on compliance charts and the funnel's stage order); `timelines`,
    lead id → that lead's story as `slalang explain` tells it (the HTML report embeds
    those); `id_column`, the lead id column's name in the export (for `leads`);
    `hide_empty`, leave out target rows with no data (a group nobody was in that period).

    `encoded`: a renderer that streams may give pieces that are not strings where its
    source holds the text so (JSON's long lists as UTF-8 bytes or `fileio.Stored` files,
    which `fileio.write_pieces` copies out as they are); `render_report` leaves it off."""

    color: bool = False
    limit: int = 20
    width: int | None = None
    plan: Mapping[str, Any] | None = None
    timelines: Mapping[str, str] = field(default_factory=dict)
    id_column: str = "lead_id"
    hide_empty: bool = False
    encoded: bool = False
