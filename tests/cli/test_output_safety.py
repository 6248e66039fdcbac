"""Report output that data cannot subvert: a line end inside a value never splits a CSV
record, standard output carries the same bytes as `-o`, and `-o` into a missing directory
is one line naming it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from slalang.render.report.csv_rows import record
from tests.conftest import Writer, invoke

ROOT = Path(__file__).parents[2]
POLICY = str(ROOT / "policies" / "seed_funnel.sla")
SAMPLE = ROOT / "samples" / "seed_funnel" / "events.csv"
EVIL = {"L00003": "\r=1+1", "L00008": "\x1b[31mRED\x1b[0m,\n=2+2"}


def _evil_events(write: Writer) -> Path:
    """The sample's rows of two leads with violations, under hostile ids."""
    rows = list(csv.reader(SAMPLE.open(encoding="utf-8", newline="")))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(rows[0])
    for row in rows[1:]:
        if row[0] in EVIL:
            writer.writerow([EVIL[row[0]], *row[1:]])
    return write("events.csv", out.getvalue())


def test_a_line_end_in_a_cell_is_quoted() -> None:
    assert record(["a\rb", "c\nd", 'e"f', "g,h", "plain"]) == ('"a\rb","c\nd","e""f","g,h",plain\n')


def test_hostile_ids_stay_in_their_record_and_formulas_stay_defused(write: Writer) -> None:
    events = _evil_events(write)
    out = invoke(["evaluate", POLICY, str(events), "--format", "csv", "--fail-on", "never"], 0)
    rows = list(csv.reader(io.StringIO(out.stdout, newline="")))
    assert all(len(row) == len(rows[0]) for row in rows)
    ids = {row[rows[0].index("lead_id")] for row in rows[1:]} - {""}  # targets have none
    assert ids == {"'\r=1+1", "\x1b[31mRED\x1b[0m,\n=2+2"}
    assert ',"\'\r=1+1",' in out.stdout, "a lone carriage return is quoted"


def test_standard_output_and_o_give_the_same_bytes(write: Writer, tmp_path: Path) -> None:
    events = _evil_events(write)
    for fmt in ("csv", "jsonl", "json", "markdown", "junit", "table"):
        args = ["evaluate", POLICY, str(events), "--format", fmt, "--fail-on", "never"]
        shown = invoke(args, 0).stdout_bytes
        target = tmp_path / f"report.{fmt}"
        invoke([*args, "-o", str(target)], 0)
        assert shown == target.read_bytes(), fmt
        if fmt == "csv":
            assert b"\x1b[31mRED" in shown, "Click must not strip escape sequences"


def test_o_into_a_missing_directory_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "report.json"
    result = invoke(["evaluate", POLICY, str(SAMPLE), "--format", "json", "-o", str(target)], 2)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        f"error: {target}: cannot write: the directory `{target.parent}` does not exist"
    ]
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())
