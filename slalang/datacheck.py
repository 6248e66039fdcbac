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
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

from slalang.data import EventLog, Mapping, read_events
from slalang.data.mapping import CANONICAL_COLUMNS
from slalang.data.sources import CsvRows, detect_format, open_binary
from slalang.diagnostics import SlalangError
from slalang.evaluate.model import iso

_EXAMPLES = 3  # rejected rows shown per reason: enough to see the pattern


@dataclass
class _FileProfile:
    """What one input file held and how its source's mapping read it."""

    path: str
    source: Mapping
    header: list[str] | None  # None: JSON Lines, whose keys vary per line
    log: EventLog


@dataclass
class Profile:
    """The whole check's findings; `problems` decide the exit code."""

    files: list[_FileProfile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _header(path: str) -> list[str] | None:
    """A CSV file's header cells as the reader sees them; None for JSON Lines."""
    with ExitStack() as closing:
        try:
            stream = open_binary(path, None, closing)
            if detect_format(path, stream) == "jsonl":
                return None
            return CsvRows(stream, lambda line, reason, detail: None).header()
        except (OSError, EOFError, zlib.error) as exc:
            raise SlalangError(f"{path}: cannot read events: {exc}") from None


def _uses(source: Mapping, fields: dict[str, Any], events: list[str]) -> dict[str, str]:
    """Source column → what the mapping makes of it, for every column the source names
    (a preset's columns for targets this policy does not declare say so)."""
    uses = {source.column(c): c for c in CANONICAL_COLUMNS}
    for name in fields:
        uses[name] = f"field `{name}`"
    for column, target in source.fields.items():
        ignored = "" if target in fields else " (not declared: ignored)"
        uses[column] = f"field `{target}`{ignored}"
    for column, target in source.date_columns.items():
        unknown = "" if target in events else " (not declared: counted as unknown)"
        uses[column] = f"`{target}` events{unknown}"
    return uses


def _named(source: Mapping) -> list[str]:
    """The columns the mapping itself names for a source (not the canonical defaults)."""
    return [*source.columns.values(), *source.fields, *source.date_columns]


def profile(
    plan: dict[str, Any], paths: Sequence[str], mapping: Mapping, timezone: str | None
) -> Profile:
    """Read each file on its own with the reader `evaluate` uses, and collect the problems:
    rejected rows, and fields the policy reads that no event sets."""
    from slalang.evaluate.run import field_specs

    specs = field_specs(plan)
    result = Profile()
    for path in paths:
        if path == "-":
            raise SlalangError("data check reads files; save standard input to a file first")
        source = mapping.source_for(path)
        log = read_events([path], specs, plan["events"], mapping, timezone)
        result.files.append(_FileProfile(path, source, _header(path), log))
    rejected = sum(sum(f.log.stats.rejected.values()) for f in result.files)
    if rejected:
        result.problems.append(f"{rejected:,} row{_s(rejected)} would be rejected")
    for name in _never_set(plan, result):
        result.problems.append(f"the policy reads the field `{name}` but no event sets it")
    return result


def _never_set(plan: dict[str, Any], result: Profile) -> list[str]:
    seen: set[str] = set()
    for item in result.files:
        for timeline in item.log.leads.values():
            for event in timeline:
                seen.update(event.fields)
    return [name for name in plan["fields_read"] if name not in seen]


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _zone_note(source: Mapping, timezone: str | None) -> str:
    if source.timezone:
        zone = f"`{source.timezone}` (the mapping's `timezone`)"
    elif timezone:
        zone = f"`{timezone}` (--timezone)"
    else:
        zone = "none: a timestamp without a UTC offset is rejected (naive_timestamp)"
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
        rows = sum(i.log.stats.rows for i in items)
        out.append(f"source {name}: {len(items)} file{_s(len(items))}, {rows:,} row{_s(rows)}")
        out.append(f"  {_zone_note(source, timezone)}")
        uses = _uses(source, specs, plan["events"])
        for item in items:
            stats = item.log.stats
            bad = sum(stats.rejected.values())
            out.append(
                f"  {item.path}: {stats.rows:,} rows, {stats.events:,} events, "
                f"{stats.leads:,} leads, {bad:,} rejected"
            )
            if item.header is None:
                out.append("    columns: JSON Lines (keys are looked up per line)")
            else:
                mapped = [f"`{c}` → {uses[c]}" for c in item.header if c in uses]
                unmapped = [f"`{c}`" for c in item.header if c not in uses]
                out.append(f"    columns mapped: {', '.join(mapped) or 'none'}")
                out.append(f"    columns unmapped: {', '.join(unmapped) or 'none'}")
                absent = [f"`{c}`" for c in _named(source) if c not in item.header]
                if absent:
                    out.append(
                        f"    columns the mapping names but the file lacks: {', '.join(absent)}"
                    )
            for timeline_lead, timeline in item.log.leads.items():
                leads.add(timeline_lead)
                types.update(event.type for event in timeline)
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
    out.extend(_fields(plan, result))
    if result.problems:
        out.append(f"{len(result.problems)} problem{_s(len(result.problems))}:")
        out.extend(f"  {problem}" for problem in result.problems)
    else:
        out.append("no problems found")
    return "\n".join(out) + "\n"


def _rejections(result: Profile) -> list[str]:
    reasons: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for item in result.files:
        reasons.update(item.log.stats.rejected)
        for example in item.log.stats.rejected_examples:
            shown = examples.setdefault(example.reason, [])
            if len(shown) < _EXAMPLES:
                shown.append(f"{example.file}:{example.line}: {example.detail}")
    if not reasons:
        return ["rejected rows: none"]
    lines = ["rejected rows:"]
    for reason, count in sorted(reasons.items()):
        lines.append(f"  {reason}: {count:,}")
        lines.extend(f"    {example}" for example in examples.get(reason, []))
    return lines


def _fields(plan: dict[str, Any], result: Profile) -> list[str]:
    set_on: Counter[str] = Counter()
    for item in result.files:
        for timeline in item.log.leads.values():
            for event in timeline:
                set_on.update(event.fields.keys())  # keys: a mapping would add its values
    lines = ["fields (events setting each):"]
    for name in plan["fields"]:
        note = ""
        if not set_on[name]:
            reads = name in plan["fields_read"]
            note = "  (never set; the policy reads it)" if reads else "  (never set)"
        lines.append(f"  {name}: {set_on[name]:,}{note}")
    return lines
