"""JSON Lines on the columnar reader's fast path: a block of whole lines parsed by pyarrow
into the text cells the reference reader (`slalang.data.sources.JsonRows`) makes of each
object, or a verdict that the block is the reference reader's.

The reference reads a line with `json.loads` and writes each wanted key's value as text:
a string as it is, an integer or a float as `repr` writes it, a boolean as `true` or
`false`, null or a missing key as an empty cell, a list or object as a bad value (or a
rejected line under a lead id, timestamp, event or event id). pyarrow's JSON parser reads
the same grammar (strict: no NaN, no trailing comma, no raw control character in a string)
into typed columns, so the cells are rebuilt from them exactly where the type says what the
text was: a string column, an integer column (every number in it an integer literal that
fits 64 bits: its digits), a boolean column, and a float column's values that are not whole
numbers (only a literal with a fraction or an exponent gives one; `repr` of the same double,
which both parsers round correctly). A whole float (`31.0` or `31`? `1e2`?) is a row the
reader hands to the reference row loop with its line.

Everything else makes the block the reference reader's, line for line: a line that is not
blank and not `{`…`}`, a parse error, a list or object under a wanted key, a column of
mixed kinds, bytes that are not UTF-8, a key spelt differently from a wanted one once case,
spaces, `_` and `-` are set aside (the reference would read it loosely, per object), and an
object count other than the line count. Each check errs on the reference's side: a block
the fast path is unsure of costs time, never a different byte.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pajson

from slalang.data.headers import loose
from slalang.data.sources import LINE_LIMIT

Data = bytes | bytearray
TEXT = pa.string()
_RETRIES = 8  # parses of one block while its columns' types are being learnt
_CHANGED = re.compile(r"Column\(/(.*)\) changed from (\w+) to (\w+)")


class LongLine(Exception):
    """A line the reference reader skips as over LINE_LIMIT: the rest of the file is its."""


@dataclass(frozen=True, slots=True)
class Lines:
    """A block's lines: where each starts and ends (before its line feed), and the indices
    of the object lines (the others are blank: empty or a lone carriage return)."""

    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    objects: npt.NDArray[np.int64]

    def text(self, index: int, block: Data) -> bytes:
        return bytes(block[self.starts[index] : self.ends[index]])


def lines_of(block: Data) -> Lines | None:
    """The block's lines when each is blank or one `{`…`}` (then pyarrow, which skips blank
    lines and reads no object across a line end that follows `}`, makes one row of each
    object line), None when a line is anything else; LongLine when one is too long."""
    data = np.frombuffer(block, np.uint8)
    ends = np.flatnonzero(data == 10)
    if len(ends) == 0 or ends[-1] != len(block) - 1:
        ends = np.append(ends, len(block))
    starts = np.concatenate(([0], ends[:-1] + 1)).astype(np.int64)
    if len(block) == 0:
        starts, ends = starts[:0], ends[:0]
    if len(ends) and int((ends - starts).max()) >= LINE_LIMIT:
        raise LongLine
    stop = ends.copy()
    filled = stop > starts
    stop[filled] -= data[stop[filled] - 1] == 13  # a CRLF's carriage return
    objects = np.flatnonzero(stop > starts)
    if len(objects) and not (
        (data[starts[objects]] == ord("{")).all() and (data[stop[objects] - 1] == ord("}")).all()
    ):
        return None
    return Lines(starts, ends.astype(np.int64), objects)


def parse(
    block: Data, objects: int, keys: Sequence[str], types: dict[str, pa.DataType], task: int
) -> tuple[pa.Table | None, dict[str, pa.DataType]]:
    """The block's objects as a table (the wanted keys typed by `types`, every other key as
    pyarrow infers it, so its name is seen) and the types that read it; None when pyarrow
    cannot read the block with one type per wanted key. A wanted key first met holding a
    number is read as integers, then as floats; one holding booleans as booleans. `objects`
    is the count of the block's object lines."""
    if not (block.isascii() or utf8(block)) or not _shallow(block, objects):
        return None, types
    types = dict(types)
    tried: set[tuple[str, pa.DataType]] = set()  # (key, type) switched to: never twice
    read = pajson.ReadOptions(use_threads=True, block_size=max(task, LINE_LIMIT + 1))
    probe = block.find(b"\n", _PROBE) + 1
    for _ in range(_RETRIES):
        options = pajson.ParseOptions(
            explicit_schema=pa.schema([(key, types[key]) for key in keys]),
            unexpected_field_behavior="infer",
        )
        try:
            if probe and _too_wide(
                pajson.read_json(pa.py_buffer(block[:probe]), read, options), keys
            ):
                return None, types
            table = pajson.read_json(pa.py_buffer(block), read, options)
            return (None if _too_wide(table, keys) else table), types
        except pa.ArrowInvalid as exc:
            message = str(exc)
        except (pa.ArrowException, ValueError):
            return None, types
        changed = _CHANGED.search(message)
        if changed and changed.group(1) in types:
            # the block's kind of value under the key, the type it was read with before
            kind = {"number": pa.int64(), "boolean": pa.bool_(), "string": TEXT}.get(
                changed.group(3)
            )
            if kind is None or (changed.group(1), kind) in tried:
                return None, types  # a key holding two kinds of value: the reference's
            tried.add((changed.group(1), kind))
            types[changed.group(1)] = kind
        elif "Failed to convert JSON to int64" in message:
            # pyarrow does not say which column: every integer column is read as floats
            integers = [key for key in keys if types[key] == pa.int64()]
            if not integers:
                return None, types
            types.update(dict.fromkeys(integers, pa.float64()))
        else:
            return None, types
    return None, types


_OPENINGS = 64
"""The most `[` and `{` a line handed to pyarrow may hold. The reference's `json.loads`
rejects a line nested about a thousand deep (RecursionError), which pyarrow reads, and
pyarrow's parser overflows the stack on deeper ones: a line that could be nested deeply
goes to the reference."""


def _shallow(block: Data, objects: int) -> bool:
    """Whether no line of the block (`objects` of its lines are objects, each opening with a
    brace) holds more than _OPENINGS brackets and braces; counted line by line only when
    the whole block's count leaves room for such a line."""
    if block.count(b"{") + block.count(b"[") - objects < _OPENINGS:
        return True
    data = np.frombuffer(block, np.uint8)
    openings = np.flatnonzero((data == ord("[")) | (data == ord("{")))
    if len(openings) <= _OPENINGS:
        return True
    line = np.searchsorted(np.flatnonzero(data == 10), openings)
    return int(np.bincount(line).max()) <= _OPENINGS


_PROBE = 1 << 16
_EXTRA_KEYS = 64
"""The most keys besides the wanted ones a block is read with. Every key pyarrow meets is a
column of the whole block (nulls where an object lacks it), so an export whose objects
carry their own keys (custom fields as keys) costs keys times lines: 3,000 such keys in 5 MB
took 2 GB. The first 64 KB of a block are read first, and a block (or its start) with more
keys goes to the reference reader, whose memory does not grow with them."""


def _too_wide(table: pa.Table, keys: Sequence[str]) -> bool:
    return bool(table.num_columns - len(keys) > _EXTRA_KEYS)


def respelt(names: Sequence[str], keys: Sequence[str]) -> bool:
    """Whether a key in the block is another spelling of a wanted key (or two wanted keys
    are spellings of one name): the reference reads such a key in an object that lacks the
    wanted one, so only it can read the block."""
    wanted: dict[str, list[str]] = {}
    for key in keys:
        if folded := loose(key):
            wanted.setdefault(folded, []).append(key)
    return any(
        any(name != key for key in wanted.get(loose(name), [name])) for name in names
    ) or any(len(same) > 1 for same in wanted.values())


def cells(
    table: pa.Table, keys: Sequence[str], block: Data, lines: Lines
) -> tuple[list[pa.Array], npt.NDArray[np.bool_]]:
    """Each wanted key's cells as the reference writes them, and the rows whose text the
    columns do not determine: those go to the reference row loop."""
    unsure = np.zeros(table.num_rows, bool)
    texts = []
    for key in keys:
        column = table.column(key).combine_chunks()
        kind = column.type
        if kind == pa.int64():
            text = pc.cast(column, TEXT)
        elif kind == pa.bool_():
            text = pc.if_else(column, "true", "false")
        elif kind == pa.float64():
            text, unsure_here = _float_texts(column, key, block, lines)
            unsure |= unsure_here
        else:
            text = column
        texts.append(pc.fill_null(text, ""))
    return texts, unsure


_EXACT = float(1 << 53)  # below it a double is its integer exactly


def _float_texts(
    column: pa.Array, key: str, block: Data, lines: Lines
) -> tuple[pa.Array, npt.NDArray[np.bool_]]:
    """A float column's cells: `repr` of each value, but a whole number written as an
    integer literal (`12` beside `1.5`) is that integer's digits; a whole number whose
    literal cannot be found in its line is unsure."""
    encoded = pc.dictionary_encode(column)
    written = pa.array([repr(v) for v in encoded.dictionary.to_pylist()], TEXT)
    text = written.take(encoded.indices)
    values = column.to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        whole = np.isfinite(values) & (np.floor(values) == values)
    if not whole.any():
        return text, whole
    integer, known = _literals(block, lines, key)
    unsure = whole & (~known | (integer & (np.abs(values) >= _EXACT)))
    digits = whole & known & integer & ~unsure
    if digits.any():
        as_int = pc.cast(pc.cast(column, pa.int64(), safe=False), TEXT)
        text = pc.if_else(pa.array(digits), as_int, text)
    return text, unsure


def _literals(
    block: Data, lines: Lines, key: str
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """For each object line: whether the number under `key` is written as an integer (no
    fraction, no exponent), and whether that is known: the line holds `"key":` before a
    number exactly once and no backslash (which could spell the key otherwise), so that
    occurrence is the object's own key (a nested one would be a second)."""
    count = len(lines.starts)
    integer = np.zeros(count, bool)
    found = np.zeros(count, np.int64)
    quoted = json.dumps(key, ensure_ascii=False).encode()
    if b"\\" not in quoted:
        pattern = re.compile(re.escape(quoted) + rb"[ \t\r]*:[ \t\r]*-?[0-9]+([.eE]?)")
        starts, kinds = [], []
        for match in pattern.finditer(block):
            starts.append(match.start())
            kinds.append(not match.group(1))
        at = np.searchsorted(lines.starts, np.array(starts, np.int64), side="right") - 1
        found = np.bincount(at, minlength=count)
        integer[at] = kinds
    slashes = np.flatnonzero(np.frombuffer(block, np.uint8) == ord("\\"))
    escaped = np.zeros(count, bool)
    escaped[np.searchsorted(lines.starts, slashes, side="right") - 1] = True
    known = (found == 1) & ~escaped
    return integer[lines.objects], known[lines.objects]


def absent_from(block: Data, key: str, column: pa.ChunkedArray) -> bool | None:
    """Whether no object of the block has `key` (True), some has (False), or the block
    cannot say (None: the key may be there holding null, maybe spelt with escapes)."""
    if column.null_count < len(column):
        return False
    if b"\\" in block or f'"{key}"'.encode() in block:
        return None
    return True


def utf8(block: Data) -> bool:
    """Whether the bytes are UTF-8 text (CSV blocks are checked with it too)."""
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
