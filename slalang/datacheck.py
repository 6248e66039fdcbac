"""`slalang data check` and `slalang mappings`: looking at CRM exports before evaluating them.

An evaluation over an export that the mapping misreads still produces a report, just a
wrong one: rows rejected by the thousand, a date column nobody mapped, a field the SLA
needs that no column feeds. This command reads the files exactly as `evaluate` would
(the same reader, mapping and zone rules) and shows what it made of them, so those
problems show up before anyone trusts a report.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from collections.abc import Mapping as AbstractMapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from slalang.data import EventLog, Mapping, read_events
from slalang.data.headers import Header
from slalang.data.log import InputStats
from slalang.data.mapping import CANONICAL_COLUMNS
from slalang.data.sources import (
    CsvRows,
    detect_format,
    display_name,
    input_stream,
    open_binary,
)
from slalang.diagnostics import SlalangError
from slalang.engine.choose import is_parquet
from slalang.evaluate.model import iso

_EXAMPLES = 3  # rejected rows shown per reason: enough to see the pattern


@dataclass
class _FileProfile:
    """What one input file held and how its source's mapping read it."""

    path: str
    source: Mapping
    header: list[str] | None  # None: JSON Lines, whose keys vary per line
    stats: InputStats
    leads: frozenset[str]
    types: Counter[str]  # events per declared type
    fields: Counter[str]  # events setting each declared field


def _of_log(path: str, source: Mapping, header: list[str] | None, log: EventLog) -> _FileProfile:
    """The profile of a file the reference reader read."""
    types: Counter[str] = Counter()
    fields: Counter[str] = Counter()
    for timeline in log.leads.values():
        types.update(event.type for event in timeline)
        for event in timeline:
            fields.update(event.fields.keys())  # keys: a mapping would add its values
    return _FileProfile(path, source, header, log.stats, frozenset(log.leads), types, fields)


@dataclass
class Profile:
    """The whole check's findings; `problems` decide the exit code."""

    files: list[_FileProfile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _header(path: str, kept: AbstractMapping[str, str]) -> list[str] | None:
    """A CSV file's header cells as the reader sees them, a Parquet file's (or directory's
    first file's) column names; None for JSON Lines. An input read once only is read
    again from the file it was kept in (`kept`), under its own name."""
    if path not in kept and is_parquet(path):
        import pyarrow.parquet as pq  # only here: the local engine has read the file already

        return list(pq.ParquetDataset(path).schema.names)
    with ExitStack() as closing:
        try:
            again = closing.enter_context(input_stream(path, None, kept))
            stream = open_binary(path, again, closing)
            if detect_format(path, stream) == "jsonl":
                return None
            return CsvRows(stream, lambda line, reason, detail: None).header()
        except (OSError, EOFError, zlib.error) as exc:
            raise SlalangError(f"{path}: cannot read events: {exc}") from None


def _uses(source: Mapping, fields: dict[str, Any], events: list[str]) -> list[tuple[str, str]]:
    """(column name, what the mapping makes of it) for every column the source names, the
    ones the reader gives way to first (a preset's columns for targets this policy does not
    declare say so)."""
    uses = [(source.column(c), c) for c in CANONICAL_COLUMNS]
    for column, target in source.fields.items():
        ignored = "" if target in fields else " (not declared: ignored)"
        uses.append((column, f"field `{target}`{ignored}"))
    for column, target in source.date_columns.items():
        unknown = "" if target in events else " (not declared: counted as unknown)"
        uses.append((column, f"`{target}` events{unknown}"))
    uses.extend((name, f"field `{name}`") for name in fields)
    return uses


def _columns(item: _FileProfile, uses: list[tuple[str, str]]) -> list[str]:
    """What a file's header holds: the columns mapped (to what), those nothing reads, those
    read by a loose match of their names, and those the mapping names but the file lacks;
    columns are found as the reader finds them (`slalang.data.headers`)."""
    loose = [f"`{column}` as `{name}`" for name, column in item.stats.loose_columns]
    said = [
        f"    columns matched loosely (case, spaces, `_` and `-` set aside): {', '.join(loose)}"
    ]
    said = said if loose else []
    if item.header is None:
        return ["    columns: JSON Lines (keys are looked up per line)", *said]
    header = Header(item.header, item.path)
    use_of: dict[int, str] = {}
    for name, use in uses:
        index = header.find(name)
        if index >= 0:
            use_of.setdefault(index, use)
    mapped = [f"`{c}` → {use_of[i]}" for i, c in enumerate(item.header) if i in use_of]
    unmapped = [f"`{c}`" for i, c in enumerate(item.header) if i not in use_of]
    lines = [
        f"    columns mapped: {', '.join(mapped) or 'none'}",
        f"    columns unmapped: {', '.join(unmapped) or 'none'}",
        *said,
    ]
    absent = [f"`{c}`" for c in _named(item.source) if header.find(c) < 0]
    if absent:
        lines.append(f"    columns the mapping names but the file lacks: {', '.join(absent)}")
    return lines


def _named(source: Mapping) -> list[str]:
    """The columns the mapping itself names for a source (not the canonical defaults)."""
    return [*source.columns.values(), *source.fields, *source.date_columns]


def profile(
    plan: dict[str, Any],
    paths: Sequence[str],
    mapping: Mapping,
    timezone: str | None,
    *,
    engine: str = "local",
    jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Profile:
    """Read each file on its own with the reader `evaluate` uses, and collect the problems:
    rejected rows, bad values, and fields the policy reads that no event sets; and the
    warnings: sources whose events cover different date ranges.

    As in `evaluate`, `engine="local"` reads a file of some size (and Parquet) columnar,
    partitioned past the memory budget and on `jobs` cores, and counts from the arrays;
    smaller files, and every file with `engine="reference"`, are read into the reference
    reader's event log. Both give the same profile. `progress` hears how much of a file
    the columnar reader has read, and how many of its partitions are counted. Each input is
    read twice (its header, then its rows), so standard input and named pipes are first
    kept in temporary files (`slalang.api.kept_streams`), removed once profiled."""
    from slalang.api import kept_streams
    from slalang.engine.choose import chooses_local
    from slalang.evaluate.run import field_specs

    specs = field_specs(plan)
    result = Profile()
    with kept_streams(paths) as kept:
        for path in paths:
            source = mapping.source_for(path)
            if chooses_local(engine, [kept.get(path, path)]):
                columnar = _columnar(plan, path, source, mapping, timezone, jobs, progress, kept)
                result.files.append(columnar)
                continue
            log = read_events(
                [path],
                specs,
                plan["events"],
                mapping,
                timezone,
                default_timezone=plan["policy"]["timezone"],
                kept=kept,
            )
            result.files.append(_of_log(path, source, _header(path, kept), log))
    rejected = sum(sum(f.stats.rejected.values()) for f in result.files)
    if rejected:
        result.problems.append(f"{rejected:,} row{_s(rejected)} would be rejected")
    bad = sum(sum(_bad_counts(f.stats).values()) for f in result.files)
    if bad:
        result.problems.append(
            f"{bad:,} bad value{_s(bad)} (the events are used, those fields left unchanged)"
        )
    for name in _never_set(plan, result):
        result.problems.append(f"the policy reads the field `{name}` but no event sets it")
    result.warnings.extend(_range_warnings(result))
    return result


def _columnar(
    plan: dict[str, Any],
    path: str,
    source: Mapping,
    mapping: Mapping,
    timezone: str | None,
    jobs: int | None,
    progress: Callable[[int, int], None] | None,
    kept: AbstractMapping[str, str],
) -> _FileProfile:
    """The profile of a file read by the local engine's columnar reader."""
    from slalang.engine.local import summarize

    read = summarize(
        plan,
        [path],
        mapping=mapping,
        timezone=timezone,
        jobs=jobs,
        progress=progress,
        kept=kept,
    )
    types = Counter(read.types)
    fields = Counter(read.fields)
    header = _header(path, kept)
    return _FileProfile(path, source, header, read.stats, read.lead_ids, types, fields)


_RANGE_SLACK = 31 * 86_400
"""How far apart two sources' first or last events may be before the ranges count as
different: a deal follows its lead by days or weeks, but an export that stops months
before another makes every later period read as missing data."""


def _range_warnings(result: Profile) -> list[str]:
    """A warning when the sources of a multi-source mapping cover different date ranges."""
    ranges: dict[str, tuple[int, int]] = {}
    for item in result.files:
        stats = item.stats
        if item.source.name is None or stats.first_ts is None or stats.last_ts is None:
            continue
        first, last = ranges.get(item.source.name, (stats.first_ts, stats.last_ts))
        ranges[item.source.name] = (min(first, stats.first_ts), max(last, stats.last_ts))
    if len(ranges) < 2:
        return []
    starts = [first for first, _ in ranges.values()]
    ends = [last for _, last in ranges.values()]
    if max(starts) - min(starts) <= _RANGE_SLACK and max(ends) - min(ends) <= _RANGE_SLACK:
        return []
    shown = "; ".join(
        f"`{name}` {iso(first)[:10]} to {iso(last)[:10]}" for name, (first, last) in ranges.items()
    )
    common = (
        f"periods outside {iso(max(starts))[:10]} to {iso(min(ends))[:10]} lack some "
        "sources' events"
        if max(starts) <= min(ends)
        else "no period has events from every source"
    )
    return [
        f"the sources cover different date ranges ({shown}); {common} and may read as "
        "missed targets (judge the common range with --from/--to, or export the same range)"
    ]


def _bad_counts(stats: InputStats) -> Counter[str]:
    """Bad values by `field`/reason."""
    return Counter(
        {
            f"{name}: {reason}": count
            for name, reasons in stats.bad_values.items()
            for reason, count in reasons.items()
        }
    )


def _never_set(plan: dict[str, Any], result: Profile) -> list[str]:
    seen = {name for item in result.files for name, count in item.fields.items() if count}
    return [name for name in plan["fields_read"] if name not in seen]


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _zone_note(source: Mapping, timezone: str | None, agreement: str) -> str:
    if source.timezone:
        zone = f"`{source.timezone}` (the mapping's `timezone`)"
    elif timezone:
        zone = f"`{timezone}` (--timezone)"
    else:
        zone = f"`{agreement}` (the agreement's zone: neither the mapping nor --timezone names one)"
    formats = ", ".join(f"`{fmt}`" for fmt in source.timestamp_formats)
    read = f"{formats}, then ISO-8601" if formats else "ISO-8601"
    return f"local times read in {zone}; timestamps read as {read}; a date alone is local midnight"


def render(plan: dict[str, Any], result: Profile, timezone: str | None) -> str:
    """The profile as text for a person deciding whether the export is ready."""
    from slalang.evaluate.run import field_specs

    specs = field_specs(plan)
    out: list[str] = []
    by_source: dict[str, list[_FileProfile]] = {}
    for item in result.files:
        by_source.setdefault(item.source.name or "(the mapping)", []).append(item)
    types: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    leads: set[str] = set()
    first: int | None = None
    last: int | None = None
    for name, items in by_source.items():
        source = items[0].source
        rows = sum(i.stats.rows for i in items)
        out.append(f"source {name}: {len(items)} file{_s(len(items))}, {rows:,} row{_s(rows)}")
        out.append(f"  {_zone_note(source, timezone, plan['policy']['timezone'])}")
        uses = _uses(source, specs, plan["events"])
        for item in items:
            stats = item.stats
            bad = sum(stats.rejected.values())
            span = (
                f", events from {iso(stats.first_ts)} to {iso(stats.last_ts)}"
                if stats.first_ts is not None and stats.last_ts is not None
                else ""
            )
            out.append(
                f"  {display_name(item.path)}: {stats.rows:,} rows, {stats.events:,} events, "
                f"{stats.leads:,} leads, {bad:,} rejected, "
                f"{sum(_bad_counts(stats).values()):,} bad values{span}"
            )
            out.extend(_columns(item, uses))
            leads |= item.leads
            types.update(item.types)
            unknown.update(stats.unknown_events)
            if stats.first_ts is not None and (first is None or stats.first_ts < first):
                first = stats.first_ts
            if stats.last_ts is not None and (last is None or stats.last_ts > last):
                last = stats.last_ts
    out.append("events by type:")
    for kind in plan["events"]:
        out.append(f"  {kind}: {types[kind]:,}" + ("  (never seen)" if not types[kind] else ""))
    for kind, count in sorted(unknown.items()):
        out.append(f"  `{kind}`: {count:,}  (not declared by the policy: ignored)")
    span = f"{iso(first)} to {iso(last)}" if first is not None and last is not None else "none"
    out.append(f"leads: {len(leads):,}; events from {span}")
    out.extend(_rejections(result))
    out.extend(_bad_values(result))
    out.extend(_fields(plan, result))
    out.extend(f"warning: {warning}" for warning in result.warnings)
    if result.problems:
        out.append(f"{len(result.problems)} problem{_s(len(result.problems))}:")
        out.extend(f"  {problem}" for problem in result.problems)
    else:
        out.append("no problems found")
    return "\n".join(out) + "\n"


def _counted(
    title: str, counts: Counter[str], examples: list[tuple[str, str]], none: str
) -> list[str]:
    """A count per key, each followed by up to _EXAMPLES of its (key, example) lines."""
    if not counts:
        return [none]
    shown: dict[str, list[str]] = {}
    for key, example in examples:
        listed = shown.setdefault(key, [])
        if len(listed) < _EXAMPLES:
            listed.append(example)
    lines = [title]
    for key, count in sorted(counts.items()):
        lines.append(f"  {key}: {count:,}")
        lines.extend(f"    {example}" for example in shown.get(key, []))
    return lines


def _rejections(result: Profile) -> list[str]:
    reasons: Counter[str] = Counter()
    for item in result.files:
        reasons.update(item.stats.rejected)
    examples = [
        (r.reason, f"{r.file}:{r.line}: {r.detail}")
        for item in result.files
        for r in item.stats.rejected_examples
    ]
    return _counted("rejected rows:", reasons, examples, "rejected rows: none")


def _bad_values(result: Profile) -> list[str]:
    counts: Counter[str] = Counter()
    for item in result.files:
        counts.update(_bad_counts(item.stats))
    examples = [
        (f"{b.field}: {b.reason}", f"{b.file}:{b.line}: `{b.value}`")
        for item in result.files
        for b in item.stats.bad_value_examples
    ]
    title = "bad values (the events are used, the field left unchanged):"
    return _counted(title, counts, examples, "bad values: none")


def _fields(plan: dict[str, Any], result: Profile) -> list[str]:
    set_on: Counter[str] = Counter()
    for item in result.files:
        set_on.update(item.fields)
    lines = ["fields (events setting each):"]
    for name in plan["fields"]:
        note = ""
        if not set_on[name]:
            reads = name in plan["fields_read"]
            note = "  (never set; the policy reads it)" if reads else "  (never set)"
        lines.append(f"  {name}: {set_on[name]:,}{note}")
    return lines
