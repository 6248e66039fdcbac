"""The columnar batch: a whole event log as typed, sorted arrays, what the compiled kernel reads.

The reference replay walks Python `Event` objects (≈ 400 bytes each); a batch holds the same
events as a few numpy arrays (≈ 30 bytes per event for a typical policy), in the order the
replay needs them, so a compiled loop can run over them without touching a Python object.

Layout (every per-row array has one entry per used event):

- rows are sorted by (lead, timestamp, input order), exactly the reference replay order;
- `lead_ids[i]` is lead i's id and the leads are in sorted (code-point) order, the order in
  which the reference replays and reports them; lead i owns rows
  `offsets[i]:offsets[i + 1]` (`offsets` has `len(lead_ids) + 1` entries, `offsets[0] == 0`);
- `ts`: int64 Unix seconds (UTC), as `Event.ts`; `seq`: int64 input position, as `Event.seq`;
- `event`: int32 index into `event_types`, which is the plan's `events` list in plan order
  (unknown event types never reach a batch: the reader counts them);
- `columns`: one `Column` per declared field (all of `plan["fields"]`), see `Column`;
- `stats`: the reader's input accounting, as for an `EventLog` (the report's `input` block).

A reader may build batches any way it likes (pyarrow, polars…) as long as `check()` passes;
`from_event_log` builds one from the reference reader's `EventLog`, which is how the
differential tests feed the kernel the very events the reference replay sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, overload

import numpy as np
import numpy.typing as npt

from slalang.data import EventLog
from slalang.data.log import InputStats
from slalang.data.values import FieldType, FieldValue

if TYPE_CHECKING:
    import pyarrow as pa

MISSING = -1
"""The code of a cell the event does not set, in every dictionary-encoded column."""

Int32Array = npt.NDArray[np.int32]
Int64Array = npt.NDArray[np.int64]
Float64Array = npt.NDArray[np.float64]
T = TypeVar("T", bound=FieldValue)


class Values(Sequence[T]):
    """Distinct values kept as the Arrow array they came in (a dictionary's values, a
    batch's lead ids), made Python values only when one is asked for: a column of an
    e-mail address per lead has a hundred thousand of them, the kernel's bulk `matches`
    reads the array itself, and the report writes lead ids from the array (`pa.array`
    takes a `Values` as it is, by `__arrow_array__`) without a Python string per lead."""

    __slots__ = ("_items", "array")

    def __init__(self, array: pa.Array) -> None:
        self.array = array
        self._items: tuple[T, ...] | None = None

    @property
    def items(self) -> tuple[T, ...]:
        if self._items is None:
            self._items = tuple(self.array.to_pylist())
        return self._items

    def __len__(self) -> int:
        return len(self.array)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> Values[T]: ...

    def __getitem__(self, index: int | slice) -> T | Values[T]:
        if isinstance(index, slice):  # a run of leads for a worker: still no Python values
            return Values(self.array[index])
        return self.items[index]

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __arrow_array__(self, type: pa.DataType | None = None) -> pa.Array:
        """The array, as `pa.array(values, type)` asks for it."""
        return self.array if type is None or type == self.array.type else self.array.cast(type)


@dataclass(frozen=True, slots=True)
class Column:
    """One declared field's cells, row by row.

    A `number` field is float64 with NaN where the event sets no value (the reader refuses
    NaN and infinities, so NaN can only mean "not set"). Every other type (`text`,
    `one_of`, `bool`, `date`) is dictionary-encoded: int32 codes into `dictionary`, the
    distinct values as the reference reader types them (`str`, `bool`, `datetime.date`),
    with `MISSING` where the event sets no value. Encoding every non-number type the same
    way lets the kernel turn any predicate on one such field into a lookup table computed
    once per distinct value, so `matches`, `in` and date comparisons cost one array read.
    Dictionary order is free; values must be distinct and never the empty string.
    """

    type: FieldType
    values: npt.NDArray[Any]
    dictionary: Sequence[FieldValue] = ()

    @property
    def encoded(self) -> bool:
        return self.type != "number"


@dataclass(frozen=True, slots=True)
class Batch:
    """A whole event log, columnar and sorted (see the module doc for the layout)."""

    lead_ids: Sequence[str]  # a tuple, or the `Values` of an Arrow array
    offsets: Int64Array
    ts: Int64Array
    seq: Int64Array
    event: Int32Array
    event_types: tuple[str, ...]
    columns: Mapping[str, Column]
    stats: InputStats

    def __len__(self) -> int:
        return len(self.ts)

    def check(self) -> None:
        """Raise ValueError unless the arrays keep the layout's promises (for readers'
        tests, and for the kernel's callers that assemble batches by hand)."""
        rows = len(self.ts)
        offsets = self.offsets
        _expect(offsets.dtype == np.int64 and len(offsets) == len(self.lead_ids) + 1, "offsets")
        _expect(offsets[0] == 0 and offsets[-1] == rows, "offsets must span every row")
        _expect(bool(np.all(np.diff(offsets) > 0)), "every lead has at least one event")
        _expect(list(self.lead_ids) == sorted(set(self.lead_ids)), "lead ids sorted, distinct")
        for name, array, dtype in (
            ("ts", self.ts, np.int64),
            ("seq", self.seq, np.int64),
            ("event", self.event, np.int32),
        ):
            _expect(array.dtype == dtype and array.shape == (rows,), f"`{name}` is {dtype}")
        if rows:
            _expect(
                int(self.event.min()) >= 0 and int(self.event.max()) < len(self.event_types),
                "event codes index event_types",
            )
            # within a lead: ts ascending, ties in input order
            same = np.repeat(np.arange(len(self.lead_ids)), np.diff(offsets))
            later = same[1:] == same[:-1]
            dt = np.diff(self.ts)[later]
            ds = np.diff(self.seq)[later]
            _expect(bool(np.all((dt > 0) | ((dt == 0) & (ds > 0)))), "rows sorted by (ts, seq)")
        for name, column in self.columns.items():
            _expect(column.values.shape == (rows,), f"column `{name}` has one cell per row")
            if column.encoded:
                _expect(column.values.dtype == np.int32, f"column `{name}` is int32 codes")
                _expect(
                    len(set(column.dictionary)) == len(column.dictionary)
                    and "" not in column.dictionary,
                    f"column `{name}`: dictionary values distinct and non-empty",
                )
                if rows:
                    _expect(
                        int(column.values.min()) >= MISSING
                        and int(column.values.max()) < len(column.dictionary),
                        f"column `{name}`: codes index the dictionary",
                    )
            else:
                _expect(column.values.dtype == np.float64, f"column `{name}` is float64")


def _expect(condition: bool, what: str) -> None:
    if not condition:
        raise ValueError(f"malformed batch: {what}")


def from_event_log(
    log: EventLog, fields: Mapping[str, FieldType], event_types: Iterable[str]
) -> Batch:
    """The batch of an `EventLog` (the reference reader's output): the same events in the
    same order, so the kernel and the reference replay see identical input.

    `fields` maps each declared field to its type (`plan["fields"][name]["type"]`);
    `event_types` is the plan's `events` list.
    """
    types = tuple(event_types)
    code_of = {name: code for code, name in enumerate(types)}
    lead_ids = tuple(sorted(log.leads))
    sizes = np.fromiter((len(log.leads[lead]) for lead in lead_ids), np.int64, len(lead_ids))
    offsets = np.zeros(len(lead_ids) + 1, np.int64)
    np.cumsum(sizes, out=offsets[1:])
    rows = int(offsets[-1])
    ts = np.empty(rows, np.int64)
    seq = np.empty(rows, np.int64)
    event = np.empty(rows, np.int32)
    numbers = {n: np.full(rows, np.nan) for n, t in fields.items() if t == "number"}
    codes = {n: np.full(rows, MISSING, np.int32) for n, t in fields.items() if t != "number"}
    dictionaries: dict[str, dict[FieldValue, int]] = {name: {} for name in codes}
    row = 0
    for lead in lead_ids:
        for item in log.leads[lead]:
            ts[row] = item.ts
            seq[row] = item.seq
            event[row] = code_of[item.type]
            for name, value in item.fields.items():
                if name in numbers:
                    numbers[name][row] = value
                elif name in codes:
                    known = dictionaries[name]
                    codes[name][row] = known.setdefault(_key(value), len(known))
            row += 1
    columns = {
        name: Column("number", numbers[name])
        if kind == "number"
        else Column(kind, codes[name], tuple(_value(k) for k in dictionaries[name]))
        for name, kind in fields.items()
    }
    return Batch(lead_ids, offsets, ts, seq, event, types, columns, log.stats)


def _key(value: FieldValue) -> Any:
    """A dictionary key that keeps `True` and `1`, or a date and a string, apart."""
    return (type(value), value)


def _value(key: Any) -> FieldValue:
    value: FieldValue = key[1]
    assert isinstance(value, str | bool | date)
    return value
