"""Report entries written as JSON text a whole column at a time, and kept as Arrow text.

The report's long lists (stages, clocks, violations) hold one entry per record: hundreds
of thousands on a million events. Writing each as a Python string (an f-string, then a
tuple beside its lead id, then one write per line) cost more than everything else the
fold does. Here an entry kind's text is cut once into the constant pieces around its
varying values (`template`, from the reference's own entry dict and encoder), and each
varying value is a small table of JSON texts and each row's index into it (`Texts`: a
lead id among the batch's lead ids, an instant's date among the days there are, its hour
and its minutes and seconds, a status among the statuses). Neighbours are paired into one
table where that leaves fewer texts to take; then all the tables are put end to end and
one Arrow `take` of every row's indexes, row after row, writes every entry at once
(`join`). The entries then stay Arrow text (`Lines`) until they are written,
which is one string per few thousand entries (`Text.joined`), so no Python object is made
per entry.
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeAlias, TypeVar

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from slalang.fileio import Stored, decoded
from slalang.render.report.json_text import SEPARATOR, Prerendered, compact

TEXT = pa.large_string()
"""Entries are large strings: a partition's section may pass the 2 GB of 32-bit offsets."""

Ints: TypeAlias = npt.NDArray[np.int64]


class Texts(NamedTuple):
    """A column of JSON texts not written out yet: row i is `table[keys[i]]`."""

    table: pa.Array
    keys: Ints


Piece: TypeAlias = "str | pa.Array | Texts"
"""A piece of an entry: the same text on every row, one text per row, or `Texts`."""

_PLAIN = re.compile(r'["\\\x00-\x1f]')
"""What JSON escapes (with `ensure_ascii=False`): a string without these is written as is."""

_CHUNK = 1 << 16
"""Entries turned into Python strings at a time (iterating, writing)."""


def quoted(text: str) -> str:
    """`text` as a JSON string, exactly as `compact` writes it."""
    return compact(text) if _PLAIN.search(text) else f'"{text}"'


def strings(texts: Sequence[str]) -> tuple[pa.Array, str]:
    """`texts` as JSON strings, and the quote to put around each: almost always no text
    needs escaping, and then they are used as they are between quotes (which join their
    entry's constant text); else each one is quoted, and the quote is empty."""
    column = pa.array(texts, TEXT)
    if _escaping(column):
        return quote(column), ""
    return column, '"'


def quote(column: pa.Array) -> pa.Array:
    """Each row as a JSON string, as `compact` writes it: almost always no row needs
    escaping, and then Arrow adds the quotes."""
    if _escaping(column):
        return pa.array([quoted(text) for text in column.to_pylist()], TEXT)
    return join(['"', column, '"'])


def _escaping(column: pa.Array) -> bool:
    """Whether a row of a large-string column holds what JSON escapes: a quote, a
    backslash or a control character, bytes that in UTF-8 stand for nothing else."""
    if not len(column):
        return False
    offsets = np.frombuffer(column.buffers()[1], np.int64, len(column) + 1, column.offset * 8)
    data = column.buffers()[2]
    if data is None:
        return False
    used = np.frombuffer(data, np.uint8)[int(offsets[0]) : int(offsets[-1])]
    return bool(np.any((used < 0x20) | (used == 0x22) | (used == 0x5C)))


def join(pieces: Sequence[Piece]) -> pa.Array:
    """Each row's pieces end to end. At least one piece must not be a constant (it gives
    the number of rows); tables hold no nulls."""
    rows = next(
        len(p.keys if isinstance(p, Texts) else p) for p in pieces if not isinstance(p, str)
    )
    if not rows:
        return pa.array([], TEXT)
    return _taken(_merged(pieces, rows), rows)


def _taken(columns: Sequence[Texts], rows: int) -> pa.Array:
    """Row i: each column's text `table[keys[i]]`, end to end (a column of one key, a
    constant, gives it to every row).

    The columns' tables are put end to end and every row's indexes into them laid out row
    after row, so one `take` writes the rows' texts one after another: every `width`th
    offset of what it gives is where a row starts."""
    width = len(columns)
    indexes = np.empty((rows, width), np.int64)
    base = 0
    for j, column in enumerate(columns):
        indexes[:, j] = column.keys
        if base:
            indexes[:, j] += base
        base += len(column.table)
    taken = pa.concat_arrays([column.table for column in columns]).take(indexes.reshape(-1))
    offsets = np.frombuffer(taken.buffers()[1], np.int64, rows * width + 1, taken.offset * 8)
    starts = np.ascontiguousarray(offsets[::width])
    joined: pa.Array = pa.Array.from_buffers(
        TEXT, rows, [None, pa.py_buffer(starts), taken.buffers()[2]]
    )
    return joined


def _merged(pieces: Sequence[Piece], rows: int) -> list[Texts]:
    """The pieces as `Texts` (a constant: a table of one text, one key), neighbours merged
    into one piece where that leaves less to take (see `_pairing`)."""
    found: list[Texts] = []
    for piece in pieces:
        if not isinstance(piece, str):
            found.append(piece if isinstance(piece, Texts) else Texts(piece, _rows(len(piece))))
        elif not piece:
            continue
        elif found and found[-1].table is _minutes():  # the end of an instant
            found[-1] = Texts(_minutes(piece), found[-1].keys)
        else:
            found.append(Texts(pa.array([piece], TEXT), _ONE))
    while True:
        pairings = [
            (cost, k)
            for k, (a, b) in enumerate(itertools.pairwise(found))
            if (cost := _pairing(a, b, rows)) is not None
        ]
        if not pairings:
            break
        k = min(pairings)[1]
        found[k : k + 2] = [_paired(found[k], found[k + 1])]
    return found


def _pairing(first: Texts, second: Texts, rows: int) -> int | None:
    """The texts of the table pairing `first` and `second`, when making it costs less
    than taking one more text a row: `_paired` takes two texts per pairing, so pairings
    of at most half the rows; two constants always (one string); else None.

    Taking a text costs about the same whatever its table (a small one is cheaper to
    reach), so this counts texts taken: pairing a constant with a table nearly as long
    as the rows would take more texts than it saves."""
    a, b = len(first.table), len(second.table)
    return a * b if a * b == 1 or 2 * a * b <= rows else None


_ONE = np.zeros(1, np.int64)
"""The index of a constant's one text (`_taken` gives it to every row)."""


def _rows(size: int) -> Ints:
    return np.arange(size, dtype=np.int64)


def _paired(first: Texts, second: Texts) -> Texts:
    """`first` then `second` as one piece: the table of every pairing of their texts,
    written by one `take` as the entries are."""
    a, b = len(first.table), len(second.table)
    if a == b == 1:
        return Texts(pa.array([first.table[0].as_py() + second.table[0].as_py()], TEXT), _ONE)
    pairs = _rows(a * b)
    table = _taken([Texts(first.table, pairs // b), Texts(second.table, pairs % b)], a * b)
    return Texts(table, first.keys * b + second.keys)


def table(texts: Sequence[str], index: Ints) -> Piece:
    """`texts[i]` for each i of `index`: the one text when all are the same."""
    if len(set(texts)) == 1:
        return texts[0]
    return Texts(pa.array(texts, TEXT), index)


def nulls(column: pa.Array) -> pa.Array:
    """Null rows written as JSON `null`."""
    filled: pa.Array = column.fill_null(pa.scalar("null", TEXT)) if column.null_count else column
    return filled


def integers(values: Ints, missing: npt.NDArray[np.bool_] | None = None) -> Texts:
    """Whole numbers as Python writes them; `null` where `missing`. Numbers of a narrow
    range (a cycle, paused seconds, most often one value) are a table of each number
    there is, written once, so that they pair with their neighbours in an entry."""
    if missing is None:
        missing = np.zeros(len(values), bool)
    shown = values[~missing]
    low, high = (int(shown.min()), int(shown.max())) if len(shown) else (0, 0)
    if high - low > 4 * len(values) + 1024:
        texts = nulls(pa.array(values, pa.int64(), mask=missing).cast(TEXT))
        return Texts(texts, _rows(len(values)))
    present = np.zeros(high - low + 2, bool)  # the last: `null`
    rank = np.where(missing, high - low + 1, values - low)
    present[rank] = True
    found = np.flatnonzero(present)
    texts = pa.array(found[found <= high - low] + low, pa.int64()).cast(TEXT)
    if present[-1]:
        texts = pa.concat_arrays([texts, pa.array(["null"], TEXT)])
    return Texts(texts, (np.cumsum(present) - 1)[rank])


@functools.cache
def _hours() -> pa.Array:
    """`HH:` of every hour of a day, then an empty text (after the `null` of an instant
    not there)."""
    return pa.array([f"{hour:02d}:" for hour in range(24)] + [""], TEXT)


@functools.cache
def _minutes(after: str = "") -> pa.Array:
    """`MM:SSZ"` of every second of an hour, then an empty text (after a `null`), each
    followed by `after`: the constant text that follows an instant in an entry (a few
    per plan) is joined to these once per process (`_merged`), not taken once per entry."""
    return pa.array([f'{s // 60:02d}:{s % 60:02d}Z"{after}' for s in range(3600)] + [after], TEXT)


def instant_pieces(ts: Ints, missing: npt.NDArray[np.bool_] | None = None) -> list[Piece]:
    """Instants as the report writes them (`"2026-01-05T06:06:17Z"`, quoted, as `iso`
    and the encoder do), `null` where `missing`, in three pieces: the date (each day's
    formatted once), the hour and the minutes and seconds.

    The tables are small, so that taking from them stays in the processor's cache and
    putting them end to end for `join` copies little (a table of every second of a day
    was 1.5 MB), and `_merged` pairs the date with the hour when they are few."""
    day, second = np.divmod(ts, 86400)
    hour, second = np.divmod(second, 3600)
    if missing is not None and missing.any():
        known = day[~missing]
        day = np.where(missing, known[0] if len(known) else 0, day)
        hour[missing] = 24  # the empty texts
        second[missing] = 3600
    low, high = (int(day.min()), int(day.max())) if len(day) else (0, 0)
    if high - low <= 4 * len(day) + 1000:
        days, index = np.arange(low, high + 1), day - low
    else:  # instants far apart: only the days there are
        days, index = np.unique(day, return_inverse=True)
    dates = [f'"{d}T' for d in np.datetime_as_string(days.astype("datetime64[D]"), unit="D")]
    if missing is not None:
        dates.append("null")
        index = np.where(missing, len(dates) - 1, index)
    return [Texts(pa.array(dates, TEXT), index), Texts(_hours(), hour), Texts(_minutes(), second)]


def instants(ts: Ints, missing: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    """`instant_pieces` joined."""
    return join(instant_pieces(ts, missing))


def distinct_rows(rows: Ints) -> tuple[Ints, Ints]:
    """`np.unique(rows, axis=0, return_inverse=True)` by one lexsort (numpy's sorts each
    row's bytes, ten times slower): the kinds of entry a few columns choose between."""
    if not len(rows):
        return rows, np.zeros(0, np.int64)
    order = np.lexsort(rows.T[::-1])
    ranked = rows[order]
    new = np.r_[True, np.any(ranked[1:] != ranked[:-1], axis=1)]
    inverse = np.empty(len(rows), np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ranked[new], inverse


def template(entry: Mapping[str, Any], holes: Sequence[tuple[str, ...]]) -> list[str]:
    """`compact(entry)` cut around the values at `holes` (key paths, in the order the
    entry writes them): the len(holes) + 1 texts between them. Filling each hole with a
    value's JSON text gives `compact` of the entry holding those values."""
    entry = _copy(entry)
    for path in holes:
        _put(entry, path, "")
    longest = max((len(run) for run in re.findall(r"(?:\\u0000)+", compact(entry))), default=0)
    runs = longest // 6 + 1  # markers of NUL runs longer than any in the entry: unique
    for k, path in enumerate(holes):
        _put(entry, path, "\x00" * (runs + k))
    text = compact(entry)
    pieces = []
    for k in range(len(holes)):
        marker = compact("\x00" * (runs + k))
        before, text = text.split(marker)
        pieces.append(before)
    pieces.append(text)
    return pieces


def _copy(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _copy(v) if isinstance(v, Mapping) else v for k, v in entry.items()}


def _put(entry: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    for key in path[:-1]:
        entry = entry[key]
    entry[path[-1]] = value


def fill(
    templates: Sequence[Sequence[str]],
    kinds: Ints,
    values: Sequence[Piece | list[Piece]],
) -> pa.Array:
    """Each row's entry: template `templates[kinds[row]]` with its holes filled by the
    row's `values` (JSON texts, or texts in pieces)."""
    pieces: list[Piece] = []
    for i, column in enumerate(zip(*templates, strict=True)):
        pieces.append(table(column, kinds))
        if i < len(values):
            value = values[i]
            pieces.extend(value if isinstance(value, list) else [value])
    return join(pieces)


@dataclass(frozen=True, slots=True)
class Lines:
    """A section's entries of one batch, in report order: each entry's lead (an index into
    `lead_ids`) and its JSON text. Iterating gives (lead id, text) pairs, which is how
    parts of a run are merged by lead."""

    lead_ids: Sequence[str]
    leads: npt.NDArray[np.int64]
    text: pa.ChunkedArray

    def __len__(self) -> int:
        return len(self.leads)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        lead_ids = self.lead_ids
        for start in range(0, len(self), _CHUNK):
            leads = self.leads[start : start + _CHUNK].tolist()
            texts = self.text.slice(start, _CHUNK).to_pylist()
            yield from zip([lead_ids[i] for i in leads], texts, strict=True)

    def table(self, lead_ids: pa.Array | None = None) -> pa.Table:
        """The entries as a table of (lead, line) strings; `lead_ids` is `self.lead_ids`
        as Arrow strings, when the caller has them (several sections share them)."""
        if lead_ids is None:
            lead_ids = pa.array(self.lead_ids, pa.string())
        return pa.table({"lead": lead_ids.take(self.leads), "line": self.text})


def lines(
    lead_ids: Sequence[str], parts: Sequence[tuple[npt.NDArray[np.int64], pa.Array]]
) -> Lines:
    """The `Lines` of parts (each: leads, texts) that follow one another in report order."""
    leads = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    return Lines(lead_ids, leads, pa.chunked_array([p[1] for p in parts], TEXT))


class _Bytes(Prerendered):
    """A long list whose entries are UTF-8 bytes already: its text is decoded from them."""

    def joined(self, separator: str) -> Iterator[str]:
        return map(decoded, self.encoded(separator))


class Text(_Bytes):
    """A report's long list held as Arrow text, a block of entries at a time (`blocks`
    gives them anew for each pass: a section's `Lines` in chunks, or the entries merged
    from several parts' files), followed by a few entries as strings (target violations).
    Written as the blocks' UTF-8 bytes, with no Python string per entry."""

    def __init__(
        self, count: int, blocks: Callable[[], Iterator[pa.Array]], tail: Sequence[str] = ()
    ) -> None:
        super().__init__(count + len(tail), self._lines(blocks, tail))
        self.blocks = blocks
        self.tail = tail

    @classmethod
    def of(cls, text: pa.ChunkedArray, tail: Sequence[str] = ()) -> Text:
        """The entries of `text` (a section's `Lines.text`), a chunk of them at a time."""

        def blocks() -> Iterator[pa.Array]:
            for chunk in text.chunks:
                for start in range(0, len(chunk), _CHUNK):
                    yield chunk.slice(start, _CHUNK)

        return cls(len(text), blocks, tail)

    @staticmethod
    def _lines(blocks: Callable[[], Iterator[pa.Array]], tail: Sequence[str]) -> Iterator[str]:
        for block in blocks():
            yield from block.to_pylist()
        yield from tail

    def encoded(self, separator: str) -> Iterator[bytes | memoryview]:
        """The entries with `separator` between them as UTF-8, one piece per block:
        Arrow adds the separators, and the block's bytes are its buffer's."""
        pieces = (utf8_joined(block, separator) for block in self.blocks() if len(block))
        yield from _between(pieces, separator, self.tail)


class StoredText(_Bytes):
    """A report's long list kept in files of UTF-8 entries joined by `SEPARATOR` (`store`:
    what the worker processes of a run wrote, one file each, in report order), followed
    by a few entries as strings: written by copying the files into the output
    (`fileio.Stored`, by the kernel), never read into this process."""

    def __init__(self, count: int, files: Sequence[str], tail: Sequence[str] = ()) -> None:
        files = [path for path in files if os.path.getsize(path)]
        super().__init__(count + len(tail), self._lines(files, tail))
        self.files = files
        self.tail = tail

    @staticmethod
    def _lines(files: Sequence[str], tail: Sequence[str]) -> Iterator[str]:
        for path in files:
            yield from decoded(Stored(path)).split(SEPARATOR)
        yield from tail

    def encoded(self, separator: str) -> Iterator[bytes | memoryview | Stored]:
        if separator != SEPARATOR:  # the entries joined anew
            yield from _between((line.encode() for line in self.lines), separator, ())
            return
        yield from _between((Stored(path) for path in self.files), separator, self.tail)


def store(path: str, text: pa.ChunkedArray) -> None:
    """Entries (a section's `Lines.text`) written to `path` as `StoredText` reads them."""
    with open(path, "wb") as sink:
        for piece in Text.of(text).encoded(SEPARATOR):
            sink.write(piece)


_P = TypeVar("_P", bound="bytes | memoryview | Stored")


def _between(pieces: Iterable[_P], separator: str, tail: Sequence[str]) -> Iterator[_P | bytes]:
    """`pieces` (entries, each piece one or more) with `separator` between them, then the
    `tail` entries."""
    between = separator.encode()
    first = True
    for piece in pieces:
        if not first:
            yield between
        yield piece
        first = False
    if tail:
        yield (("" if first else separator) + separator.join(tail)).encode()


def utf8_joined(texts: pa.Array, separator: str) -> memoryview:
    """Texts joined by `separator`, as UTF-8 in the joined array's buffer (Arrow joins
    them: no Python object per text)."""
    offsets = pa.array([0, len(texts)], pa.int32())
    between = pa.scalar(separator, texts.type)
    return utf8(pc.binary_join(pa.ListArray.from_arrays(offsets, texts), between))


def utf8(column: pa.Array) -> memoryview:
    """The UTF-8 bytes of a text column's rows, end to end, in the column's own buffer."""
    if not len(column):
        return memoryview(b"")
    kind = np.int64 if pa.types.is_large_string(column.type) else np.int32
    offsets = np.frombuffer(column.buffers()[1], kind)
    start, end = int(offsets[column.offset]), int(offsets[column.offset + len(column)])
    return memoryview(column.buffers()[2])[start:end]
