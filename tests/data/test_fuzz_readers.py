"""Fuzzing the readers: whatever bytes a CSV, JSON Lines, mapping, metrics or policy-test
file holds, the reader either reads it (and the books close) or says why in a one-line
SlalangError; nothing else escapes. The same inputs through the command line (`evaluate`
with a mapping and metrics, `test`) exit 0, 1 or 2 and never show an internal error. A
short fixed-seed run is part of the suite; `SLALANG_FUZZ_EXAMPLES=20000` runs longer
(docs/data.md, Fuzzing)."""

from __future__ import annotations

import atexit
import io
import json
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slalang.cli import cli
from slalang.data import parse_mapping, read_events, read_metrics
from slalang.diagnostics import SlalangError
from slalang.policytest import load_test_file
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
HEADERS = st.sampled_from(
    [
        HEADER,
        # respelt: found by header matching
        "Lead ID,Time-Stamp,EVENT,event id,Segment,Company Size,title,Opted_In,signed on",
        # two cells matching `lead_id` loosely: one error naming both
        "Lead ID,lead-id,timestamp,event,event_id,segment,company_size,title,opted_in",
    ]
)


@st.composite
def csv_logs(draw: st.DrawFn) -> bytes:
    """A header (sometimes broken), rows of likely and unlikely cells, odd separators, bytes
    that are not UTF-8."""
    rows = draw(st.lists(st.lists(CELLS, min_size=1, max_size=11), max_size=12))
    sep = draw(st.sampled_from([",", ";", "\t"]))
    header = (draw(HEADERS) if draw(st.booleans()) else draw(st.text(max_size=20))).replace(
        ",", sep
    )
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = header + end + "".join(sep.join(row) + end for row in rows)
    data = text.encode("utf-8", "surrogatepass")
    return data + draw(st.binary(max_size=8))


@st.composite
def jsonl_logs(draw: st.DrawFn) -> bytes:
    keys = st.sampled_from(
        ["lead_id", "timestamp", "event", "event_id", "segment", "title", "Lead ID", "EVENT"]
    )
    values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), CELLS),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
        max_leaves=5,
    )
    objects = st.lists(st.dictionaries(keys, values), max_size=10)
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


MAPPING_LINES = st.sampled_from(
    [
        "columns: {lead_id: Id}",
        "columns: {lead_id: Lead ID, event: TYPE}",
        "timezone: Mars/Base",
        "timezone: Europe/Paris",
        "encoding: cp1252",
        "decimal: ','",
        "thousands: ','",
        "sources: [{name: a, files: '*'}]",
        "events: &a {x: y}",
        "fields: *a",
        "fields: {Company Size: company_size}",
        "- [",
        "timestamp_format: '%Q'",
        "timestamp_format: ['%d/%m/%Y %H:%M']",
        "date_columns: {D: page_view}",
    ]
)


@FUZZ
@given(
    st.one_of(
        st.text(max_size=200),
        st.builds(
            "\n".join,
            st.lists(MAPPING_LINES, max_size=6),
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


POLICY_TEST_LINES = st.sampled_from(
    [
        "policy: ../policies/seed_funnel.sla",
        "policy: missing.sla",
        "as_of: 2026-02-12T00:00:00Z",
        "as_of: 9999-12-31T23:59:59Z",
        "as_of: soon",
        "events:",
        "  - {lead_id: B1, timestamp: 2026-02-03T15:00:00Z, event: form_submitted}",
        "  - {lead_id: B1, timestamp: 2026-02-03 15:30, event: demo_request, company_size: 1,2}",
        "  - {Lead ID: B2, timestamp: 0001-01-01T00:00:00Z, event: sales_touch}",
        "  - &row {lead_id: B3, timestamp: 2026-02-06T15:00:00Z, event: form_submitted}",
        "  - *row",
        "  - [1, 2]",
        "cases:",
        "  - name: one",
        "    expect: {stages: {B1: lead}}",
        "    expect: {clocks: [{lead: B1, sla: first_touch, status: met}]}",
        "  - {name: two, expect: {targets: [{target: mqls, actual: 1}]}}",
        "metrics: {website_visitors: {2026-02: 90000}}",
        "metrics: [oops]",
        "mapping: nowhere.yaml",
        "x: &a [*a]",
    ]
)


@cache
def _workspace() -> Path:
    """A folder for the command-line fuzzing: the sample policy compiled once (so each run
    is a read, not a check) and a test file's `policy` path that resolves."""
    folder = Path(tempfile.mkdtemp(prefix="slalang-fuzz-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    root = Path(__file__).resolve().parents[2]
    (folder / "policies").symlink_to(root / "policies")
    (folder / "tests").mkdir()
    plan = CliRunner().invoke(cli, ["compile", str(root / "policies" / "seed_funnel.sla")])
    (folder / "plan.json").write_text(plan.stdout, encoding="utf-8")
    return folder


def _exits_cleanly(args: list[str]) -> None:
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr


@FUZZ
@given(
    st.one_of(
        st.text(max_size=300),
        st.builds("\n".join, st.lists(POLICY_TEST_LINES, max_size=12)),
    )
)
def test_policy_test_yaml_loads_or_says_why(text: str) -> None:
    path = _workspace() / "tests" / "fuzz.test.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        load_test_file(path)
    except SlalangError as exc:
        assert "\n" not in str(exc) and str(exc).startswith(path.as_posix())


CLI = settings(FUZZ, max_examples=max(10, EXAMPLES // 5))


@CLI
@given(
    events=st.one_of(csv_logs(), jsonl_logs()),
    mapping=st.none() | st.builds("\n".join, st.lists(MAPPING_LINES, max_size=4)),
    metrics=st.binary(max_size=60),
)
def test_evaluate_exits_0_1_or_2(events: bytes, mapping: str | None, metrics: bytes) -> None:
    folder = _workspace()
    (folder / "events.csv").write_bytes(events)
    (folder / "metrics.csv").write_bytes(b"metric,period,value\n" + metrics)
    args = ["evaluate", str(folder / "plan.json"), str(folder / "events.csv"), "--format", "json"]
    args += ["--metrics", str(folder / "metrics.csv")]
    if mapping is not None:
        (folder / "mapping.yaml").write_text(mapping, encoding="utf-8")
        args += ["--mapping", str(folder / "mapping.yaml")]
    _exits_cleanly(args)


@CLI
@given(st.builds("\n".join, st.lists(POLICY_TEST_LINES, max_size=12)))
def test_policy_tests_exit_0_1_or_2(text: str) -> None:
    path = _workspace() / "tests" / "run.test.yaml"
    path.write_text(text, encoding="utf-8")
    _exits_cleanly(["test", str(path)])
