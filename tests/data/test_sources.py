"""The CSV row source: its split-on-the-delimiter fast path must read exactly what the
csv module reads, with the line numbers a person sees in an editor."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.data.sources import CsvRows

CELLS = st.text(alphabet=st.sampled_from('ab ,;"\n\r\t'), max_size=6)


def rows_of(data: bytes) -> tuple[list[list[str]], list[int], list[tuple[int, str]]]:
    rejected: list[tuple[int, str]] = []
    source = CsvRows(io.BufferedReader(io.BytesIO(data)), lambda n, r, d: rejected.append((n, r)))
    rows, lines = [], []
    for row in source:
        rows.append(row)
        lines.append(source.line_num)
    return rows, lines, rejected


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.lists(CELLS, min_size=3, max_size=3), min_size=1, max_size=8))
def test_rows_match_the_csv_module(table: list[list[str]]) -> None:
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator="\r\n").writerows([["h1", "h2", "h3"], *table])
    rows, lines, rejected = rows_of(text.getvalue().encode())
    assert rejected == []
    assert rows == list(csv.reader(io.StringIO(text.getvalue(), newline="")))
    assert lines[0] == 1
    for row, line, following in zip(rows, lines, lines[1:], strict=False):
        spanned = sum(cell.count("\n") + cell.count("\r") - cell.count("\r\n") for cell in row)
        assert following == line + 1 + spanned


def test_quotes_blank_lines_and_line_numbers() -> None:
    data = b'lead_id,title\nL1,"VP, Sales ""EMEA"""\nL2,5" screen\n\nL3,"two\r\nlines"\nL4,x\n'
    rows, lines, _ = rows_of(data)
    assert rows == [
        ["lead_id", "title"],
        ["L1", 'VP, Sales "EMEA"'],
        ["L2", '5" screen'],
        [""],
        ["L3", "two\r\nlines"],
        ["L4", "x"],
    ]
    assert lines == [1, 2, 3, 4, 5, 7]


def test_a_record_the_csv_module_refuses_is_reported_and_skipped() -> None:
    data = b'h1,h2\n"' + b"x" * 200_000 + b'",1\nL2,2\n'
    rows, lines, rejected = rows_of(data)
    assert rows == [["h1", "h2"], [], ["L2", "2"]]
    assert rejected == [(2, "bad_row")]
    assert lines[-1] == 3
