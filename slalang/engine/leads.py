"""The events of a few leads, read from an input of any size the way the columnar reader
reads it, as the reference reader's `Event`s.

The columnar engine keeps no events once it has replayed them, but the HTML report embeds
the worst leads' stories as `slalang explain` tells them, and every engine's page must be
the same bytes as the reference engine's, which keeps every event. Reading the whole input
with the reference reader would hold every event as a Python object (gigabytes on 10M
events); this reads it as the engine does, in blocks, and keeps only the leads asked for,
so the timelines are the reference reader's to the byte (the same events, typed fields in
the same order, files and lines) in the memory of one block.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slalang.data.events import drop_duplicates
from slalang.data.log import Event
from slalang.engine import jsonl
from slalang.engine.reader import Chunk, ColumnarReader, Data

SOUGHT = 64
"""The most leads a block is searched for before it is split (`Wanted.literal`): `explain`
wants one. The HTML page's stories want up to 200 (`TIMELINES`): too many to search for
one by one, and most blocks would hold one of them anyway."""


@dataclass(frozen=True)
class Wanted:
    """The ids of the leads to keep."""

    ids: frozenset[str] = frozenset()
    _set: pa.Array = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_set", pa.array(sorted(self.ids), pa.string()))

    def __contains__(self, lead: object) -> bool:
        return lead in self.ids

    def literal(self, delimiter: str) -> list[bytes] | None:
        """The ids' UTF-8 bytes, when a CSV file written with `delimiter` holds each as it
        is in the cell of its lead (None: an id that writing quotes, or too many ids to
        look for one by one, `SOUGHT`)."""
        if len(self.ids) > SOUGHT or any(
            not lead or any(mark in lead for mark in ('"', delimiter, "\n", "\r"))
            for lead in self.ids
        ):
            return None
        return [lead.encode() for lead in sorted(self.ids)]

    def rows(self, leads: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
        """The positions of the wanted leads among LEADS."""
        return np.flatnonzero(pc.is_in(leads, value_set=self._set).to_numpy(zero_copy_only=False))


class LeadReader(ColumnarReader):
    """A columnar reader that sets aside the wanted leads' events.

    Rows read the fast way come as chunks, whose input position is the file's base plus the
    row's line; rows the reference row loop reads are its `Event`s, taken before they are
    turned into a chunk (`harvest`), their positions renumbered into the same sequence so
    that a lead's events from both paths sort into input order together.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wanted = Wanted()
        self.found: defaultdict[str, list[Event]] = defaultdict(list)

    def harvest(self, seq_of: Callable[[Event], int]) -> Chunk:
        leads = self.ref.leads
        for lead in [lead for lead in leads if lead in self.wanted]:
            self.found[lead].extend(event._replace(seq=seq_of(event)) for event in leads.pop(lead))
        return super().harvest(seq_of)

    def _cells(
        self,
        table: pa.Table,
        numbers: npt.NDArray[np.int64],
        dirty: npt.NDArray[np.bool_],
        layout: Any,
        *,
        iso: bool,
    ) -> Chunk:
        """Only the wanted leads' rows are typed: the others would be thrown away (so this
        reader's accounting counts only theirs). Three leads of 10M events: 2.64 s
        instead of 3.39 s."""
        rows = self.wanted.rows(table.column(f"c{layout.lead}"))
        mine = dirty[rows]
        chunk = super()._cells(table.take(rows), numbers[rows], mine, layout, iso=iso)
        dirty[rows] = mine
        return chunk

    def _passes_over(self, block: Data, delimiter: str) -> bool:
        """A block in which no wanted id's bytes occur holds none of its events: it is
        counted and passed over without being split: most of a large input, for the one
        lead `explain` reads (10M events: 2.1 s -> 1.4 s, and `explain` 7.0 s -> 6.4 s,
        the rest its count of the input on every core). A CSV cell holds an id's bytes
        as they are unless the id has a quote, the delimiter or a line end (then it is
        quoted, its quotes doubled), and a block of bytes that are not UTF-8 is left to the
        reading that tells what is wrong with it, so either kind is always split; so is
        every block when many leads are wanted, where searching for each would cost more
        than splitting."""
        literal = self.wanted.literal(delimiter)
        if literal is None or not (block.isascii() or jsonl.utf8(block)):
            return False
        return not any(block.find(lead) >= 0 for lead in literal)

    def timelines(
        self,
        paths: Sequence[str],
        stdin: BinaryIO | None = None,
        kept: Mapping[str, str] | None = None,
    ) -> dict[str, list[Event]]:
        """Every wanted lead's events in PATHS (`-`: STDIN; `kept`: the files inputs read
        once were kept in, as `read` takes them), as the reference reader's
        `EventLog.leads` holds them: repeated event ids dropped, sorted by instant then
        input order."""
        for chunk in self.read(paths, stdin, kept):
            rows = self.wanted.rows(chunk.lead)
            if len(rows):
                self._keep(chunk, rows)
        found: dict[str, list[Event]] = {}
        for lead, timeline in sorted(self.found.items()):
            timeline.sort(key=_input_order)
            if self.ref.has_ids:
                drop_duplicates(timeline)
            timeline.sort(key=_instant_order)
            found[lead] = timeline
        return found

    def _keep(self, chunk: Chunk, rows: npt.NDArray[np.int64]) -> None:
        """Rows of a chunk read the fast way, as events: their fields in the file's column
        order (the order the reference row loop sets them in), only those set."""
        taken = pa.array(rows)
        names = [name for _, name, _, _ in self._layout.fields]
        of = chunk.fields_of(rows)
        columns = [(name, of[name].to_pylist()) for name in names]
        file, base, types = self.ref.file, self.base, self.events
        for k, (lead, ts, seq, code, event_id) in enumerate(
            zip(
                chunk.lead.take(taken).to_pylist(),
                chunk.ts[rows].tolist(),
                chunk.seq[rows].tolist(),
                chunk.event[rows].tolist(),
                chunk.event_id.take(taken).to_pylist(),
                strict=True,
            )
        ):
            fields = {name: values[k] for name, values in columns if values[k] is not None}
            self.found[lead].append(Event(ts, seq, types[code], fields, event_id, file, seq - base))


def _input_order(event: Event) -> int:
    return event.seq


def _instant_order(event: Event) -> tuple[int, int]:
    return (event.ts, event.seq)
