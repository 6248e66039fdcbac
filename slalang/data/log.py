"""The event log, the data-in stage's output: per-lead timelines of typed events and the
input accounting the report shows (RUNNER §5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from slalang.data.values import FieldValue

#: Rejection reason codes, in the order a row is checked (the first defect wins). Only a
#: row without a usable lead id, timestamp or event type is rejected (RUNNER §6.1).
REASONS: dict[str, str] = {
    "bad_encoding": "the lead id, timestamp, event or event id holds bytes that are not text",
    "bad_row": "a CSV row with the wrong number of cells, one the CSV parser refused, "
    "or a line or cell over the length limit",
    "bad_json": "a JSON Lines line that is not a JSON object, or holds a list or object "
    "under the lead id, timestamp, event or event id",
    "missing_lead_id": "the lead id is empty",
    "missing_timestamp": "the timestamp is empty",
    "bad_timestamp": "the timestamp (or a date cell) is not an instant",
    "naive_timestamp": "the timestamp has no UTC offset and no time zone is known",
    "missing_event": "the event type is empty",
    "no_dates": "a wide-export row with no event and every date cell empty",
}

#: Bad-value reason codes: a field cell that cannot be read leaves that field unchanged by
#: its event, which is still used (RUNNER §6.1).
BAD_VALUES: dict[str, str] = {
    "bad_number": "a number field's value is not a number in the mapping's number format",
    "bad_bool": "a bool field's value is not true/false, yes/no or 1/0",
    "bad_date": "a date field's value is not a date",
    "bad_option": "a `one of` field's value is outside its set",
    "bad_encoding": "the value holds bytes that are not text in the source's encoding",
    "bad_json": "the value (JSON Lines) is a list or an object",
}


class Event(NamedTuple):
    """One event of a lead, as replay needs it.

    `fields` holds only the non-empty, typed values this event sets; it is shared between
    the events a wide row makes, so it must not be modified. `file` and `line` say where
    the event was read, for `explain` and diagnostics.
    """

    ts: int  # UTC epoch seconds
    seq: int  # position in the whole input: file order, then row order
    type: str
    fields: Mapping[str, FieldValue]
    event_id: str | None
    file: str
    line: int

    @property
    def source(self) -> tuple[str, int]:
        return (self.file, self.line)


class BadValue(NamedTuple):
    """A field cell that could not be read: where, which field, the text, the reason code.

    `value` is the cell as written (bytes that are not text shown as `\\xNN`), shortened
    when long."""

    file: str
    line: int
    field: str
    value: str
    reason: str


class Rejection(NamedTuple):
    """A rejected row: where it is, the reason code, and what was wrong in words."""

    file: str
    line: int
    reason: str
    detail: str


@dataclass(slots=True)
class InputStats:
    """The input accounting of RUNNER §5.

    Every data row is counted in `rows`. A row is either rejected (once, for its first
    defect) or yields events: one for an event row, one per non-empty date cell for a
    wide-export row. `expanded` counts the events beyond the first that a row yielded, so
    the books close:

        rows + expanded == events + sum(rejected) + duplicates
                           + sum(unknown_events) + after_as_of

    `bad_values` (field → reason → count) are cells of used rows and so are outside that
    sum. `timezone_assumed` is the agreement's zone when the timestamp (without an offset)
    of an event kept for replay was read in it because neither the source nor --timezone
    named one (RUNNER §6.2); a rejected or skipped row's timestamp does not count.
    `loose_columns` maps (the name a mapping asked for, the column read for it) to the first
    input where the column matched only with case, spaces, `_` and `-` set aside; it is said
    on stderr, not part of the report.
    """

    rows: int = 0
    events: int = 0
    leads: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    rejected_examples: list[Rejection] = field(default_factory=list)
    duplicates: int = 0
    unknown_events: dict[str, int] = field(default_factory=dict)
    after_as_of: int = 0
    expanded: int = 0
    bad_values: dict[str, dict[str, int]] = field(default_factory=dict)
    bad_value_examples: list[BadValue] = field(default_factory=list)
    timezone_assumed: str | None = None
    loose_columns: dict[tuple[str, str], str] = field(default_factory=dict)
    first_ts: int | None = None
    last_ts: int | None = None

    def add_counts(self, other: InputStats) -> None:
        """Add the counts of another stretch of the input (rows, events, rejections, unknown
        types, events after as-of, expansions, bad values): for readers that read parts of
        one input apart; examples and the rest are for them to merge."""
        self.rows += other.rows
        self.events += other.events
        self.after_as_of += other.after_as_of
        self.expanded += other.expanded
        for reason, count in other.rejected.items():
            self.rejected[reason] = self.rejected.get(reason, 0) + count
        for raw, count in other.unknown_events.items():
            self.unknown_events[raw] = self.unknown_events.get(raw, 0) + count
        for name, reasons in other.bad_values.items():
            counts = self.bad_values.setdefault(name, {})
            for reason, count in reasons.items():
                counts[reason] = counts.get(reason, 0) + count


@dataclass(slots=True)
class EventLog:
    """Every lead's events sorted by (ts, seq), and how the input was used."""

    leads: dict[str, list[Event]]
    stats: InputStats


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def input_warnings(stats: InputStats) -> list[str]:
    """What a run says about its input, one message each (examples on the lines after the
    first): undeclared event types, the agreement's zone when it was assumed, rejected rows
    and bad values. The report says the same; a warning is where a person running the
    command (or a CI log) sees it whatever the report's format."""
    messages = [
        f"event type `{kind}` is not declared by the policy; {_plural(count, 'event')} ignored"
        for kind, count in sorted(stats.unknown_events.items())
    ]
    if stats.loose_columns:
        pairs = ", ".join(
            f"`{column}` as `{name}` ({file})"
            for (name, column), file in stats.loose_columns.items()
        )
        messages.append(
            f"columns read by a loose match of their names (case, spaces, `_` and `-` set "
            f"aside): {pairs}; name them exactly in the mapping if that is not what you meant"
        )
    if stats.timezone_assumed:
        messages.append(
            "timestamps without a UTC offset were read in the agreement's zone "
            f"`{stats.timezone_assumed}`; give --timezone or the mapping's `timezone` "
            "if the export uses another"
        )
    if stats.rejected:
        reasons = ", ".join(f"{reason} {n:,}" for reason, n in sorted(stats.rejected.items()))
        lines = [f"{_plural(sum(stats.rejected.values()), 'row')} rejected ({reasons})"]
        lines += [f"  {r.file}:{r.line}: {r.reason}: {r.detail}" for r in stats.rejected_examples]
        messages.append("\n".join(lines))
    if stats.bad_values:
        counts = [
            f"{name} {reason} {n:,}"
            for name, reasons in sorted(stats.bad_values.items())
            for reason, n in sorted(reasons.items())
        ]
        total = sum(n for reasons in stats.bad_values.values() for n in reasons.values())
        lines = [
            f"{_plural(total, 'bad value')} ({', '.join(counts)}); "
            "their events are used, those fields left unchanged"
        ]
        lines += [
            f"  {b.file}:{b.line}: `{b.field}`: {b.reason}: `{b.value}`"
            for b in stats.bad_value_examples
        ]
        messages.append("\n".join(lines))
    return messages


def strict_problem(stats: InputStats) -> str | None:
    """Why `--strict` stops the run (exit 2): rejected rows or bad values; None if neither."""
    if stats.rejected:
        return "rows were rejected and --strict is set"
    if stats.bad_values:
        return "values could not be read and --strict is set"
    return None
