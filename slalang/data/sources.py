"""Data in, byte by byte: opening an event-log input and turning it into rows of text cells.

An input is a path or `-` (stdin), gzip-compressed or not (told by its first bytes, not its
name), CSV or JSON Lines (told by the extension, else by the first non-space character:
`{` means JSON Lines). Both formats come out the same way: an iterator of lists of strings
with a `line_num` attribute, so one loop reads them all.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import stat
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from functools import partial
from typing import IO, Any, BinaryIO, Literal

from slalang.data.headers import loose_keys
from slalang.diagnostics import SlalangError

Format = Literal["csv", "jsonl"]
RejectLine = Callable[[int, str, str], None]
NoteLoose = Callable[[str, list[tuple[str, str]]], None]

_GZIP_MAGIC = b"\x1f\x8b"
_DELIMITERS = (",", ";", "\t", "|")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_BUFFER = 1 << 16
_SHAPES = 256  # JSON object shapes remembered per file: a hostile file varies every line

#: The longest line read (characters of a CSV line, bytes of a JSON Lines line): a longer
#: one is skipped in pieces and its row rejected as `bad_row`, so one runaway line (a
#: 1 GiB line in a 1 MB gzip) costs at most this much memory, never the run.
LINE_LIMIT = 1 << 20
#: The longest CSV cell: the csv module's own default `field_size_limit`, which the quoted
#: path enforces, applied to unquoted cells too so a row gets the same result either way.
CELL_LIMIT = 131_072
UTF8 = "utf-8"
#: A stand-in for a JSON list or object under a field's key: a bad value, not a bad line.
#: Compared by identity, so no text read from a file can be mistaken for it.
NESTED = "\udfff(a JSON list or object)"


def display_name(path: str) -> str:
    return "<stdin>" if path == "-" else path


class _Peekable(io.RawIOBase):
    """Any readable binary stream (a test's BytesIO, a pipe) seen as a raw stream, so it can
    be wrapped in a BufferedReader and peeked at."""

    def __init__(self, inner: IO[bytes]) -> None:
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def ascii_compatible(encoding: str) -> bool:
    """Whether the encoding writes ASCII text as ASCII bytes (UTF-8, cp1252; not UTF-16)."""
    return "a,\n".encode(encoding) == b"a,\n"


class DecodeWatch(io.BufferedIOBase):
    """A pass-through binary stream that notices the first bytes that are not text in the
    input's encoding.

    The text layer above decodes with `surrogateescape` so one bad byte cannot stop a
    million-row read; this watch flips `dirty` before any row decoded from the bad block
    reaches the reader, which from then on checks the cells it reads for escaped bytes.
    In an ASCII-compatible encoding an ASCII block costs one `isascii` scan; others an
    extra incremental decode.
    """

    def __init__(self, inner: io.BufferedReader, encoding: str = UTF8) -> None:
        self._inner = inner
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._ascii = ascii_compatible(encoding)
        self.dirty = False

    @property
    def name(self) -> Any:
        return getattr(self._inner, "name", None)

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1, /) -> bytes:
        data = self._inner.read1(size)
        if not self.dirty and (not data or not self._ascii or not data.isascii()):
            try:  # b"": the end, flush
                self._decoder.decode(data, final=not data)
            except UnicodeDecodeError:
                self.dirty = True
        return data

    def read(self, size: int | None = -1, /) -> bytes:
        return self.read1(-1 if size is None else size)


@contextmanager
def input_stream(
    path: str, stdin: BinaryIO | None, kept: Mapping[str, str] | None
) -> Iterator[BinaryIO | None]:
    """What input PATH is read from when not from the file it names: the file its bytes
    were kept in, when it can be read once only (standard input, a named pipe: `kept`, by
    `slalang.api.keep_streams`), opened afresh at its start whatever read it before;
    STDIN for `-`; else None (the path itself is opened)."""
    copy = (kept or {}).get(path)
    if copy is None:
        yield stdin if path == "-" else None
        return
    with open(copy, "rb") as stream:
        yield stream


def open_binary(path: str, stream: BinaryIO | None, closing: ExitStack) -> io.BufferedReader:
    """The input's bytes, decompressed when they start with the gzip magic number: read
    from `stream` when given (standard input, or the file an input read once was kept in:
    `input_stream`), which is left open, else from the file `path`, closed with
    `closing`."""
    name = display_name(path)
    if stream is not None or path == "-":
        if stream is None:
            raise SlalangError("<stdin>: no standard input to read events from")
        raw: io.BufferedReader = io.BufferedReader(_Peekable(stream), _BUFFER)
    else:
        try:
            raw = closing.enter_context(io.BufferedReader(io.FileIO(path, "rb"), _BUFFER))
        except FileNotFoundError:
            raise SlalangError(f"{name}: cannot read events: no such file") from None
        except IsADirectoryError:
            raise SlalangError(f"{name}: cannot read events: it is a directory") from None
        except OSError as exc:
            raise SlalangError(f"{name}: cannot read events: {exc.strerror}") from None
        mode = os.fstat(raw.fileno()).st_mode
        if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
            raise SlalangError(
                f"{name}: cannot read events: not a file or a pipe (a device or a socket)"
            )
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), _BUFFER)
    return raw


def stored_read(stream: io.BufferedReader) -> int:
    """How many of its input's bytes as stored (the file, compressed or not) a stream from
    `open_binary` has taken so far: what a run's progress through a gzip file counts, since
    the size of its text is known only at its end. 0 for a stream that cannot tell."""
    inner: Any = stream.raw
    if isinstance(inner, gzip.GzipFile):
        inner = inner.fileobj
    try:
        return int(inner.tell())
    except (OSError, AttributeError, ValueError):
        return 0


def detect_format(path: str, stream: io.BufferedReader) -> Format:
    """CSV or JSON Lines, from the extension when it says, else from the first character."""
    name = display_name(path)
    lower = path.lower().removesuffix(".gz")
    head = stream.peek(4096)[:4096]
    if head.startswith(b"PK\x03\x04"):
        raise SlalangError(
            f"{name}: this is a spreadsheet workbook or ZIP archive; export it as CSV"
        )
    if head.startswith(b"PAR1"):
        raise SlalangError(f"{name}: Parquet is not supported; export the log as CSV or JSON Lines")
    if lower.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    text = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return "jsonl" if text.startswith(b"{") else "csv"


class _TooLong(Exception):
    """A line over LINE_LIMIT, already skipped to its end."""


_LINE_ENDS = ("\n", "\r", b"\n", b"\r")


def _lines(readline: Callable[[int], Any], end: str | bytes) -> Iterator[Any]:
    """The lines of a text or binary stream (`end` is its empty read), each at most
    LINE_LIMIT long. A longer line is read on in pieces to its end and comes out as None,
    so memory stays bounded whatever the input."""
    limit = LINE_LIMIT
    for line in iter(partial(readline, limit), end):
        if len(line) == limit and line[-1:] not in _LINE_ENDS:
            while len(more := readline(limit)) == limit and more[-1:] not in _LINE_ENDS:
                pass
            yield None
            continue
        yield line


def _too_long(what: str, unit: str = "characters") -> str:
    limit = LINE_LIMIT if what == "line" else CELL_LIMIT
    return f"a {what} over {limit:,} {unit}"


class _Feed:
    """The lines the csv module parses a quoted record from: the record's first line, then
    as many more from the file as its quoted cells span (counted in `extra`)."""

    def __init__(self, lines: Iterator[str | None]) -> None:
        self.lines = lines
        self.pending: str | None = None
        self.extra = 0

    def __iter__(self) -> _Feed:
        return self

    def __next__(self) -> str:
        line = self.pending
        if line is not None:
            self.pending = None
            return line
        self.extra += 1
        line = next(self.lines)
        if line is None:
            raise _TooLong
        return line


class CsvRows:
    """CSV rows as lists of strings, with the delimiter guessed from the header line.

    A line without a double quote is split on the delimiter, which gives what the csv
    module would and costs a third of it; a line with one is parsed by the csv module,
    reading on while a quoted cell spans lines. `line_num` is the line the row last
    yielded starts on. A record the csv module refuses, a line over LINE_LIMIT or a cell
    over CELL_LIMIT (quoted or not) is reported through `reject` and comes out as an empty
    row, which the reader skips; a blank line comes out as `[""]`.
    """

    def __init__(self, stream: io.BufferedReader, reject: RejectLine, encoding: str = UTF8) -> None:
        head = stream.peek(_BUFFER)[:_BUFFER].decode(encoding, "replace")
        first = head.split("\n", 1)[0]
        counts = [first.count(d) for d in _DELIMITERS]
        self.delimiter = _DELIMITERS[counts.index(max(counts))] if max(counts) else ","
        self.watch = DecodeWatch(stream, encoding)
        self._text = io.TextIOWrapper(
            self.watch,
            encoding="utf-8-sig" if encoding == UTF8 else encoding,
            errors="surrogateescape",
            newline="",
        )
        self._reject = reject
        self.line_num = 0
        self._rows = self._generate()

    def __iter__(self) -> Iterator[list[str]]:
        return self._rows

    def _generate(self) -> Iterator[list[str]]:
        delimiter = self.delimiter
        lines = _lines(self._text.readline, "")
        feed = _Feed(lines)
        quoted = csv.reader(feed, delimiter=delimiter)
        cell_limit = CELL_LIMIT
        number = 0
        for line in lines:
            number += 1
            self.line_num = number
            if line is None:
                self._reject(number, "bad_row", _too_long("line"))
                yield []
                continue
            if '"' not in line:
                row = line.rstrip("\r\n").split(delimiter)
                if len(line) > cell_limit and max(map(len, row)) > cell_limit:
                    self._reject(number, "bad_row", _too_long("cell"))
                    row = []
                yield row
                continue
            feed.pending = line
            try:
                row = next(quoted)
            except _TooLong:
                self._reject(number, "bad_row", _too_long("line"))
                row = []
            except csv.Error as exc:
                detail = _too_long("cell") if "field limit" in str(exc) else f"CSV: {exc}"
                self._reject(number, "bad_row", detail)
                row = []
            number += feed.extra
            feed.extra = 0
            yield row

    def header(self) -> list[str] | None:
        """The header row (cells stripped of surrounding spaces), None for an empty input."""
        for row in self._rows:
            if row and row != [""]:
                return [cell.strip() for cell in row]
        return None


def has_escaped_bytes(row: list[str]) -> bool:
    """Whether a row decoded with surrogateescape held bytes that are not UTF-8."""
    try:
        for cell in row:
            cell.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


class _Nested(ValueError):
    pass


def _cell(value: object) -> str:
    """A JSON value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int | float):
        return repr(value)
    raise _Nested("a list or object")


def _field_cell(value: object) -> str:
    """A field's cell: a list or object there is a bad value (NESTED), not a bad line."""
    try:
        return value if isinstance(value, str) else _cell(value)
    except _Nested:
        return NESTED


class JsonRows:
    """JSON Lines as rows: each object's values for `keys`, in that order, as text.

    A line that is not a JSON object (or holds a list or object under one of the first
    `canonical` keys: lead id, timestamp, event, event id) is reported through `reject`;
    it and blank lines come out as empty rows, which the reader skips, so `line_num` stays
    the physical line like a CSV reader's. A list or object under a field's key comes out
    as NESTED. `dirty` is set while the row just yielded may hold NESTED or bytes that are
    not text, so the reader checks its cells one by one. `absent` ends as the `required`
    keys that no object had (when `saw_object`): a sign of a mapping that does not fit.

    A key is found in an object as a header cell is (`slalang.data.headers`): exactly, else
    loosely, through `note` (with `name`, the input's name, for messages). Objects of one
    export share a few shapes (their keys in order), so the keys to read are worked out
    once per shape.
    """

    def __init__(
        self,
        stream: io.BufferedReader,
        keys: list[str],
        required: list[str],
        reject: RejectLine,
        encoding: str = UTF8,
        canonical: int = 4,
        name: str = "",
        note: NoteLoose | None = None,
    ) -> None:
        self._stream = stream
        self._keys = keys
        self._name = name
        self._note = note
        self._reject = reject
        self._encoding = encoding
        self._canonical = canonical
        self.absent = set(required)
        self.saw_object = False
        self.line_num = 0
        self.dirty = False

    def _source(self) -> tuple[Iterator[Any], bool]:
        """The input's lines (bytes when UTF-8, else decoded text) and whether every line
        must be checked for bytes that are not text."""
        if self._encoding == UTF8:
            if self._stream.peek(3)[:3] == codecs.BOM_UTF8:
                self._stream.read(3)
            return _lines(self._stream.readline, b""), False
        text = io.TextIOWrapper(
            self._stream, encoding=self._encoding, errors="surrogateescape", newline=""
        )
        return _lines(text.readline, ""), True

    def _load(self, raw: Any, number: int) -> dict[str, Any] | None:
        """The line's object, or None when the line was rejected."""
        try:
            try:
                obj = json.loads(raw)
            except UnicodeDecodeError:
                # bytes that are not UTF-8 make bad values where they sit, not a bad line
                obj = json.loads(raw.decode(UTF8, "surrogateescape"))
                self.dirty = True
        except RecursionError:
            self._reject(number, "bad_json", "not JSON: nested too deeply")
            return None
        except ValueError as exc:
            self._reject(number, "bad_json", f"not JSON: {exc}")
            return None
        if obj.__class__ is not dict:
            self._reject(number, "bad_json", "expected a JSON object on the line")
            return None
        return obj

    def _shape(self, obj: dict[str, Any], number: int) -> list[str]:
        """The keys to read from an object of this shape, one per wanted key."""
        names, matches = loose_keys(self._keys, obj, f"{self._name}:{number}")
        if matches and self._note is not None:
            self._note(self._name, matches)
        self.absent.difference_update(k for k, n in zip(self._keys, names, strict=True) if n in obj)
        return names

    def __iter__(self) -> Iterator[list[str]]:
        canonical = self._canonical
        skipped: list[str] = []
        shapes: dict[tuple[str, ...], list[str]] = {}
        lines, always_dirty = self._source()
        for number, raw in enumerate(lines, 1):
            self.line_num = number
            self.dirty = always_dirty
            if raw is None:
                self._reject(number, "bad_row", _too_long("line", "bytes"))
                yield skipped
                continue
            if raw.isspace():
                yield skipped
                continue
            obj = self._load(raw, number)
            if obj is None:
                yield skipped
                continue
            self.saw_object = True
            shape = tuple(obj)
            keys = shapes.get(shape)
            if keys is None:
                keys = self._shape(obj, number)
                if len(shapes) < _SHAPES:
                    shapes[shape] = keys
            get = obj.get
            try:
                row = [v if (v := get(k, "")).__class__ is str else _cell(v) for k in keys]
            except _Nested:
                key = next((k for k in keys[:canonical] if isinstance(get(k), dict | list)), None)
                if key is not None:
                    self._reject(number, "bad_json", f"`{key}` holds a JSON list or object")
                    yield skipped
                    continue
                row = [_field_cell(get(k, "")) for k in keys]
                self.dirty = True
            if not self.dirty and (b"\\ud" in raw or b"\\uD" in raw):
                # `"\ud800"` alone is valid JSON but no text: it could never be written out
                self.dirty = has_escaped_bytes(row)
            yield row
