"""Fuzzing the readers: whatever bytes a CSV, JSON Lines, mapping or metrics file holds, the
reader either reads it (and the books close) or says why in a SlalangError; nothing else
escapes. A short fixed-seed run is part of the suite; `SLALANG_FUZZ_EXAMPLES=20000` runs
longer (docs/data.md, Fuzzing)."""

from __future__ import annotations

import io
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slalang.data import parse_mapping, read_events, read_metrics
from slalang.diagnostics import SlalangError
from tests.data.util import EVENTS, FIELDS, assert_books_close

EXAMPLES = int(os.environ.get("SLALANG_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "L1",
            "2026-03-06T10:00:00Z",
            "2026-03-06 10:00",
            "9999-12-31T23:59:59Z",
            "page_view",
            "demo_request",
            "smb",
            "1,200",
            "nan",
            "yes",
            '"',
            '"a,b"',
            "\r",
            "=1+1",
            "\x00",
            "{",
            "[[[",
        ]
    ),
    st.text(max_size=12),
)
HEADER = "lead_id,timestamp,event,event_id,segment,company_size,title,opted_in,signed_on"


@st.composite
def csv_logs(draw: st.DrawFn) -> bytes:
    """A header (sometimes broken), rows of likely and unlikely cells, odd separators, bytes
    that are not UTF-8."""
    rows = draw(st.lists(st.lists(CELLS, min_size=1, max_size=11), max_size=12))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = HEADER.replace(",", sep) if draw(st.booleans()) else draw(st.text(max_size=20))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = header + end + "".join(sep.join(row) + end for row in rows)
    data = text.encode("utf-8", "surrogatepass")
    return data + draw(st.binary(max_size=8))


@st.composite
def jsonl_logs(draw: st.DrawFn) -> bytes:
    keys = st.sampled_from(["lead_id", "timestamp", "event", "event_id", "segment", "title"])
    values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), CELLS),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=5,
    )
    objects = st.lists(st.dictionaries(keys, values), max_size=10)
    import json

    lines = [json.dumps(obj) for obj in draw(objects)]
    lines += draw(st.lists(st.text(max_size=10), max_size=2))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass") + draw(st.binary(max_size=6))


def _read(data: bytes, name: str) -> None:
    try:
        log = read_events([name], FIELDS, EVENTS, stdin=io.BytesIO(data))
    except SlalangError:
        return
    assert_books_close(log.stats)
    assert sum(len(t) for t in log.leads.values()) == log.stats.events


@FUZZ
@given(csv_logs())
def test_csv_reads_or_says_why(data: bytes) -> None:
    _read(data, "-")


@FUZZ
@given(jsonl_logs())
def test_json_lines_read_or_say_why(data: bytes) -> None:
    _read(data, "-")


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        st.builds(
            "\n".join,
            st.lists(
                st.sampled_from(
                    [
                        "columns: {lead_id: Id}",
                        "timezone: Mars/Base",
                        "encoding: cp1252",
                        "decimal: ','",
                        "thousands: ','",
                        "sources: [{name: a, files: '*'}]",
                        "events: &a {x: y}",
                        "fields: *a",
                        "- [",
                        "timestamp_format: '%Q'",
                        "date_columns: {D: page_view}",
                    ]
                ),
                max_size=6,
            ),
        ),
    )
)
def test_mapping_yaml_parses_or_says_why(text: str) -> None:
    try:
        parse_mapping(text, "m.yaml")
    except SlalangError as exc:
        assert "\n" not in str(exc) and str(exc).startswith("m.yaml")


@FUZZ
@given(st.binary(max_size=200))
def test_metrics_read_or_say_why(data: bytes) -> None:
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".csv") as handle:
        handle.write(b"metric,period,value\n" + data)
        handle.flush()
        try:
            read_metrics(handle.name)
        except SlalangError as exc:
            assert "\n" not in str(exc)
