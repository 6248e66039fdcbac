"""Entries written as JSON text a column at a time (`slalang.engine.lines`) against the
reference's own writing, value by value: the edges a run's data seldom reaches."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pyarrow as pa

from slalang.engine.lines import (
    TEXT,
    Lines,
    Text,
    Texts,
    distinct_rows,
    fill,
    instant_pieces,
    instants,
    integers,
    join,
    strings,
    template,
)
from slalang.evaluate.model import iso
from slalang.render.report.json_text import Prerendered, compact, pieces


def _at(*args: int) -> int:
    return int(datetime(*args, tzinfo=UTC).timestamp())  # type: ignore[misc]


EDGES = [
    0,
    -1,  # 1969-12-31T23:59:59Z
    _at(2026, 12, 31, 23, 59, 59),
    _at(2027, 1, 1),
    _at(2028, 2, 29, 12),
    _at(2026, 3, 8, 8, 0, 0),  # a DST change in the US, which UTC instants never see
    _at(1000, 1, 1),
    _at(8999, 12, 31, 23, 59, 59),
]


def test_instants_are_written_as_the_report_writes_them() -> None:
    got = instants(np.array(EDGES, np.int64)).to_pylist()
    assert got == [compact(iso(ts)) for ts in EDGES]


def test_missing_instants_are_null_and_close_ones_share_their_days() -> None:
    near = np.array([_at(2026, 1, 5, 6, 6, 17), -(1 << 62), _at(2026, 1, 5, 23)], np.int64)
    got = instants(near, near == -(1 << 62)).to_pylist()
    assert got == ['"2026-01-05T06:06:17Z"', "null", '"2026-01-05T23:00:00Z"']
    assert instants(near[1:2], np.array([True])).to_pylist() == ["null"]
    assert instants(np.zeros(0, np.int64)).to_pylist() == []


def test_the_text_after_an_instant_follows_it_present_or_null() -> None:
    """An entry's constant text after an instant is joined to the instant's last piece
    once (the empty text after a `null` included), never lost or doubled."""
    ts = np.array([_at(2026, 1, 5, 6, 6, 17), -(1 << 62), 0], np.int64)
    missing = ts == -(1 << 62)
    flipped = ts[::-1].copy()
    pieces = ["[", *instant_pieces(ts, missing), ", ", *instant_pieces(flipped, missing[::-1])]
    got = join([*pieces, "]"]).to_pylist()

    def text(at: int) -> str:
        return "null" if at == -(1 << 62) else compact(iso(at))

    want = [f"[{text(a)}, {text(b)}]" for a, b in zip(ts.tolist(), flipped.tolist(), strict=True)]
    assert got == want


def test_integers_as_python_writes_them() -> None:
    """Far apart (each row's written) or close (each number there is written once)."""
    values = np.array([0, -1, 7, 2**62, -(2**63)], np.int64)
    assert join([integers(values)]).to_pylist() == [str(v) for v in values.tolist()]
    missing = np.array([False, True, False, True, False])
    got = join([integers(values, missing)]).to_pylist()
    assert got == ["0", "null", "7", "null", str(-(2**63))]
    close = np.array([3, -2, 3, 0, 2**40, 1], np.int64)
    hidden = np.array([False, False, False, True, True, False])
    assert join([integers(close, hidden)]).to_pylist() == ["3", "-2", "3", "null", "null", "1"]
    assert join([integers(close[:1])]).to_pylist() == ["3"]
    assert join([integers(close[3:5], hidden[3:5])]).to_pylist() == ["null", "null"]


def _quoted(texts: list[str]) -> list[str]:
    column, mark = strings(texts)
    return [mark + text + mark for text in column.to_pylist()]


def test_lead_ids_quoted_as_the_encoder_quotes_them() -> None:
    plain = ["L1", "caf\u00e9 \U0001f600", "line\u2028sep", "\x7f"]
    assert _quoted(plain) == [compact(text) for text in plain]
    for bad in ['say "hi"', "back\\slash", "tab\there", "\x00", "\x1f"]:
        hostile = [*plain, bad]
        assert _quoted(hostile) == [compact(text) for text in hostile]
    assert _quoted([]) == []


def test_pieces_of_every_shape_joined_row_by_row() -> None:
    """Constants, texts per row and small and large tables, neighbours paired into one
    table or not: every row is its pieces end to end."""
    rng = np.random.default_rng(7)
    for rows in (1, 2, 5, 40, 3000):
        small = Texts(pa.array(["a", "bé", ""], TEXT), rng.integers(0, 3, rows))
        one = Texts(pa.array(["x"], TEXT), np.zeros(rows, np.int64))
        large_texts = [f"<{i}>" for i in range(5000)]
        large = Texts(pa.array(large_texts, TEXT), rng.integers(0, 5000, rows))
        per_row = pa.array([f"r{i}" for i in range(rows)], TEXT)
        pieces = ["{", small, ",", one, large, "", per_row, small, "}", "]"]
        want = []
        for i in range(rows):
            a, b = ["a", "bé", ""][small.keys[i]], large_texts[large.keys[i]]
            want.append(f"{{{a},x{b}r{i}{a}}}]")
        assert join(pieces).to_pylist() == want
    assert join(["a", pa.array([], TEXT), "b"]).to_pylist() == []


def test_a_template_filled_is_the_entry_encoded() -> None:
    """Constant text holding quotes, NUL characters (what marks a hole) and non-ASCII
    stays as the encoder writes it; holes may be nested."""
    entry = {
        "rule": 'a "b" \x00\x00 c',
        "lead_id": "",
        "details": {"note": "é\\", "at": "", "n": None},
        "last": [1, "\x00"],
    }
    holes = [("lead_id",), ("details", "at")]
    cut = template(entry, holes)
    assert len(cut) == 3
    leads = ["L1", 'q"uote']
    ats = [iso(0), iso(86399)]
    column, mark = strings(leads)
    got = fill([cut], np.zeros(2, np.int64), [[mark, column, mark], instants(np.array([0, 86399]))])
    expected = []
    for lead, at in zip(leads, ats, strict=True):
        filled = {**entry, "lead_id": lead, "details": {**entry["details"], "at": at}}
        expected.append(compact(filled))
    assert got.to_pylist() == expected


def test_kinds_pick_their_templates() -> None:
    cuts = [template({"kind": k, "at": ""}, [("at",)]) for k in ("a", "b")]
    got = fill(cuts, np.array([1, 0, 1]), [integers(np.array([1, 2, 3]))])
    assert got.to_pylist() == [
        '{"kind": "b", "at": 1}',
        '{"kind": "a", "at": 2}',
        '{"kind": "b", "at": 3}',
    ]


def _texts(items: list[str]) -> pa.ChunkedArray:
    half = len(items) // 2
    return pa.chunked_array([pa.array(items[:half], TEXT), pa.array(items[half:], TEXT)], TEXT)


def test_text_is_written_as_entries_one_a_line() -> None:
    """Many chunks, empty chunks, a tail of strings: the same bytes as a list of entries."""
    entries = [{"n": i, "s": "é" * (i % 3)} for i in range(70_000)]
    lines = [compact(e) for e in entries]
    tail = [compact({"tail": 1}), compact({"tail": 2})]
    want = "".join(pieces({"a": [*entries, {"tail": 1}, {"tail": 2}], "b": [], "c": 1}))
    got = "".join(pieces({"a": Text.of(_texts(lines), tail), "b": Text.of(_texts([])), "c": 1}))
    assert got == want
    only_tail = "".join(pieces({"a": Text.of(_texts([]), tail)}))
    assert only_tail == "".join(pieces({"a": [{"tail": 1}, {"tail": 2}]}))
    streamed = "".join(pieces({"a": Prerendered(len(lines), iter(lines))}))
    assert streamed == "".join(pieces({"a": entries}))
    assert list(Text.of(_texts(lines[:3]), tail).lines) == lines[:3] + tail


def test_lines_give_their_leads_beside_their_text() -> None:
    lines = Lines(("A", "B", "C"), np.array([0, 2, 2]), _texts(["x", "y", "z"]))
    assert len(lines) == 3
    assert list(lines) == [("A", "x"), ("C", "y"), ("C", "z")]
    assert lines.table().to_pylist() == [
        {"lead": "A", "line": "x"},
        {"lead": "C", "line": "y"},
        {"lead": "C", "line": "z"},
    ]


def test_distinct_rows_as_numpy_finds_them() -> None:
    rows = np.array([[1, 5, 0], [0, 9, 1], [1, 5, 0], [0, 9, 0], [-3, 2**40, 7]], np.int64)
    distinct, inverse = distinct_rows(rows)
    want, want_inverse = np.unique(rows, axis=0, return_inverse=True)
    assert distinct.tolist() == want.tolist()
    assert inverse.tolist() == want_inverse.reshape(-1).tolist()
    empty, none = distinct_rows(np.zeros((0, 3), np.int64))
    assert empty.shape == (0, 3) and len(none) == 0
