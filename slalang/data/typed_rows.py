"""Data in from typed columns (Parquet read by Spark, a table, a DuckDB query): Arrow record
batches turned into the rows of text cells the event reader's loops take.

Typed columns are used as they are: a timestamp column is an instant (with its zone, or
read in the mapping's zone when it has none), a number a number, a bool a bool. They reach
the reader as the text a CSV export of the same value would hold (ISO-8601 instants,
`true`/`false`, the shortest exact decimal), so one set of mapping rules, converters and
rejection reasons serves files and warehouses alike, and a value is judged the same way
whichever form it came in.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date, datetime, time
from typing import Any

Cell = Callable[[Any], str]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _bool(value: Any) -> str:
    return "" if value is None else ("true" if value else "false")


def _float(value: Any) -> str:
    # repr is the shortest text that reads back as the same float; nan/inf stay as text
    # the number converter refuses (counted as bad_number, as in a CSV)
    return "" if value is None else repr(float(value))


def _instant(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _bytes(value: Any) -> str:
    if value is None:
        return ""
    return bytes(value).decode("utf-8", "surrogateescape")


def _nested(value: Any) -> str:
    return "" if value is None else json.dumps(value, default=str, ensure_ascii=False)


def cell_text(arrow_type: Any) -> Cell:
    """How one Arrow column's Python values become cell text (chosen once per column)."""
    import pyarrow as pa

    types = pa.types
    if types.is_boolean(arrow_type):
        return _bool
    if types.is_floating(arrow_type):
        return _float
    if types.is_timestamp(arrow_type) or types.is_date(arrow_type) or types.is_time(arrow_type):
        return _instant
    if types.is_binary(arrow_type) or types.is_large_binary(arrow_type):
        return _bytes
    if types.is_nested(arrow_type):
        return _nested
    return _text  # strings, integers, decimals (Decimal's str is exact)


def batch_rows(batch: Any, columns: list[str]) -> list[list[str]]:
    """The rows of an Arrow record batch as text cells, in the order of `columns`."""
    cells: list[list[str]] = []
    for name in columns:
        column = batch.column(name)
        convert = cell_text(column.type)
        values = column.to_pylist()
        if convert is _text and _all_text(column.type):
            cells.append([v if v is not None else "" for v in values])
        else:
            cells.append([convert(v) for v in values])
    return [list(row) for row in zip(*cells, strict=True)] if cells else []


def _all_text(arrow_type: Any) -> bool:
    import pyarrow as pa

    return bool(pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type))


class NumberedRows:
    """Rows with the `line_num` the event reader reports a rejection at: the row's number
    in its file or query result (1-based), given per row since a Spark partition holds
    rows of a file from anywhere in it."""

    def __init__(self, rows: list[list[str]], numbers: list[int]) -> None:
        self._rows = rows
        self._numbers = numbers
        self.line_num = 0

    def __iter__(self) -> Iterator[list[str]]:
        for row, number in zip(self._rows, self._numbers, strict=True):
            self.line_num = number
            yield row
