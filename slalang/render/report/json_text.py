"""Report rendering: `json` (the whole report) and `jsonl` (the violations, one a line).

Key order is the report's own and nothing depends on the machine, so the same report is
always the same bytes; non-ASCII text stays readable; NaN is refused, not written.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any

from slalang.fileio import Stored

if TYPE_CHECKING:  # the renderers' summary, not needed to write JSON
    from slalang.render.report.options import Options
    from slalang.render.report.summary import Report

_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))

_LINE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))  # jsonl

SEPARATOR = ",\n    "
"""Between two entries of a long list: each entry is on a line of its own (compact JSON
holds no line break), indented."""

BATCH = 4096
"""Entries per piece of a report written as it is produced: one write per entry costs more
than the formatting on a million-event report, and a few thousand entries are a few
megabytes at most, however long the report."""


def batches(texts: Iterable[str]) -> Iterator[list[str]]:
    """`texts` in lists of `BATCH`, to be joined into the pieces of a streamed report."""
    texts = iter(texts)
    while batch := list(islice(texts, BATCH)):
        yield batch


def compact(value: object) -> str:
    """One JSON value on one line, exactly as the JSON report writes its entries."""
    return _ENCODER.encode(value)


class Prerendered:
    """A long list of a report whose entries are already compact JSON text, produced
    lazily: an engine that streams its records (the columnar engine's partitions) hands
    these over instead of the entries, so a report is written without ever being whole."""

    def __init__(self, count: int, lines: Iterable[str]) -> None:
        self.count = count
        self.lines = lines

    def joined(self, separator: str) -> Iterator[str]:
        """The entries with `separator` between them, a few thousand entries per string:
        one write per entry costs more than the formatting on a million-event report."""
        first = True
        for batch in batches(self.lines):
            yield separator.join(batch) if first else separator + separator.join(batch)
            first = False

    def encoded(self, separator: str) -> Iterator[bytes | memoryview | Stored]:
        """`joined` as UTF-8. An engine that holds its entries as UTF-8 text already gives
        its bytes here (and decodes them for `joined`): a 10M-event report is 450 MB,
        and decoding it to write it encoded again took a second."""
        for text in self.joined(separator):
            yield text.encode()


class Entries:
    """A long list of a report read lazily, again on each pass: what a renderer is given in
    place of the list when the engine keeps its entries in files (`evaluate(stream=True)`),
    so that a report of any size is rendered with one entry in memory at a time, not three
    million dicts (1.7 GB on 10M events). Renderers only iterate a long list and take its
    length; each pass parses the entries anew (`entries()` gives them afresh each call).

    `count` is the length when known (else one pass counts, once); `text`, when given,
    is the same entries as the JSON report writes them, which `pieces` copies out as is."""

    def __init__(
        self,
        count: int | None,
        entries: Callable[[], Iterator[dict[str, Any]]],
        text: Callable[[], Prerendered] | None = None,
    ) -> None:
        self._count = count
        self._entries = entries
        self._text = text

    @classmethod
    def parsed(cls, text: Callable[[], Prerendered]) -> Entries:
        """The entries of the prerendered list `text()` gives (anew for each pass)."""
        return cls(text().count, lambda: _loaded(text().lines), text)

    def __len__(self) -> int:
        if self._count is None:
            self._count = sum(1 for _ in self._entries())
        return self._count

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self._entries()

    def where(self, keep: Callable[[Mapping[str, Any]], bool]) -> Entries:
        """The entries `keep` accepts, read lazily as well (counted when asked)."""
        return Entries(None, lambda: filter(keep, self._entries()))

    def prerendered(self) -> Prerendered:
        """The entries as the JSON report writes them."""
        if self._text is not None:
            return self._text()
        return Prerendered(len(self), map(compact, self._entries()))


def _loaded(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Compact JSON entries parsed a few thousand at a time, as one array: half the time
    of a `json.loads` per entry (100,000 clocks: 322 -> 175 ms; stages 180 -> 80 ms),
    which every format but JSON pays for each entry of each list it reads."""
    for batch in batches(lines):
        yield from json.loads("[" + ",".join(batch) + "]")


def render(report: Report, options: Options) -> Iterator[Any]:
    """The report's sections one per line, and each entry of a list on a line of its own,
    in `pieces` (as UTF-8 where `options.encoded` allows).

    Reports are diffed in pull requests and CI logs, where one line per stage, clock,
    violation or target row reads best; and it keeps Python's C encoder in use (an
    indented dump runs the pure-Python one, four times slower on a million-event report).
    """
    return pieces(report, encoded=options.encoded)


def pieces(report: Mapping[str, Any], *, encoded: bool = False) -> Iterator[Any]:
    """The text of `render`, in pieces, for writing a report as it is produced; a value may
    be `Prerendered` or `Entries`. With `encoded`, a `Prerendered` list comes as UTF-8
    bytes (for `fileio.write_pieces`), the rest as strings."""
    yield "{\n"
    last = len(report) - 1
    for position, (key, value) in enumerate(report.items()):
        comma = "," if position < last else ""
        if isinstance(value, list) and value:
            value = Prerendered(len(value), map(compact, value))
        elif isinstance(value, Entries):
            value = value.prerendered()
        if not isinstance(value, Prerendered):
            yield f"  {compact(key)}: {compact(value)}{comma}\n"
        elif not value.count:
            yield f"  {compact(key)}: []{comma}\n"
        else:
            yield f"  {compact(key)}: [\n    "
            yield from value.encoded(SEPARATOR) if encoded else value.joined(SEPARATOR)
            yield f"\n  ]{comma}\n"
    yield "}\n"


def render_lines(report: Report, options: Options) -> Iterator[str]:
    """One compact object per violation, for line-oriented pipelines; nothing when none.
    In pieces of a few thousand lines: the text grows with the violations (627 MB on
    100M events), and a streamed report is written as it is read."""
    lines = (_LINE.encode(violation) + "\n" for violation in report["violations"])
    return map("".join, batches(lines))
