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
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import IO, Any, BinaryIO, Literal

from slalang.diagnostics import SlalangError

Format = Literal["csv", "jsonl"]
RejectLine = Callable[[int, str, str], None]

_GZIP_MAGIC = b"\x1f\x8b"
_DELIMITERS = (",", ";", "\t", "|")
_JSONL_SUFFIXES = (".jsonl", ".ndjson")
_BUFFER = 1 << 16


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


class DecodeWatch(io.BufferedIOBase):
    """A pass-through binary stream that notices the first bytes that are not UTF-8.

    The text layer above decodes with `surrogateescape` so one bad byte cannot stop a
    million-row read; this watch flips `dirty` before any row decoded from the bad block
    reaches the reader, which from then on checks rows for escaped bytes and rejects them.
    An ASCII block costs one `isascii` scan; others an extra incremental decode.
    """

    def __init__(self, inner: io.BufferedReader) -> None:
        self._inner = inner
        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.dirty = False

    @property
    def name(self) -> Any:
        return getattr(self._inner, "name", None)

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1, /) -> bytes:
        data = self._inner.read1(size)
        if not self.dirty and (not data or not data.isascii()):  # b"": the end, flush
            try:
                self._decoder.decode(data, final=not data)
            except UnicodeDecodeError:
                self.dirty = True
        return data

    def read(self, size: int | None = -1, /) -> bytes:
        return self.read1(-1 if size is None else size)


def open_binary(path: str, stdin: BinaryIO | None, closing: ExitStack) -> io.BufferedReader:
    """The input's bytes, decompressed when they start with the gzip magic number; a file
    opened here is closed with `closing`, standard input is left open."""
    name = display_name(path)
    if path == "-":
        if stdin is None:
            raise SlalangError("<stdin>: no standard input to read events from")
        raw: io.BufferedReader = io.BufferedReader(_Peekable(stdin), _BUFFER)
    else:
        try:
            raw = closing.enter_context(io.BufferedReader(io.FileIO(path, "rb"), _BUFFER))
        except FileNotFoundError:
            raise SlalangError(f"{name}: cannot read events: no such file") from None
        except IsADirectoryError:
            raise SlalangError(f"{name}: cannot read events: it is a directory") from None
        except OSError as exc:
            raise SlalangError(f"{name}: cannot read events: {exc.strerror}") from None
    if raw.peek(2)[:2] == _GZIP_MAGIC:
        return io.BufferedReader(gzip.GzipFile(fileobj=raw, mode="rb"), _BUFFER)
    return raw


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


class _Feed:
    """The lines the csv module parses a quoted record from: the record's first line, then
    as many more from the file as its quoted cells span (counted in `extra`)."""

    def __init__(self, lines: Iterator[str]) -> None:
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
        return next(self.lines)


class CsvRows:
    """CSV rows as lists of strings, with the delimiter guessed from the header line.

    A line without a double quote is split on the delimiter, which gives what the csv
    module would and costs a third of it; a line with one is parsed by the csv module,
    reading on while a quoted cell spans lines. `line_num` is the line the row last
    yielded starts on. A record the csv module refuses is reported through `reject` and
    comes out as an empty row, which the reader skips; a blank line comes out as `[""]`.
    """

    def __init__(self, stream: io.BufferedReader, reject: RejectLine) -> None:
        first = stream.peek(_BUFFER)[:_BUFFER].split(b"\n", 1)[0].decode("utf-8", "replace")
        counts = [first.count(d) for d in _DELIMITERS]
        self.delimiter = _DELIMITERS[counts.index(max(counts))] if max(counts) else ","
        self.watch = DecodeWatch(stream)
        self._text = io.TextIOWrapper(
            self.watch, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        self._reject = reject
        self.line_num = 0
        self._rows = self._generate()

    def __iter__(self) -> Iterator[list[str]]:
        return self._rows

    def _generate(self) -> Iterator[list[str]]:
        delimiter = self.delimiter
        lines = iter(self._text)
        feed = _Feed(lines)
        quoted = csv.reader(feed, delimiter=delimiter)
        number = 0
        for line in lines:
            number += 1
            self.line_num = number
            if '"' not in line:
                yield line.rstrip("\r\n").split(delimiter)
                continue
            feed.pending = line
            try:
                row = next(quoted)
            except csv.Error as exc:
                self._reject(number, "bad_row", f"CSV: {exc}")
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


class JsonRows:
    """JSON Lines as rows: each object's values for `keys`, in that order, as text.

    A line that is not a JSON object (or holds a list or object under a key that is read)
    is reported through `reject`; it and blank lines come out as empty rows, which the
    reader skips, so `line_num` stays the physical line like a CSV reader's. `absent` ends
    as the `required` keys that no object had (when `saw_object`): a sign of a mapping that
    does not fit.
    """

    def __init__(
        self, stream: io.BufferedReader, keys: list[str], required: list[str], reject: RejectLine
    ) -> None:
        self._stream = stream
        self._keys = keys
        self._reject = reject
        self.absent = set(required)
        self.saw_object = False
        self.line_num = 0

    def __iter__(self) -> Iterator[list[str]]:
        if self._stream.peek(3)[:3] == codecs.BOM_UTF8:
            self._stream.read(3)
        keys = self._keys
        loads = json.loads
        absent = self.absent
        skipped: list[str] = []
        for number, raw in enumerate(self._stream, 1):
            self.line_num = number
            if raw.isspace():
                yield skipped
                continue
            try:
                obj = loads(raw)
            except UnicodeDecodeError:
                self._reject(number, "bad_encoding", "the line is not UTF-8 text")
                yield skipped
                continue
            except ValueError as exc:
                self._reject(number, "bad_json", f"not JSON: {exc}")
                yield skipped
                continue
            if obj.__class__ is not dict:
                self._reject(number, "bad_json", "expected a JSON object on the line")
                yield skipped
                continue
            if absent:
                absent.difference_update(obj)
                self.saw_object = True
            get = obj.get
            try:
                row = [v if (v := get(k, "")).__class__ is str else _cell(v) for k in keys]
            except _Nested:
                key = next(k for k in keys if isinstance(get(k), dict | list))
                self._reject(number, "bad_json", f"`{key}` holds a JSON list or object")
                yield skipped
                continue
            if (b"\\ud" in raw or b"\\uD" in raw) and has_escaped_bytes(row):
                # `"\ud800"` alone is valid JSON but no text: it could never be written out
                self._reject(number, "bad_encoding", "a lone surrogate escape (`\\udXXX`)")
                yield skipped
                continue
            yield row
