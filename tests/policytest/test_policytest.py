"""`slalang test`: policy test files (RUNNER §4) found, validated, run and reported."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import POLICIES, Writer, invoke

POLICY = """\
calendar office {
  timezone "America/New_York"
  open mon-fri 09:00-17:00
}
events form_submitted, sales_touch
field segment: text
field size: number
stage mql on form_submitted
sla first_touch {
  owner sales
  start when entering mql
  stop on sales_touch
  within 4 business hours
}
"""

# Mon 2026-02-02 10:00 EST (15:00Z) L1 becomes an mql; 4 business hours -> due 14:00 EST
# = 19:00Z; the call at 18:00Z meets it. L2 (Tue 15:00Z) is never called: missed by as_of.
HEADER = """\
policy: policy.sla
as_of: 2026-02-04T00:00:00Z
events:
  - {lead_id: L1, timestamp: 2026-02-02T15:00:00Z, event: form_submitted, segment: smb}
  - {lead_id: L1, timestamp: 2026-02-02T18:00:00Z, event: sales_touch}
  - {lead_id: L2, timestamp: 2026-02-03T15:00:00Z, event: form_submitted, size: 500}
"""

PASSING = (
    HEADER
    + """\
cases:
  - name: a call within four hours is met
    expect:
      clocks: [{sla: first_touch, lead_id: L1, due_at: 2026-02-02T19:00:00Z, status: met}]
  - name: nobody called L2
    expect:
      violations: [{kind: sla_breach, rule: first_touch, lead_id: L2}]
      no_violations: [{lead_id: L1}]
"""
)

FAILING = (
    HEADER
    + """\
cases:
  - name: a call within four hours is met
    expect:
      clocks: [{sla: first_touch, lead_id: L1, status: met}]
  - name: wrong deadline
    expect:
      clocks: [{sla: first_touch, lead_id: L1, due_at: 2026-02-02T20:00:00Z}]
  - name: L1 must not have a clock
    expect:
      no_clocks: [{lead_id: L1}]
"""
)


def _suite(write: Writer, **files: str) -> Path:
    """A policy beside the given test files; returns their directory."""
    policy = write("suite/policy.sla", POLICY)
    for name, text in files.items():
        write(f"suite/{name}.test.yaml", text)
    return policy.parent


def test_passing_file(write: Writer) -> None:
    suite = _suite(write, ok=PASSING)
    result = invoke(["test", str(suite)], 0)
    lines = result.stdout.splitlines()
    assert lines == [
        f"PASS  {suite.as_posix()}/ok.test.yaml::a call within four hours is met",
        f"PASS  {suite.as_posix()}/ok.test.yaml::nobody called L2",
        "2 passed, 0 failed",
    ]


def test_failing_file_shows_expected_and_nearest(write: Writer) -> None:
    suite = _suite(write, bad=FAILING)
    out = invoke(["test", str(suite / "bad.test.yaml")], 1).stdout
    assert "PASS  " in out and "::a call within four hours is met" in out
    assert f"FAIL  {suite.as_posix()}/bad.test.yaml::wrong deadline" in out
    assert "expected: {sla: first_touch, lead_id: L1, due_at: 2026-02-02T20:00:00Z}" in out
    assert "nearest:  {sla: first_touch, lead_id: L1, due_at: 2026-02-02T19:00:00Z" in out
    assert "differs: due_at (expected 2026-02-02T20:00:00Z, got 2026-02-02T19:00:00Z)" in out
    assert "no_clocks: found an entry that must not exist" in out
    assert out.splitlines()[-1] == "1 passed, 2 failed"
    # each failed expectation names the line it is written on, as file:line
    written = (suite / "bad.test.yaml").read_text(encoding="utf-8").splitlines()
    due = 1 + next(i for i, line in enumerate(written) if "due_at: 2026-02-02T20:00:00Z" in line)
    absent = 1 + next(i for i, line in enumerate(written) if "no_clocks:" in line)
    where = f"{suite.as_posix()}/bad.test.yaml"
    assert f"      {where}:{due}: clocks: no entry matches" in out.splitlines()
    assert f"      {where}:{absent}: no_clocks: found an entry that must not exist" in out


def test_an_empty_report_section_is_said(write: Writer) -> None:
    text = HEADER + "cases:\n  - name: t\n    expect:\n      targets: [{target: x}]\n"
    suite = _suite(write, t=text)
    out = invoke(["test", str(suite)], 1).stdout
    assert "targets: no entry matches" in out
    assert "(the report has no targets)" in out


def test_k_selects_cases_by_substring(write: Writer) -> None:
    suite = _suite(write, bad=FAILING)
    out = invoke(["test", str(suite), "-k", "FOUR HOURS"], 0).stdout
    assert out.splitlines() == [
        f"PASS  {suite.as_posix()}/bad.test.yaml::a call within four hours is met",
        "1 passed, 0 failed",
    ]
    assert "wrong deadline" in invoke(["test", str(suite), "-k", "deadline"], 1).stdout


def test_k_matching_nothing_is_an_error(write: Writer) -> None:
    suite = _suite(write, ok=PASSING)
    result = invoke(["test", str(suite), "-k", "no such case"], 2)
    assert result.stderr == "error: no case name contains `no such case`\n"


def test_junit_one_suite_per_file_and_failures_counted(write: Writer) -> None:
    suite = _suite(write, bad=FAILING, ok=PASSING)
    output = suite / "results.xml"
    result = invoke(["test", str(suite), "--format", "junit", "-o", str(output)], 1)
    assert result.stdout == ""
    assert "3 passed, 2 failed" in result.stderr
    root = ET.parse(output).getroot()
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("5", "2", "0")
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    bad = suites[f"{suite.as_posix()}/bad.test.yaml"]
    assert bad.get("failures") == "2"
    assert [c.get("name") for c in bad.iter("testcase")] == [
        "a call within four hours is met",
        "wrong deadline",
        "L1 must not have a clock",
    ]
    failure = bad.find("testcase[@name='wrong deadline']/failure")
    assert failure is not None and failure.text is not None
    assert "differs: due_at" in failure.text
    assert suites[f"{suite.as_posix()}/ok.test.yaml"].get("failures") == "0"


def test_output_file_holds_the_text_report(write: Writer) -> None:
    suite = _suite(write, ok=PASSING)
    output = suite / "out.txt"
    invoke(["test", str(suite / "ok.test.yaml"), "-o", str(output)], 0)
    assert output.read_text(encoding="utf-8").endswith("2 passed, 0 failed\n")


def test_schema_error_names_line_and_path(write: Writer) -> None:
    text = HEADER + "cases:\n  - name: x\n    expect:\n      clocks: {sla: first_touch}\n"
    suite = _suite(write, bad=text)
    result = invoke(["test", str(suite)], 2)
    path = f"{suite.as_posix()}/bad.test.yaml"
    assert f"error: {path}:10: cases[0].expect.clocks: expected a list\n" in result.stderr
    assert result.stdout == "0 passed, 0 failed\n"


def test_unknown_key_and_missing_key(write: Writer) -> None:
    typo = HEADER + "cases:\n  - name: x\n    expct: {clocks: []}\n"
    suite = _suite(write, typo=typo)
    err = invoke(["test", str(suite)], 2).stderr
    assert f"{suite.as_posix()}/typo.test.yaml:9: cases[0].expct: unknown key" in err
    no_policy = "events: []\ncases: [{name: x, expect: {clocks: []}}]\n"
    suite = _suite(write, nopolicy=no_policy)
    err = invoke(["test", str(suite / "nopolicy.test.yaml")], 2).stderr
    assert "nopolicy.test.yaml:1: missing key `policy`" in err


def test_events_and_events_file_are_exclusive(write: Writer) -> None:
    text = HEADER.replace("events:\n", "events_file: e.csv\nevents:\n") + (
        "cases: [{name: x, expect: {clocks: []}}]\n"
    )
    suite = _suite(write, both=text)
    err = invoke(["test", str(suite)], 2).stderr
    assert f"{suite.as_posix()}/both.test.yaml:1: give either `events`" in err


def test_invalid_yaml_names_the_line(write: Writer) -> None:
    suite = _suite(write, broken="policy: policy.sla\ncases: [\n  - {name: x\n")
    err = invoke(["test", str(suite)], 2).stderr
    assert f"error: {suite.as_posix()}/broken.test.yaml:" in err
    assert "invalid YAML" in err


def test_missing_policy_is_one_line_and_other_files_still_run(write: Writer) -> None:
    suite = _suite(write, ok=PASSING, orphan=PASSING.replace("policy.sla", "gone.sla"))
    result = invoke(["test", str(suite)], 2)
    orphan = f"{suite.as_posix()}/orphan.test.yaml"
    assert f"error: {orphan}: policy `{suite.as_posix()}/gone.sla` does not exist\n" in (
        result.stderr
    )
    assert f"1 test file could not be run: {orphan}" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.splitlines()[-1] == "2 passed, 0 failed"


def test_policy_with_errors_shows_its_diagnostics(write: Writer) -> None:
    suite = _suite(write, ok=PASSING)
    (suite / "policy.sla").write_text(POLICY + "stage sql when segmnt = 1\n", encoding="utf-8")
    err = invoke(["test", str(suite)], 2).stderr
    assert "segmnt" in err
    assert "the policy has errors" in err


def test_events_file_and_mapping_are_relative_to_the_test_file(write: Writer) -> None:
    write(
        "suite/data/export.csv",
        "Record ID,When,What\nL1,2026-02-02 10:00,Form\nL1,2026-02-02 13:00,Call\n",
    )
    write(
        "suite/data/mapping.yaml",
        'columns: {lead_id: "Record ID", timestamp: When, event: What}\n'
        'timezone: "America/New_York"\n'
        "timestamp_format: '%Y-%m-%d %H:%M'\n"
        "events: {Form: form_submitted, Call: sales_touch}\n",
    )
    text = (
        "policy: ../policy.sla\nevents_file: ../data/export.csv\nmapping: ../data/mapping.yaml\n"
        "cases:\n  - name: met\n    expect:\n"
        "      clocks: [{lead_id: L1, stopped_at: 2026-02-02T18:00:00Z, status: met}]\n"
    )
    suite = _suite(write)
    write("suite/nested/csv.test.yaml", text)
    out = invoke(["test", str(suite)], 0).stdout
    assert f"PASS  {suite.as_posix()}/nested/csv.test.yaml::met" in out


def test_inline_values_reach_the_reader_as_written(write: Writer) -> None:
    # `yes` and `0500` would be a boolean and a number to YAML; the field gets the text.
    text = (
        "policy: policy.sla\nevents:\n"
        "  - {lead_id: 0500, timestamp: 2026-02-02T15:00:00Z, event: form_submitted,"
        " segment: yes}\n"
        "cases:\n  - name: typed\n    expect:\n"
        "      stages: [{lead_id: '0500', stage: mql}]\n"
    )
    suite = _suite(write, typed=text)
    invoke(["test", str(suite)], 0)


def test_rejected_rows_are_warned_about_at_their_line(write: Writer) -> None:
    text = (
        "policy: policy.sla\nevents:\n"
        "  - {lead_id: L1, timestamp: 2026-02-02T15:00:00Z, event: form_submitted}\n"
        "  - {lead_id: L1, timestamp: 2026-02-02T15:00:00Z, event: form_submitted, size: big}\n"
        "  - {lead_id: '', timestamp: 2026-02-02T15:00:00Z, event: form_submitted}\n"
        "cases: [{name: x, expect: {stages: [{lead_id: L1}]}}]\n"
    )
    suite = _suite(write, rows=text)
    err = invoke(["test", str(suite)], 0).stderr
    assert (
        f"warning: {suite.as_posix()}/rows.test.yaml:4: events[1]: bad value of `size`: "
        "bad_number: `big`"
    ) in err
    assert f"warning: {suite.as_posix()}/rows.test.yaml:5: events[2]: row rejected" in err


def test_inline_metrics(write: Writer) -> None:
    write(
        "suite/policy.sla",
        POLICY + "metric visitors\ntarget traffic { monthly: metric(visitors) >= 100 }\n",
    )
    text = HEADER.replace(
        "events:\n", "metrics: [{metric: visitors, period: 2026-02, value: 120}]\nevents:\n"
    ) + (
        "cases:\n  - name: m\n    expect:\n"
        "      targets: [{target: traffic, period: 2026-02, value: 120}]\n"
    )
    invoke(["test", str(write("suite/m.test.yaml", text))], 0)


def test_no_test_files_is_an_error(tmp_path: Path) -> None:
    err = invoke(["test", str(tmp_path)], 2).stderr
    assert err.startswith("error: no `*.test.yaml` files in ")
    assert invoke(["test", str(tmp_path / "nope")], 2).stderr.endswith(
        "nope: no such file or directory\n"
    )


def test_the_example_policies_pass() -> None:
    out = invoke(["test", str(POLICIES)], 0).stdout
    for name in ("acme", "seed_funnel", "plg_partner", "regions/global"):
        assert f"tests/{name}.test.yaml::" in out
    assert out.splitlines()[-1].endswith(" passed, 0 failed")


def test_engine_options_reach_policy_tests(write: Writer) -> None:
    """`test` takes the engine options `evaluate` and `diff` take (one bundle); how a
    report is computed never changes what the cases find."""
    suite = _suite(write, bad=FAILING, ok=PASSING)
    one = invoke(["test", str(suite)], 1).stdout
    assert invoke(["test", str(suite), "--jobs", "2"], 1).stdout == one
