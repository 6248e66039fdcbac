"""`slalang evaluate`, `explain` and `sample` from the command line: formats, exit codes,
bad input, and determinism of the report bytes."""

from __future__ import annotations

import csv
import io
import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from slalang.evaluate.schema import validate_report
from tests.conftest import POLICIES, REPO, Writer, invoke

POLICY = str(POLICIES / "seed_funnel.sla")
SAMPLE = REPO / "samples" / "seed_funnel"
EVENTS = str(SAMPLE / "events.csv")
METRICS = str(SAMPLE / "metrics.csv")
BASE = [POLICY, EVENTS, "--metrics", METRICS]


def report_of(*extra: str, code: int = 1) -> dict:  # type: ignore[type-arg]
    result = invoke(["evaluate", *BASE, "--format", "json", *extra], code)
    report = json.loads(result.stdout)
    validate_report(report)
    return report  # type: ignore[no-any-return]


def test_the_sample_report_is_valid_and_exits_1_for_violations() -> None:
    report = report_of()
    assert report["input"]["leads"] == 400
    assert report["violations"], "the sample has late and missed clocks"
    kinds = {v["kind"] for v in report["violations"]}
    assert kinds == {"sla_breach", "handoff_incomplete", "target_missed"}
    assert report["as_of"] == max(c["started_at"] for c in report["clocks"]) or report["as_of"]


def test_fail_on_levels() -> None:
    invoke(["evaluate", *BASE, "--format", "json", "--fail-on", "never"], 0)
    invoke(["evaluate", *BASE, "--format", "json", "--fail-on", "warning"], 1)


@pytest.mark.parametrize("fmt", ["table", "markdown", "csv", "jsonl", "junit"])
def test_every_format_renders_the_same_violations(fmt: str) -> None:
    report = report_of()
    out = invoke(["evaluate", *BASE, "--format", fmt], 1).stdout
    count = len(report["violations"])
    if fmt == "csv":
        assert len(list(csv.DictReader(io.StringIO(out)))) == count
    elif fmt == "jsonl":
        assert len([json.loads(line) for line in out.splitlines()]) == count
    elif fmt == "junit":
        root = ET.fromstring(out)
        failures = sum(int(s.get("failures", 0)) for s in root.iter("testsuite"))
        assert failures == len({(v["kind"], v["rule"]) for v in report["violations"]})
    else:
        assert "first_touch" in out and "\x1b[" not in out


def test_output_file_is_written_whole(tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    result = invoke(["evaluate", *BASE, "--format", "json", "-o", str(out)], 1)
    assert result.stdout == ""
    assert json.loads(out.read_text()) == report_of()
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_as_of_cuts_later_events() -> None:
    full = report_of()
    cut = report_of("--as-of", "2026-02-01T00:00:00Z")
    assert cut["as_of"] == "2026-02-01T00:00:00Z"
    assert cut["input"]["after_as_of"] > 0
    for report in (full, cut):
        counts = report["input"]
        assert counts["rows"] + counts["expanded"] == (
            counts["events"]
            + sum(counts["rejected"].values())
            + counts["duplicates"]
            + sum(counts["unknown_events"].values())
            + counts["after_as_of"]
        )
    assert cut["input"]["rows"] == full["input"]["rows"]
    assert all(c["started_at"] <= cut["as_of"] for c in cut["clocks"])


def test_from_and_to_limit_what_is_judged() -> None:
    report = report_of("--from", "2026-02-01T00:00:00-06:00", "--to", "2026-02-28T23:59:59-06:00")
    periods = {t["period"] for t in report["targets"]}
    assert periods == {"2026-02", "2026-Q1"}  # the months and quarters that overlap
    assert all("2026-02-01T06" <= c["started_at"] <= "2026-03-01T06" for c in report["clocks"])


def test_a_compiled_plan_gives_the_same_report(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    invoke(["compile", POLICY, "-o", str(plan)], 0)
    from_plan = invoke(
        ["evaluate", str(plan), EVENTS, "--metrics", METRICS, "--format", "json"], 1
    ).stdout
    assert from_plan == invoke(["evaluate", *BASE, "--format", "json"], 1).stdout


def test_same_rows_in_another_order_give_the_same_bytes(tmp_path: Path) -> None:
    """Rows shuffled across leads (each lead's own rows keep their order, so ties and
    re-sent duplicates resolve alike) give a byte-identical JSON report."""
    lines = Path(EVENTS).read_text(encoding="utf-8").splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    by_lead: dict[str, list[str]] = {}
    for row in rows:
        by_lead.setdefault(row.split(",", 1)[0], []).append(row)
    rng = random.Random(3)
    queues = [list(q) for q in by_lead.values()]
    shuffled: list[str] = []
    while queues:
        queue = rng.choice(queues)
        shuffled.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    assert shuffled != rows
    other = tmp_path / "shuffled.csv"
    other.write_text(header + "".join(shuffled), encoding="utf-8")
    original = invoke(["evaluate", *BASE, "--format", "json"], 1).stdout
    again = invoke(["evaluate", POLICY, str(other), "--metrics", METRICS, "--format", "json"], 1)
    assert json.loads(again.stdout)["input"] == json.loads(original)["input"]
    assert again.stdout == original


def test_rejected_rows_are_counted_and_strict_fails(write: Writer) -> None:
    events = write(
        "events.csv",
        "lead_id,timestamp,event,company_size\n"
        "A,2026-02-02T10:00:00Z,form_submitted,500\n"
        ",2026-02-02T10:00:00Z,form_submitted,\n"
        "B,yesterday,form_submitted,\n"
        "C,2026-02-02T10:00:00Z,form_submitted,lots\n",
    )
    result = invoke(["evaluate", POLICY, str(events), "--format", "json", "--fail-on", "never"], 0)
    report = json.loads(result.stdout)
    assert report["input"]["rejected"] == {"bad_timestamp": 1, "missing_lead_id": 1}
    assert report["input"]["rows"] == 4 and report["input"]["events"] == 2
    assert report["input"]["bad_values"] == {"company_size": {"bad_number": 1}}
    assert report["input"]["bad_value_examples"] == [
        {
            "file": str(events),
            "line": 5,
            "field": "company_size",
            "value": "lots",
            "reason": "bad_number",
        }
    ]
    assert "2 rows rejected" in result.stderr
    assert "warning: 1 bad value (company_size bad_number 1)" in result.stderr
    assert f"  {events}:5: `company_size`: bad_number: `lots`" in result.stderr
    strict = invoke(["evaluate", POLICY, str(events), "--strict"], 2)
    assert "--strict" in strict.stderr


def test_a_bad_value_alone_fails_strict_and_shows_in_every_format(write: Writer) -> None:
    events = write(
        "events.csv",
        "lead_id,timestamp,event,company_size\nA,2026-02-02T10:00:00Z,form_submitted,lots\n",
    )
    strict = invoke(["evaluate", POLICY, str(events), "--strict"], 2)
    assert strict.stderr.endswith("error: values could not be read and --strict is set\n")
    for fmt in ("table", "markdown", "junit"):
        out = invoke(["evaluate", POLICY, str(events), "--format", fmt, "--fail-on", "never"], 0)
        assert "1 bad value (company_size bad_number 1)" in " ".join(out.stdout.split()), fmt
    for fmt in ("csv", "jsonl"):  # the violations alone: the accounting goes to stderr
        out = invoke(["evaluate", POLICY, str(events), "--format", fmt, "--fail-on", "never"], 0)
        assert "warning: 1 bad value (company_size bad_number 1)" in out.stderr, fmt


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "tomorrow"], "--as-of: `tomorrow` is not a date or an instant"),
        (["--as-of", "now-ish"], "--as-of: `now-ish` is not a date or an instant"),
        (["--from", "2026-02-30"], "--from: `2026-02-30` is not a calendar date"),
        (["--to", "2026-02-01T25:00"], "--to: `2026-02-01T25:00` is not a valid date and time"),
        (["--period", "2026-13"], "--period: `2026-13`: there is no month 13"),
        (["--period", "2026-Q5"], "--period: `2026-Q5`: a quarter is Q1 to Q4"),
        (["--period", "2026-W54"], "--period: `2026-W54`: 2026 has no ISO week 54"),
        (["--period", "fortnight"], "--period: `fortnight` is not a period"),
        (["--period", "2026-03", "--from", "2026-03-02"], "--period sets --from and --to"),
        (["--from", "2026-03-01T00:00:00Z", "--to", "2026-02-01T00:00:00Z"], "--to is before"),
        (["--metrics", "/nonexistent/metrics.csv"], "metrics"),
        (["--mapping", "/nonexistent/mapping.yaml"], "mapping"),
    ],
)
def test_bad_options_are_one_line_errors(args: list[str], message: str) -> None:
    result = invoke(["evaluate", POLICY, EVENTS, *args], 2)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0]
    assert "Traceback" not in result.stderr


def test_missing_events_file() -> None:
    result = invoke(["evaluate", POLICY, "/nonexistent/events.csv"], 2)
    assert "/nonexistent/events.csv" in result.stderr


def test_events_from_stdin() -> None:
    text = Path(EVENTS).read_text(encoding="utf-8")
    piped = invoke(["evaluate", POLICY, "-", "--metrics", METRICS, "--format", "json"], 1, text)
    assert piped.stdout == invoke(["evaluate", *BASE, "--format", "json"], 1).stdout


def test_explain_shows_the_timeline_with_policy_lines() -> None:
    report = report_of()
    lead = next(v["lead_id"] for v in report["violations"] if v["kind"] == "sla_breach")
    out = invoke(["explain", POLICY, EVENTS, "--lead", lead], 0).stdout
    assert out.startswith(f"lead {lead}:")
    assert "entered mql" in out
    assert "first_touch #1 started, goal" in out
    assert "← seed_funnel.sla:" in out  # file names relative to the policy root
    assert "stage mql" in out  # the policy line itself
    assert "clocks:" in out and ("missed" in out or "late" in out)
    steps = json.loads(
        invoke(["explain", POLICY, EVENTS, "--lead", lead, "--format", "json"], 0).stdout
    )
    assert steps["lead_id"] == lead and steps["clocks"]


def test_explain_unknown_lead_suggests() -> None:
    result = invoke(["explain", POLICY, EVENTS, "--lead", "L0X001"], 2)
    assert "no events for lead `L0X001`" in result.stderr
    assert "did you mean `L00" in result.stderr


def test_explain_takes_a_unique_prefix_of_a_lead_id() -> None:
    # 400 leads, L00001 to L00400: `L0040` names only L00400
    full = invoke(["explain", POLICY, EVENTS, "--lead", "L00400", "--format", "json"], 0)
    short = invoke(["explain", POLICY, EVENTS, "--lead", "L0040", "--format", "json"], 0)
    assert json.loads(short.stdout)["lead_id"] == "L00400"
    assert short.stdout == full.stdout


def test_explain_names_the_ids_an_ambiguous_prefix_matches() -> None:
    result = invoke(["explain", POLICY, EVENTS, "--lead", "L0001"], 2)
    assert "lead `L0001` is a prefix of several ids: `L00010`, `L00011`" in result.stderr
    assert "and 5 more" in result.stderr


def test_sample_command_is_deterministic(tmp_path: Path) -> None:
    args = ["--leads", "30", "--seed", "5", "--months", "1"]
    invoke(["sample", POLICY, str(tmp_path / "a"), *args], 0)
    invoke(["sample", POLICY, str(tmp_path / "b"), *args], 0)
    assert (tmp_path / "a" / "events.csv").read_bytes() == (
        tmp_path / "b" / "events.csv"
    ).read_bytes()
    report = json.loads(
        invoke(
            [
                "evaluate",
                POLICY,
                str(tmp_path / "a" / "events.csv"),
                "--format",
                "json",
                "--fail-on",
                "never",
            ],
            0,
        ).stdout
    )
    assert report["input"]["leads"] == 30


def test_processes_give_the_same_report() -> None:
    """Shards of leads replayed in two forked processes and merged in order give the same
    report as one process: the replay is a pure function per lead, the rest a reduction."""
    from slalang.data import read_events
    from slalang.evaluate.run import evaluate, field_specs
    from slalang.load import load
    from slalang.plan import compile_program
    from slalang.render.report import render_report

    plan = compile_program(load(Path(POLICY)))
    log = read_events([EVENTS], field_specs(plan), plan["events"])
    one = render_report(evaluate(plan, log, shard=37), "json")
    two = render_report(evaluate(plan, log, shard=37, jobs=2), "json")
    assert one == two
    assert one == invoke(["evaluate", POLICY, EVENTS, "--format", "json"], 1).stdout


PAUSED_POLICY = """\
agreement "Callbacks" {
  timezone "America/New_York"
}
calendar office {
  timezone "America/New_York"
  open mon-fri 09:00-17:00
}
events form_submitted, sales_touch, callback_requested, lead_replied
stage mql on form_submitted
sla first_touch {
  start when entering mql
  stop on sales_touch
  pause on callback_requested
  resume on lead_replied
  within 4 business hours
}
"""

PAUSED_EVENTS = """\
lead_id,timestamp,event
L1,2026-02-02T14:00:00Z,form_submitted
L1,2026-02-02T15:00:00Z,callback_requested
L1,2026-02-03T15:00:00Z,lead_replied
L1,2026-02-03T17:00:00Z,sales_touch
L2,2026-02-02T14:00:00Z,form_submitted
L2,2026-02-02T18:30:00Z,callback_requested
"""


def test_explain_shows_each_pause_and_resume_with_its_policy_line(tmp_path: Path) -> None:
    """L1 pauses Mon 10:00 EST and resumes Tue 10:00 EST (8 business hours), so its deadline
    moves to Tue 13:00 EST = 18:00Z. L2's callback comes at 13:30 EST, after its 13:00
    deadline: the pause is ignored, and explain says so."""
    policy, events = tmp_path / "p.sla", tmp_path / "e.csv"
    policy.write_text(PAUSED_POLICY, "utf-8")
    events.write_text(PAUSED_EVENTS, "utf-8")
    args = ["explain", str(policy), str(events), "--as-of", "2026-02-04T00:00:00Z"]
    out = invoke([*args, "--lead", "L1"], 0).stdout
    assert (
        "    clock    first_touch #1 paused\n             ← p.sla:13  pause on callback_requested\n"
        in out
    )
    assert (
        "    clock    first_touch #1 resumed, due 2026-02-03T18:00:00Z\n"
        "             ← p.sla:14  resume on lead_replied\n"
    ) in out
    assert "met, started 2026-02-02T14:00:00Z, due 2026-02-03T18:00:00Z" in out
    assert out.rstrip().endswith("elapsed 3h, paused 8h")
    late = invoke([*args, "--lead", "L2"], 0).stdout
    assert "first_touch #1 not paused: past its deadline" in late
    document = json.loads(invoke([*args, "--lead", "L1", "--format", "json"], 0).stdout)
    assert document["clocks"][0]["paused_seconds"] == 28800
    assert document["clocks"][0]["paused"] is False
    paused = [s for s in document["steps"] if s["detail"].endswith("paused")]
    assert paused[0]["source"] == {"file": "p.sla", "line": 13}
