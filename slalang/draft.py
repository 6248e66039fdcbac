"""`slalang mapping draft`: a starter mapping written from an export's headers.

Writing a mapping by hand means reading the export's header, guessing which column is the
lead id, which the timestamp, which dates become events, and spelling each name exactly.
The draft does that reading: it samples each file's header and first rows, recognises the
columns it can (a preset's knowledge of its CRM first, then the names exports commonly
use, and the policy's own field and event names when one is given), finds the timestamp
formats the samples are written in, and lists every column it could not place as a YAML
comment. It never claims more than it knows: the header comment says what to check, and
`slalang data check` is the next step. The text is validated by the mapping loader before
it is written, so a draft always loads.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import zlib
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime

from slalang.data.headers import Header, loose
from slalang.data.mapping import CANONICAL_COLUMNS, Mapping, load_mapping, parse_mapping
from slalang.data.sources import CsvRows, detect_format, display_name, open_binary
from slalang.diagnostics import SlalangError

SAMPLE_ROWS = 200
"""Rows read per file: enough to see the timestamp formats and the common event values
without reading a large export whole."""

_SHOWN_VALUES = 30  # event values listed per source

#: Names exports commonly give the canonical columns, loosely spelt, most telling first.
_CANDIDATES: dict[str, tuple[str, ...]] = {
    "lead_id": ("leadid", "recordid", "contactid", "whoid", "mqlid", "personid", "lead", "id"),
    "timestamp": (
        "timestamp",
        "eventtimestamp",
        "eventtime",
        "occurredat",
        "eventdate",
        "activitydate",
        "createdat",
        "createddate",
        "datetime",
        "time",
        "date",
        "ts",
    ),
    "event": ("event", "eventtype", "eventname", "activitytype", "tasksubtype", "type", "action"),
    "event_id": ("eventid", "activityid", "id"),
}

#: strptime formats tried on the samples after a preset's own, in this order.
_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%d-%m-%Y %H:%M",
    "%d-%m-%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)

# `1.234,5` or `12,50`: a decimal comma (a thousands comma groups by three, `1,200`)
_COMMA = re.compile(r"-?(\d{1,3}(\.\d{3})+(,\d+)?|\d+,(\d{1,2}|\d{4,}))\Z")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


@dataclass
class _Layout:
    """One header's files and what their first rows hold."""

    files: list[str]
    header: list[str]
    samples: dict[str, list[str]]  # column → non-empty sample values, in row order
    encoding: str = "utf-8"


@dataclass
class _Source:
    """The draft of one mapping source: entries are (key, target, note) and commented-out
    entries carry a note saying why."""

    layout: _Layout
    name: str
    files: list[str]
    columns: dict[str, str] = field(default_factory=dict)
    formats: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)  # sampled timestamps no format reads
    naive: bool = False
    events: list[tuple[str, str, str]] = field(default_factory=list)
    fields: list[tuple[str, str, str]] = field(default_factory=list)
    dates: list[tuple[str, str, str]] = field(default_factory=list)
    values: list[str] = field(default_factory=list)  # sampled event values left as written
    unknown: list[str] = field(default_factory=list)
    comma_decimal: str | None = None  # a sampled number written with a decimal comma


# -- reading headers and samples ---------------------------------------------------------------


def _sample(path: str) -> _Layout:
    """A file's header and its first rows' values: CSV (any delimiter, gzip), JSON Lines
    (keys in order of first appearance) or Parquet (a file or a directory of them)."""
    from slalang.engine.choose import is_parquet

    if path == "-":
        raise SlalangError("mapping draft reads files; save standard input to a file first")
    if is_parquet(path):
        return _sample_parquet(path)
    name = display_name(path)
    with ExitStack() as closing:
        try:
            stream = open_binary(path, None, closing)
            encoding = _encoding(stream.peek(1 << 16)[: 1 << 16])
            if detect_format(path, stream) == "jsonl":
                return _sample_jsonl(path, stream.read(1 << 22).decode(encoding, "replace"))
            rows = CsvRows(stream, lambda line, reason, detail: None, encoding)
            header = rows.header()
            if header is None:
                raise SlalangError(f"{name}: empty file; expected a CSV header row")
            samples: dict[str, list[str]] = {cell: [] for cell in header}
            count = 0
            for row in rows:
                if len(row) != len(header):
                    continue
                for cell, value in zip(header, row, strict=True):
                    if value.strip():
                        samples[cell].append(value.strip())
                count += 1
                if count >= SAMPLE_ROWS:
                    break
            return _Layout([path], header, samples, encoding)
        except (OSError, EOFError, zlib.error) as exc:
            raise SlalangError(f"{name}: cannot read the file: {exc}") from None


def _encoding(head: bytes) -> str:
    """UTF-8 when the first block is UTF-8 text (a character cut at its end aside), else
    cp1252, which is what spreadsheet exports on Windows are."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            return "cp1252"
    return "utf-8"


def _sample_jsonl(path: str, text: str) -> _Layout:
    samples: dict[str, list[str]] = {}
    count = 0
    for line in text.splitlines():
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            continue
        if not isinstance(obj, dict):
            continue
        for key, value in obj.items():
            values = samples.setdefault(str(key), [])
            scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
            if scalar and str(value).strip():
                values.append(str(value).strip())
        count += 1
        if count >= SAMPLE_ROWS:
            break
    if not samples:
        raise SlalangError(f"{path}: no JSON object in the first lines")
    return _Layout([path], list(samples), samples)


def _sample_parquet(path: str) -> _Layout:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from slalang.data.typed_rows import batch_rows

    file = path
    if os.path.isdir(path):
        found = sorted(e for e in os.listdir(path) if e.lower().endswith(".parquet"))
        if not found:
            raise SlalangError(f"{path}: the directory holds no .parquet file")
        file = os.path.join(path, found[0])
    try:
        source = pq.ParquetFile(file)
        header = list(source.schema_arrow.names)
        batch = next(source.iter_batches(batch_size=SAMPLE_ROWS), None)
    except (OSError, pa.ArrowInvalid) as exc:
        raise SlalangError(f"{path}: cannot read the Parquet file: {exc}") from None
    samples: dict[str, list[str]] = {cell: [] for cell in header}
    for row in batch_rows(batch, header) if batch is not None else []:
        for cell, value in zip(header, row, strict=True):
            if value:
                samples[cell].append(value)
    return _Layout([path], header, samples)


# -- recognising columns -------------------------------------------------------------------------


def _reads(text: str, fmt: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if fmt is None else datetime.strptime(text, fmt)
    except ValueError:
        return None


def _is_instant(values: Sequence[str], formats: Sequence[str]) -> bool:
    """Whether every sampled value (at least one) reads as an instant in some format."""
    return bool(values) and all(
        any(_reads(v, f) is not None for f in (None, *formats)) for v in values
    )


def _formats_for(values: Iterable[str], preferred: Sequence[str]) -> tuple[list[str], list[str]]:
    """The strptime formats that read the values ISO-8601 does not (each format kept only if
    it reads one), and the values none reads."""
    chosen: list[str] = []
    unread: list[str] = []
    for value in values:
        if _reads(value, None) is not None or any(_reads(value, f) for f in chosen):
            continue
        fmt = next((f for f in (*preferred, *_FORMATS) if _reads(value, f) is not None), None)
        if fmt is None:
            unread.append(value)
        else:
            chosen.append(fmt)
    return chosen, unread


def _has_no_offset(values: Iterable[str], formats: Sequence[str]) -> bool:
    for value in values:
        for fmt in (*formats, None):
            moment = _reads(value, fmt)
            if moment is not None:
                if moment.tzinfo is None:
                    return True
                break
    return False


def _snake(name: str) -> str:
    """A column or value as an identifier a policy could declare: `Became a Lead Date` →
    `became_a_lead_date`."""
    words = re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_").lower()
    return words if words and not words[0].isdigit() else f"x_{words}"


def _preset_source(preset: Mapping, layout: _Layout) -> Mapping:
    """The preset's source for a file: the one its `files` globs match, else the one whose
    columns and event values the file shares most."""
    sources = preset.sources or (preset,)
    for source in sources:
        if source.files and all(source.matches(path) for path in layout.files):
            return source
    header = Header(layout.header, layout.files[0])
    sampled = {v for values in layout.samples.values() for v in values}

    def score(source: Mapping) -> int:
        named = [*source.columns.values(), *source.fields, *source.date_columns]
        found = sum(1 for name in named if header.find(name) >= 0)
        return 2 * found + sum(1 for value in source.events if value in sampled)

    return max(sources, key=score)


class _Targets:
    """The policy's declared names, when a policy is given: what a draft may map to."""

    def __init__(self, events: Sequence[str] | None, fields: Sequence[str] | None) -> None:
        self.events = events
        self.fields = fields

    def event(self, target: str) -> str | None:
        """The declared event type `target` is (loosely), or None; itself with no policy."""
        return target if self.events is None else _declared(target, self.events)

    def field(self, target: str) -> str | None:
        return target if self.fields is None else _declared(target, self.fields)


def _declared(name: str, declared: Sequence[str]) -> str | None:
    key = loose(name)
    return next((d for d in declared if loose(d) == key), None)


def _draft_source(layout: _Layout, preset: Mapping | None, targets: _Targets, name: str) -> _Source:
    header = Header(layout.header, layout.files[0])
    chosen = _preset_source(preset, layout) if preset is not None else None
    files = list(chosen.files) if chosen is not None and chosen.files else []
    files = files or sorted({posixpath.basename(p.replace("\\", "/")) for p in layout.files})
    draft = _Source(layout, name, files)
    taken: set[int] = set()

    def take(column: str) -> str | None:
        index = header.find(column)
        if index < 0 or index in taken:
            return None
        taken.add(index)
        return layout.header[index]

    # the canonical columns: the preset's names, else the names exports commonly use; a file
    # without an event column is a wide export, whose dates are events (no timestamp column)
    for canonical in ("lead_id", "event", "timestamp", "event_id"):
        if canonical == "timestamp" and "event" not in draft.columns:
            continue
        wanted = [chosen.column(canonical)] if chosen is not None else []
        for candidate in (*wanted, canonical, *_CANDIDATES[canonical]):
            cell = take(candidate)
            if cell is not None:
                draft.columns[canonical] = cell
                break
    preferred = list(chosen.timestamp_formats) if chosen is not None else []
    if "event" in draft.columns and "timestamp" not in draft.columns:
        # no column is named as a timestamp: the first column of instants is one
        for index, cell in enumerate(layout.header):
            if index not in taken and _is_instant(layout.samples[cell], (*preferred, *_FORMATS)):
                taken.add(index)
                draft.columns["timestamp"] = cell
                break
    # the preset's date columns and fields, then columns named as the policy's fields
    if chosen is not None:
        for column, target in chosen.date_columns.items():
            cell = take(column)
            if cell is not None:
                _entry(draft.dates, cell, targets.event(target), target, "an event type")
        for column, target in chosen.fields.items():
            cell = take(column)
            if cell is not None:
                _entry(draft.fields, cell, targets.field(target), target, "a field")
    if targets.fields is not None:
        for declared in targets.fields:
            cell = take(declared)
            if cell is not None:
                draft.fields.append((cell, declared, ""))
    # in a wide export, any other column of instants is a date column (commented out beside
    # a preset, which knows its CRM's lifecycle dates: another may be a last-activity stamp)
    if "event" not in draft.columns:
        for index, cell in enumerate(layout.header):
            if index not in taken and _is_instant(layout.samples[cell], (*preferred, *_FORMATS)):
                taken.add(index)
                target = _snake(re.sub(r"(?i)[ _-]*date$", "", cell) or cell)
                if chosen is not None:
                    draft.dates.append((cell, target, "dates the preset does not map: an event?"))
                else:
                    _entry(draft.dates, cell, targets.event(target), target, "an event type")
    draft.unknown = [cell for index, cell in enumerate(layout.header) if index not in taken]
    draft.comma_decimal = next(
        (v for cell, _, _ in draft.fields for v in layout.samples[cell] if _COMMA.match(v)), None
    )
    # timestamps: the formats the samples need, and whether they carry an offset
    stamps = [
        value
        for cell in (draft.columns.get("timestamp"), *(c for c, _, _ in draft.dates))
        if cell is not None
        for value in layout.samples[cell]
    ]
    draft.formats, draft.unread = _formats_for(stamps, preferred)
    draft.naive = _has_no_offset(stamps, draft.formats)
    # event values: the preset's translations, then what the samples hold
    if chosen is not None:
        for value, target in chosen.events.items():
            _entry(draft.events, value, targets.event(target), target, "an event type")
    mapped = {value for value, _, _ in draft.events}
    for value in dict.fromkeys(layout.samples.get(draft.columns.get("event", ""), [])):
        if value in mapped:
            continue
        kind = targets.event(value) if targets.events is not None else None
        if kind is not None and kind != value:
            draft.events.append((value, kind, ""))
        elif kind is None:
            draft.values.append(value)
    return draft


def _entry(
    into: list[tuple[str, str, str]], key: str, found: str | None, target: str, kind: str
) -> None:
    """An entry mapping `key` to a declared target, or commented out when the policy does
    not declare it."""
    if found is not None:
        into.append((key, found, ""))
    else:
        into.append((key, target, f"not {kind} the policy declares"))


# -- writing YAML --------------------------------------------------------------------------------


def _scalar(text: str) -> str:
    """A YAML scalar that reads back as exactly `text` (a string)."""
    if _PLAIN.match(text) and text.lower() not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _comment(text: str) -> str:
    """Text safe inside a YAML comment: one line, control characters escaped."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _block(key: str, entries: list[tuple[str, str, str]], indent: str) -> list[str]:
    if not entries:
        return []
    live = [(k, t) for k, t, note in entries if not note]
    lines = [f"{indent}{key}:" if live else f"{indent}# {key}:"]
    for source, target, note in entries:
        entry = f"{_scalar(source)}: {_scalar(target)}"
        lines.append(f"{indent}  # {entry}  # {note}" if note else f"{indent}  {entry}")
    return lines


def _render_source(draft: _Source, indent: str) -> list[str]:
    lines: list[str] = []
    if draft.layout.encoding != "utf-8":
        lines.append(
            f"{indent}encoding: {draft.layout.encoding}  # not UTF-8: a guess, check accented "
            "names in data check"
        )
    lines.append(f"{indent}columns:" if draft.columns else f"{indent}# columns:")
    for canonical in CANONICAL_COLUMNS:
        if canonical in draft.columns:
            lines.append(f"{indent}  {canonical}: {_scalar(draft.columns[canonical])}")
        elif canonical == "lead_id" or (canonical != "event_id" and not draft.dates):
            lines.append(f"{indent}  # {canonical}: ?  # no column recognised: name it")
    if draft.formats:
        lines.append(f"{indent}timestamp_format:")
        lines.extend(f"{indent}  - {_scalar(fmt)}" for fmt in draft.formats)
    if draft.unread:
        shown = ", ".join(f"`{_comment(v)}`" for v in draft.unread[:3])
        lines.append(f"{indent}# timestamps no known format reads (add a strptime format): {shown}")
    if draft.comma_decimal is not None:
        lines.append(
            f'{indent}# decimal: ","  # numbers such as `{_comment(draft.comma_decimal)}` were '
            'seen: with `thousands: "."` if they group thousands with dots'
        )
    if draft.naive:
        lines.append(
            f"{indent}# timezone: Area/City  # the times have no UTC offset: name the export's "
            "zone (else the agreement's is assumed)"
        )
    lines.extend(_block("date_columns", draft.dates, indent))
    lines.extend(_block("events", draft.events, indent))
    if draft.values:
        shown = ", ".join(f"`{_comment(v)}`" for v in draft.values[:_SHOWN_VALUES])
        more = " …" if len(draft.values) > _SHOWN_VALUES else ""
        lines.append(
            f"{indent}# event values read as written (map one under `events:` when it is not "
            f"a declared event type's name): {shown}{more}"
        )
    lines.extend(_block("fields", draft.fields, indent))
    if draft.unknown:
        shown = ", ".join(f"`{_comment(c)}`" for c in draft.unknown)
        lines.append(
            f"{indent}# columns nothing reads (map one under `fields:` to read it as a "
            f"declared field): {shown}"
        )
    return lines


def _header_comment(files: Sequence[str], preset: str | None, policy: str | None) -> list[str]:
    names = " ".join(_comment(display_name(p)) for p in files)
    by = f" with the preset `{preset}`" if preset else ""
    checked = (
        f"Targets are the event types and fields {_comment(policy)} declares; entries for "
        "others are commented out."
        if policy
        else "Targets (after `:` under date_columns, events and fields) are guesses: rename "
        "each to an event type or field your policy declares, or delete it."
    )
    shown_policy = _comment(policy) if policy else "POLICY"
    return [
        f"# A starter mapping drafted by `slalang mapping draft` from {names}{by}.",
        f"# {checked}",
        "# Check the columns, formats and zone below, then run",
        f"#   slalang data check {shown_policy} {names} --mapping THIS_FILE",
        "# and read what it says (rejected rows, bad values, columns nothing reads).",
    ]


def draft_mapping(
    paths: Sequence[str],
    preset: str | None = None,
    events: Sequence[str] | None = None,
    fields: Sequence[str] | None = None,
    policy: str | None = None,
) -> str:
    """The YAML text of a starter mapping for the files at `paths`.

    `preset` names a shipped preset whose knowledge of its CRM's columns comes first;
    `events` and `fields`, a policy's declared names (from `policy`, named in comments),
    restrict targets to them. Files with one header share a layout; several headers make
    one source each. The text always loads as a mapping (it is checked before returning).
    """
    if not paths:
        raise SlalangError("mapping draft needs at least one file")
    base = None
    if preset is not None:
        if preset not in _preset_names():
            raise SlalangError(
                f"unknown preset `{preset}` (presets: {', '.join(sorted(_preset_names()))})"
            )
        base = load_mapping(preset)
    layouts: dict[tuple[str, ...], _Layout] = {}
    for path in paths:
        layout = _sample(path)
        known = layouts.get(tuple(layout.header))
        if known is None:
            layouts[tuple(layout.header)] = layout
        else:
            known.files.append(path)
            for cell, values in layout.samples.items():
                known.samples[cell].extend(values)
    targets = _Targets(events, fields)
    names: dict[str, int] = {}
    drafts = []
    for layout in layouts.values():
        stem = _snake(posixpath.basename(layout.files[0]).split(".")[0])
        names[stem] = names.get(stem, 0) + 1
        name = stem if names[stem] == 1 else f"{stem}_{names[stem]}"
        drafts.append(_draft_source(layout, base, targets, name))
    shared = [tuple(d.files) for d in drafts]
    for draft in drafts:
        if shared.count(tuple(draft.files)) > 1:  # one preset source, two headers: by name
            draft.files = sorted(
                {posixpath.basename(p.replace("\\", "/")) for p in draft.layout.files}
            )
    lines = _header_comment(paths, preset, policy)
    if len(drafts) == 1:
        lines += _render_source(drafts[0], "")
    else:
        lines.append("sources:")
        for draft in drafts:
            globs = ", ".join(_scalar(glob) for glob in draft.files)
            lines.append(f"  - name: {_scalar(draft.name)}")
            lines.append(f"    files: [{globs}]  # widen to match next exports' names")
            lines += _render_source(draft, "    ")
    text = "\n".join(lines) + "\n"
    parse_mapping(text, "the drafted mapping")  # a draft that would not load is a bug
    return text


def _preset_names() -> list[str]:
    from slalang.data.mapping import presets

    return list(presets())
