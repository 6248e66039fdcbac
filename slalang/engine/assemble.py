"""Chunks of read events → a `Batch`: duplicates dropped, rows sorted, fields encoded.

This is the columnar counterpart of the reference reader's `finish`: repeated event ids are
dropped per lead keeping the first in input order (RUNNER §5), each lead's events are
sorted by (timestamp, input order), and leads come in code-point order. It runs on a whole
log or on one partition of it (a partition holds every event of its leads), so the same
code serves the in-memory and the spilled path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from slalang.data.log import InputStats
from slalang.data.values import FieldSpec
from slalang.engine.batch import MISSING, Batch, Column


def concat(tables: Sequence[pa.Table], schema: pa.Schema) -> pa.Table:
    """The tables as one (an empty one of `schema` when there are none)."""
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables).combine_chunks()


def assemble(
    table: pa.Table,
    specs: Mapping[str, FieldSpec],
    event_types: Sequence[str],
    stats: InputStats,
    dedupe: bool,
) -> tuple[Batch, int]:
    """The batch of `table` (columns as `reader.schema`) and how many duplicates were
    dropped. `stats` is copied into the batch with `duplicates`, `events`, `leads`,
    `first_ts` and `last_ts` brought up to date for these rows."""
    lead_column = table.column("lead").combine_chunks()
    lead_ids = pc.unique(lead_column)
    lead_ids = lead_ids.take(pc.sort_indices(lead_ids))
    lead_index = np.asarray(pc.index_in(lead_column, lead_ids).to_numpy(zero_copy_only=False))
    ts = table.column("ts").to_numpy()
    seq = table.column("seq").to_numpy()
    keep = None
    duplicates = 0
    if dedupe and len(table):
        ids = table.column("event_id").combine_chunks()
        present = np.asarray(pc.is_valid(ids).to_numpy(zero_copy_only=False))
        if present.any():
            id_codes = np.asarray(
                pc.dictionary_encode(ids).indices.fill_null(-1).to_numpy(), np.int64
            )
            where = np.flatnonzero(present)
            order = where[np.lexsort((seq[where], id_codes[where], lead_index[where]))]
            same = (lead_index[order][1:] == lead_index[order][:-1]) & (
                id_codes[order][1:] == id_codes[order][:-1]
            )
            if same.any():
                keep = np.ones(len(table), bool)
                keep[order[1:][same]] = False
                duplicates = int(same.sum())
    rows = np.lexsort((seq, ts, lead_index))
    if keep is not None:
        rows = rows[keep[rows]]
    sizes = np.bincount(lead_index[rows], minlength=len(lead_ids))
    offsets = np.zeros(len(lead_ids) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    take = pa.array(rows)
    columns = {
        name: _column(table.column(f"f:{name}").take(take), spec) for name, spec in specs.items()
    }
    sorted_ts = np.ascontiguousarray(ts[rows], np.int64)
    batch_stats = dataclasses.replace(
        stats,
        rejected=dict(stats.rejected),
        rejected_examples=list(stats.rejected_examples),
        unknown_events=dict(stats.unknown_events),
        duplicates=stats.duplicates + duplicates,
        events=stats.events - duplicates,
        leads=len(lead_ids),
        first_ts=int(sorted_ts.min()) if len(rows) else None,
        last_ts=int(sorted_ts.max()) if len(rows) else None,
    )
    batch = Batch(
        lead_ids=tuple(lead_ids.to_pylist()),
        offsets=offsets,
        ts=sorted_ts,
        seq=np.ascontiguousarray(seq[rows], np.int64),
        event=np.ascontiguousarray(table.column("event").to_numpy()[rows], np.int32),
        event_types=tuple(event_types),
        columns=columns,
        stats=batch_stats,
    )
    return batch, duplicates


def _column(values: pa.ChunkedArray, spec: FieldSpec) -> Column:
    array = values.combine_chunks()
    if spec.type == "number":
        return Column("number", np.asarray(array.fill_null(np.nan).to_numpy(), np.float64))
    encoded = pc.dictionary_encode(array)
    codes = np.asarray(encoded.indices.fill_null(MISSING).to_numpy(), np.int32)
    return Column(spec.type, codes, tuple(encoded.dictionary.to_pylist()))
