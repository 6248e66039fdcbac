"""Random messy logs against a plain statement of the rules: every row lands in exactly one
count, for the first defect in the documented order (docs/data.md), and the books close; a
bad field cell is counted as a bad value and never costs its row's event."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.data import read_events
from tests.data.util import EVENTS, FIELDS, assert_books_close

AS_OF = datetime(2026, 3, 6, 11, 0, tzinfo=UTC)
ROW = st.tuples(
    st.sampled_from(["", "L1", "L2"]),
    st.sampled_from(
        ["", "soon", "2026-03-06T10:00:00", "2026-03-06T10:00:00Z", "2026-03-06T12:00:00Z"]
    ),
    st.sampled_from(["", "webinar", "page_view", "demo_request"]),
    st.sampled_from(["", "e1", "e2"]),
    st.sampled_from(["", "smb", "Enterprise"]),
    st.sampled_from(["", "5", "five"]),
)


def expected(rows: list[tuple[str, ...]]) -> tuple[Counter[str], Counter[str]]:
    """What each row should count as, and the bad values of the rows whose fields are
    read, written as directly as the rules read."""
    counts: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    kept: set[tuple[str, str]] = set()
    for lead, ts, event, event_id, segment, size in rows:
        if not lead:
            counts["missing_lead_id"] += 1
        elif not ts:
            counts["missing_timestamp"] += 1
        elif ts == "soon":
            counts["bad_timestamp"] += 1
        elif not ts.endswith("Z"):
            counts["naive_timestamp"] += 1
        elif not event:
            counts["missing_event"] += 1
        elif event == "webinar":
            counts["unknown"] += 1
        elif ts > "2026-03-06T11":
            counts["after_as_of"] += 1
        else:
            # fields are read before duplicates are found (per lead, after reading)
            bad["segment/bad_option"] += segment == "Enterprise"
            bad["company_size/bad_number"] += size == "five"
            if event_id and (lead, event_id) in kept:
                counts["duplicates"] += 1
            else:
                if event_id:
                    kept.add((lead, event_id))
                counts["events"] += 1
    return counts, bad


def bad_values(values: dict[str, dict[str, int]]) -> Counter[str]:
    return Counter(
        {
            f"{field}/{reason}": n
            for field, reasons in values.items()
            for reason, n in reasons.items()
        }
    )


@settings(max_examples=200, derandomize=True)
@given(st.lists(ROW, max_size=30))
def test_every_row_is_counted_once_for_its_first_defect(rows: list[tuple[str, ...]]) -> None:
    text = "lead_id,timestamp,event,event_id,segment,company_size\n" + "".join(
        ",".join(row) + "\n" for row in rows
    )
    log = read_events(["-"], FIELDS, EVENTS, as_of=AS_OF, stdin=io.BytesIO(text.encode()))
    stats = log.stats
    assert_books_close(stats)
    actual = Counter(stats.rejected)
    actual.update(
        unknown=sum(stats.unknown_events.values()),
        after_as_of=stats.after_as_of,
        duplicates=stats.duplicates,
        events=stats.events,
    )
    counts, bad = expected(rows)
    assert +actual == +counts
    assert bad_values(stats.bad_values) == +bad
    assert stats.rows == len(rows)

    # the same rows as JSON Lines count the same; lines are one less (no header)
    if not rows:
        return  # an empty standard input has no format to sniff
    keys = ("lead_id", "timestamp", "event", "event_id", "segment", "company_size")
    lines = "".join(json.dumps(dict(zip(keys, row, strict=True))) + "\n" for row in rows)
    json_log = read_events(["-"], FIELDS, EVENTS, as_of=AS_OF, stdin=io.BytesIO(lines.encode()))
    json_stats = json_log.stats
    assert (
        json_stats.rejected,
        json_stats.unknown_events,
        json_stats.events,
        json_stats.bad_values,
    ) == (stats.rejected, stats.unknown_events, stats.events, stats.bad_values)
    assert [(r.reason, r.line + 1) for r in json_stats.rejected_examples] == [
        (r.reason, r.line) for r in stats.rejected_examples
    ]
    assert {
        lead: [event._replace(line=event.line + 1) for event in timeline]
        for lead, timeline in json_log.leads.items()
    } == log.leads
