"""Helpers for the data-in tests: a small policy's declarations, a reader call with them,
and the accounting check every read must pass."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from slalang.data import EventLog, FieldSpec, InputStats, Mapping, read_events

EVENTS = ("form_submitted", "page_view", "demo_request", "sales_touch", "mql_marked")
FIELDS = {
    "segment": FieldSpec("segment", "one_of", ("smb", "mid", "enterprise")),
    "company_size": FieldSpec("company_size", "number"),
    "title": FieldSpec("title", "text"),
    "opted_in": FieldSpec("opted_in", "bool"),
    "signed_on": FieldSpec("signed_on", "date"),
}
HEADER = "lead_id,timestamp,event,event_id,segment,company_size,title,opted_in,signed_on\n"


def assert_books_close(stats: InputStats) -> None:
    """RUNNER §5's accounting: every row read is used or counted exactly once."""
    counted = (
        stats.events
        + sum(stats.rejected.values())
        + stats.duplicates
        + sum(stats.unknown_events.values())
        + stats.after_as_of
    )
    assert stats.rows + stats.expanded == counted, stats
    assert len(stats.rejected_examples) == min(20, sum(stats.rejected.values()))


def read(
    tmp_path: Path,
    text: str | bytes,
    name: str = "events.csv",
    *,
    mapping: Mapping | None = None,
    timezone: str | None = None,
    as_of: datetime | None = None,
) -> EventLog:
    """Write one input file and read it with the test policy's declarations."""
    path = tmp_path / name
    if isinstance(text, str):
        path.write_text(text, encoding="utf-8")
    else:
        path.write_bytes(text)
    log = read_events([str(path)], FIELDS, EVENTS, mapping, timezone, as_of)
    assert_books_close(log.stats)
    assert sum(len(t) for t in log.leads.values()) == log.stats.events
    return log


def read_stdin(data: bytes, paths: Sequence[str] = ("-",), **kwargs: object) -> EventLog:
    log = read_events(list(paths), FIELDS, EVENTS, stdin=io.BytesIO(data), **kwargs)  # type: ignore[arg-type]
    assert_books_close(log.stats)
    return log


def utc(text: str) -> int:
    """Epoch seconds of an ISO instant, for expected values."""
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())
