"""Reading JSON Lines event logs: the same rows, accounting and errors as CSV."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from slalang.data import Mapping
from slalang.diagnostics import SlalangError
from tests.data.util import read, utc


def lines(*objects: object) -> str:
    return "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objects)


def test_json_values_read_like_csv_cells(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        lines(
            {
                "lead_id": 1001,
                "timestamp": "2026-03-06T10:00:00Z",
                "event": "form_submitted",
                "company_size": 250,
                "opted_in": True,
                "segment": None,
                "extra": {"ignored": True},
            },
            {"lead_id": "1001", "timestamp": "2026-03-06T09:00:00Z", "event": "page_view"},
        ),
        "events.jsonl",
    )
    view, form = log.leads["1001"]
    assert view.type == "page_view"
    assert form.fields == {"company_size": 250.0, "opted_in": True}
    assert (form.ts, form.line) == (utc("2026-03-06T10:00:00"), 1)


def test_bad_lines_are_rejected_and_numbered_physically(tmp_path: Path) -> None:
    good = {"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"}
    log = read(
        tmp_path,
        lines(
            good,
            "",
            "{not json",
            "[1, 2]",
            {**good, "lead_id": ["a", "list"]},
            {**good, "lead_id": ""},
            {**good, "timestamp": 1772791200},
            {**good, "title": {"an": "object"}},
            good,
        ),
        "events.ndjson",
    )
    stats = log.stats
    assert stats.rows == 8, "the blank line is not a row"
    assert stats.rejected == {"bad_json": 3, "missing_lead_id": 1, "bad_timestamp": 1}
    assert [r.line for r in stats.rejected_examples] == [3, 4, 5, 6, 7]
    assert "`lead_id` holds a JSON list or object" in stats.rejected_examples[2].detail
    assert [e.line for e in log.leads["L1"]] == [1, 8, 9]
    assert log.leads["L1"][1].fields == {}, "a list or object under a field is a bad value"
    assert stats.bad_values == {"title": {"bad_json": 1}}


def test_bytes_that_are_not_utf8_reject_their_line_only_in_a_key(tmp_path: Path) -> None:
    data = (
        b'{"lead_id": "L\xe9", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"}\n'
        b'{"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view", '
        b'"title": "Jos\xe9", "segment": "smb"}\n'
    )
    log = read(tmp_path, data, "events.jsonl")
    assert log.stats.rejected == {"bad_encoding": 1}
    assert log.leads["L1"][0].fields == {"segment": "smb"}
    assert log.stats.bad_value_examples[0][2:] == ("title", "Jos\\xe9", "bad_encoding")


def test_a_byte_order_mark_is_skipped(tmp_path: Path) -> None:
    text = lines({"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"})
    assert read(tmp_path, b"\xef\xbb\xbf" + text.encode(), "events.jsonl").stats.events == 1


def test_a_lone_surrogate_escape_is_a_bad_value_and_a_pair_is_text(tmp_path: Path) -> None:
    base = '{"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view", '
    log = read(
        tmp_path,
        base + '"title": "x\\ud800"}\n' + base + '"title": "\\ud83d\\ude00 CEO"}\n',
        "events.jsonl",
    )
    assert log.stats.bad_values == {"title": {"bad_encoding": 1}}
    assert log.stats.bad_value_examples[0].value == "x\\ud800"
    assert log.leads["L1"][0].fields == {}
    assert log.leads["L1"][1].fields["title"] == "\U0001f600 CEO"


def test_gzipped_json_lines(tmp_path: Path) -> None:
    data = gzip.compress(
        lines({"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"}).encode()
    )
    assert read(tmp_path, data, "events.jsonl.gz").stats.events == 1


def test_a_key_no_line_has_is_an_error_pointing_at_the_mapping(tmp_path: Path) -> None:
    with pytest.raises(SlalangError) as caught:
        read(
            tmp_path,
            lines({"Record ID": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"}),
            "events.jsonl",
        )
    assert str(caught.value).endswith(
        "events.jsonl: no line has the key `lead_id`; name the export's keys under `columns:` "
        "in a mapping file (--mapping)"
    )


def test_mapped_keys_and_wide_objects(tmp_path: Path) -> None:
    log = read(
        tmp_path,
        lines(
            {"id": "C1", "created": "2026-03-01T10:00:00Z", "mql": "2026-03-03T10:00:00Z"},
            {"id": "C2", "created": None},
        ),
        "contacts.jsonl",
        mapping=Mapping(
            columns={"lead_id": "id"},
            date_columns={"created": "form_submitted", "mql": "mql_marked"},
        ),
    )
    assert [e.type for e in log.leads["C1"]] == ["form_submitted", "mql_marked"]
    assert log.stats.rejected == {"no_dates": 1}


def test_the_extension_wins_over_sniffing(tmp_path: Path) -> None:
    text = lines({"lead_id": "L1", "timestamp": "2026-03-06T10:00:00Z", "event": "page_view"})
    with pytest.raises(SlalangError, match="missing column"):
        read(tmp_path, text, "events.csv")
    assert read(tmp_path, text, "events.txt").stats.events == 1
