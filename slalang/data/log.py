"""The event log, the data-in stage's output: per-lead timelines of typed events and the
input accounting the report shows (RUNNER §5)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from slalang.data.values import FieldValue

#: Rejection reason codes, in the order a row is checked (the first defect wins).
REASONS: dict[str, str] = {
    "bad_encoding": "the row holds bytes that are not UTF-8 text",
    "bad_row": "a CSV row with the wrong number of cells, or one the CSV parser refused",
    "bad_json": "a JSON Lines line that is not a JSON object of plain values",
    "missing_lead_id": "the lead id is empty",
    "missing_timestamp": "the timestamp is empty",
    "bad_timestamp": "the timestamp (or a date cell) is not an instant",
    "naive_timestamp": "the timestamp has no UTC offset and no time zone is set",
    "missing_event": "the event type is empty",
    "no_dates": "a wide-export row with no event and every date cell empty",
    "bad_number": "a number field's value is not a number",
    "bad_bool": "a bool field's value is not true/false, yes/no or 1/0",
    "bad_date": "a date field's value is not a date",
    "bad_option": "a `one of` field's value is outside its set",
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
    first_ts: int | None = None
    last_ts: int | None = None


@dataclass(slots=True)
class EventLog:
    """Every lead's events sorted by (ts, seq), and how the input was used."""

    leads: dict[str, list[Event]]
    stats: InputStats
