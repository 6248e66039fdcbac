"""`assemble` gives the batch the reference reader's rules give: repeated event ids dropped
per lead (the first in input order kept), each lead's events by (timestamp, input order),
leads in code-point order, field cells beside their events."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.data.log import InputStats
from slalang.data.values import FieldSpec
from slalang.engine.assemble import _SHORT, assemble
from slalang.engine.batch import Batch, Values
from slalang.engine.reader import schema

FIELDS = {"plan": FieldSpec("plan", "text"), "amount": FieldSpec("amount", "number")}
EVENTS = ("a", "b")

Row = tuple[str, int, int, str | None, str | None, float | None]
"""lead, ts, seq, event id, plan, amount (the event is `seq % 2`)."""


def table_of(rows: list[Row]) -> pa.Table:
    columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=True)] or [
        [] for _ in range(6)
    ]
    lead, ts, seq, ids, plan, amount = columns
    return pa.Table.from_arrays(
        [
            pa.array(lead, pa.string()),
            pa.array(ts, pa.int64()),
            pa.array(seq, pa.int64()),
            pa.array([s % 2 for s in seq], pa.int32()),
            pa.array(ids, pa.string()),
            pa.array(plan, pa.string()),
            pa.array(amount, pa.float64()),
        ],
        schema=schema(FIELDS),
    )


def expected(rows: list[Row], dedupe: bool) -> list[tuple[str, list[Row]]]:
    """The reference reader's rules, plainly: first of each (lead, id) by seq, then sort."""
    kept, seen = [], set()
    for row in sorted(rows, key=lambda r: r[2]):
        key = (row[0], row[3])
        if dedupe and row[3] is not None and key in seen:
            continue
        seen.add(key)
        kept.append(row)
    leads = sorted({row[0] for row in kept})
    return [
        (lead, sorted((r for r in kept if r[0] == lead), key=lambda r: r[1:3])) for lead in leads
    ]


def rows_of(batch: Batch) -> list[tuple[str, list[Row]]]:
    batch.check()
    plan, amount = batch.columns["plan"], batch.columns["amount"]
    out = []
    for i, lead in enumerate(batch.lead_ids):
        lo, hi = int(batch.offsets[i]), int(batch.offsets[i + 1])
        mine = []
        for r in range(lo, hi):
            code = int(plan.values[r])
            number = float(amount.values[r])
            mine.append(
                (
                    lead,
                    int(batch.ts[r]),
                    int(batch.seq[r]),
                    plan.dictionary[code] if code >= 0 else None,
                    None if np.isnan(number) else number,
                    int(batch.event[r]),
                )
            )
        out.append((lead, mine))
    return out


def chunked(table: pa.Table, cuts: list[int]) -> pa.Table:
    """`table` as chunks cut at the row numbers `cuts` (as the reader's blocks arrive; a
    cut may repeat, which makes an empty chunk)."""
    bounds = [0, *sorted(min(cut, len(table)) for cut in cuts), len(table)]
    pieces = [table.slice(lo, hi - lo) for lo, hi in itertools.pairwise(bounds)]
    return pa.concat_tables(pieces)


def check(rows: list[Row], dedupe: bool = True, cuts: list[int] | None = None) -> Batch:
    """The batch of `rows` (in chunks cut at `cuts`, however small, as a spilled
    partition's slices of every block are) is what the reference rules give."""
    table = chunked(table_of(rows), cuts or [])
    stats = InputStats(events=len(rows))
    batch, dropped = assemble(table, FIELDS, EVENTS, stats, dedupe)
    # the fields encoded on threads while the rows are arranged: the same batch
    threaded, also = assemble(table, FIELDS, EVENTS, stats, dedupe, threads=2)
    assert rows_of(threaded) == rows_of(batch) and also == dropped
    for name in FIELDS:
        assert list(threaded.columns[name].dictionary) == list(batch.columns[name].dictionary)
    want = expected(rows, dedupe)
    assert rows_of(batch) == [
        (lead, [(r[0], r[1], r[2], r[4], r[5], r[2] % 2) for r in mine]) for lead, mine in want
    ]
    assert dropped == len(rows) - sum(len(mine) for _, mine in want)
    assert batch.stats.duplicates == dropped
    assert batch.stats.events == len(rows) - dropped
    assert batch.stats.leads == len(want)
    # a text field's dictionary holds the kept cells' values only, in order of first
    # appearance in the table (as encoding the kept cells alone gives it)
    kept = Counter(r for _, mine in want for r in mine)
    appearing = []
    for row in rows_in_table_order(table):
        if kept[row]:
            kept[row] -= 1
            appearing.append(row[4])
    assert list(batch.columns["plan"].dictionary) == list(
        dict.fromkeys(p for p in appearing if p is not None)
    )
    return batch


def rows_in_table_order(table: pa.Table) -> list[Row]:
    columns = [table.column(name).to_pylist() for name in ("lead", "ts", "seq", "event_id")]
    fields = [table.column(f"f:{name}").to_pylist() for name in ("plan", "amount")]
    return list(zip(*columns, *fields, strict=True))


def test_an_empty_table_is_an_empty_batch() -> None:
    batch = check([])
    assert len(batch) == 0 and tuple(batch.lead_ids) == () and batch.offsets.tolist() == [0]
    assert batch.stats.first_ts is None and batch.stats.last_ts is None


def test_a_lead_with_one_event() -> None:
    batch = check([("L1", 5, 0, "e1", "pro", 2.5)])
    assert batch.stats.first_ts == batch.stats.last_ts == 5


def test_equal_ids_are_duplicates_within_a_lead_only() -> None:
    rows: list[Row] = [
        ("L2", 30, 0, "e1", "a", None),
        ("L1", 10, 1, "e1", "b", 1.0),  # another lead: kept
        ("L2", 5, 2, "e1", "c", None),  # a repeat, although earlier in time: dropped
        ("L2", 6, 3, None, None, None),  # no id: never a repeat
        ("L2", 6, 4, None, None, None),
        ("L2", 7, 5, "e10", None, None),  # a longer id sharing a prefix: kept
    ]
    batch = check(rows)
    assert batch.stats.duplicates == 1
    # `c` was only the dropped repeat's: not in the dictionary, and the others keep order
    assert list(batch.columns["plan"].dictionary) == ["a", "b"]
    assert list(check(rows, dedupe=False).columns["plan"].dictionary) == ["a", "b", "c"]


def test_equal_timestamps_keep_input_order_whatever_the_row_order() -> None:
    rows: list[Row] = [
        ("L1", 7, 3, "x3", "c", None),
        ("L1", 7, 1, "x1", "a", None),
        ("L1", 7, 2, "x2", "b", None),
        ("L1", 6, 9, "x9", None, 1.0),
    ]
    batch = check(rows)
    assert batch.seq.tolist() == [9, 1, 2, 3]


def test_leads_in_code_point_order() -> None:
    leads = ["é", "e\u0301", "Z", "a", "😀", "\uffff", "", "ab", "a b", "L10", "L9"]
    rows: list[Row] = [(lead, i, i, f"e{i}", None, None) for i, lead in enumerate(leads)]
    batch = check(rows)
    assert list(batch.lead_ids) == sorted(leads)


def test_a_long_lead_with_repeats_and_ties() -> None:
    count = 3 * _SHORT
    rows: list[Row] = [
        ("L1", (i * 7) % 11, (i * 37) % count, f"id{i % 40}" if i % 5 else None, None, float(i))
        for i in range(count)
    ]
    rows.append(("L0", 1, count, "id1", "x", None))
    check(rows)
    check(rows, dedupe=False)


def test_chunks_of_the_read_blocks_give_the_same_batch() -> None:
    """A lead's run and a field's dictionary that go on across chunks, an empty chunk, a
    chunk whose field cells are all unset, and a duplicate in another chunk."""
    rows: list[Row] = [
        ("L2", 3, 0, "e1", "pro", None),
        ("L2", 1, 1, "e2", None, None),
        ("L2", 2, 2, "e1", "team", 4.0),  # a repeat of seq 0, in the next chunk
        ("L1", 5, 3, "e3", None, None),
        ("L1", 4, 4, "e4", "pro", 1.5),
        ("L3", 4, 5, None, "solo", None),
    ]
    whole = check(rows)
    for cuts in ([1], [2, 2], [3, 4], [1, 2, 3, 4, 5], [0, 6]):
        batch = check(rows, cuts=cuts)
        plan, want = batch.columns["plan"], whole.columns["plan"]
        assert plan.values.tolist() == want.values.tolist()
        assert list(plan.dictionary) == list(want.dictionary)


def test_a_lead_in_several_long_runs_is_one_lead() -> None:
    """Runs of several rows are ranked by sorting their first rows as they are (without
    hashing them first): a lead that comes back in a later run is still one lead."""
    rows: list[Row] = [
        ("L2", 3, 0, "e1", "pro", None),
        ("L2", 1, 1, "e2", None, None),
        ("L1", 5, 2, "e3", None, None),
        ("L1", 4, 3, "e4", "pro", 1.5),
        ("L2", 2, 4, "e1", "team", 4.0),  # a repeat of seq 0
        ("L2", 0, 5, "e5", "solo", None),
    ]
    batch = check(rows)
    assert tuple(batch.lead_ids) == ("L1", "L2")
    assert batch.offsets.tolist() == [0, 2, 5]


def test_the_lead_ids_stay_an_arrow_array() -> None:
    """The report writes the lead ids from Arrow (`pa.array` takes them as they are), and a
    run of leads for a worker is a slice of the same array: no Python string per lead."""
    batch = check([(lead, 1, seq, None, None, None) for seq, lead in enumerate("CAB")])
    ids = batch.lead_ids
    assert isinstance(ids, Values)
    assert pa.array(ids, pa.large_string()).to_pylist() == ["A", "B", "C"]
    assert pa.array(ids, pa.string()) is ids.array
    run = ids[1:]
    assert isinstance(run, Values) and run.array.to_pylist() == ["B", "C"]
    assert list(ids) == ["A", "B", "C"] and ids[2] == "C"


ids = st.one_of(st.none(), st.sampled_from(["e1", "e2", "e12", "é", "e\x00", "E1"]))
lead_ids = st.sampled_from(["L1", "L2", "l1", "Ł", "L1 ", "😀"])


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(
        st.tuples(lead_ids, st.integers(0, 4), ids, st.sampled_from([None, "p", "q"])),
        max_size=3 * _SHORT,
    ),
    order=st.randoms(use_true_random=False),
    dedupe=st.booleans(),
    cuts=st.lists(st.integers(0, 3 * _SHORT), max_size=4),
)
def test_any_table(cells: list[Any], order: Any, dedupe: bool, cuts: list[int]) -> None:
    seqs = list(range(len(cells)))
    order.shuffle(seqs)
    rows: list[Row] = [
        (lead, ts, seq, event_id, plan, None if seq % 3 else float(seq))
        for (lead, ts, event_id, plan), seq in zip(cells, seqs, strict=True)
    ]
    check(rows, dedupe, cuts)
