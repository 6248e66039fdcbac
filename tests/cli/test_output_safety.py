"""Report output that data cannot subvert: a line end inside a value never splits a CSV
record, standard output carries the same bytes as `-o`, and `-o` into a missing directory
is one line naming it."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import slalang.render.report as rendering
from slalang.render.report import json_text, junit
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


def test_standard_output_and_o_give_the_same_bytes(
    write: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_text, "BATCH", 1)  # a piece per violation, written as it comes
    monkeypatch.setattr(junit, "HELD", 1)  # each failure's lines from the temporary file
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


FULL = Path("/dev/full")
needs_full = pytest.mark.skipif(not FULL.exists(), reason="no /dev/full (Linux's full disk)")
MAIN_JOB = [POLICY, str(SAMPLE), "--metrics", str(SAMPLE.with_name("metrics.csv"))]


def _slalang(*args: str, **options: Any) -> subprocess.Popen[bytes]:
    """The console command in a process of its own: its standard output a real file."""
    command = [sys.executable, "-m", "slalang", *args]
    return subprocess.Popen(command, cwd=ROOT, stderr=subprocess.PIPE, **options)


@needs_full
def test_a_full_disk_is_one_line_naming_the_output() -> None:
    """`/dev/full` refuses every write as a full disk does: `-o` it, or standard output
    sent to it, is one line saying so, exit 2, no traceback."""
    result = invoke(["evaluate", *MAIN_JOB, "--format", "json", "-o", str(FULL)], 2)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == ["error: /dev/full: cannot write: No space left on device"]
    for fmt in ("json", "table"):
        with FULL.open("wb") as full:
            done = _slalang("evaluate", *MAIN_JOB, "--format", fmt, stdout=full)
            _, err = done.communicate(timeout=120)
        assert done.returncode == 2, err
        stderr = err.decode()
        errors = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert errors == ["error: standard output: cannot write: No space left on device"]
        assert "Traceback" not in stderr and "Exception ignored" not in stderr


def test_a_reader_that_stops_reading_ends_the_run_quietly() -> None:
    """`slalang evaluate … | head`: the report (115 KB, more than a pipe holds) meets a
    closed pipe; the run ends with exit 2 and nothing on stderr but its warnings."""
    done = _slalang("evaluate", *MAIN_JOB, "--format", "json", stdout=subprocess.PIPE)
    assert done.stdout is not None
    assert done.stdout.read(10) == b'{\n  "forma'
    done.stdout.close()
    _, err = done.communicate(timeout=120)
    assert done.returncode == 2
    assert [line for line in err.decode().splitlines() if not line.startswith("warning:")] == []


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv", "junit"])
def test_a_failure_while_writing_a_report_in_pieces_leaves_no_file(
    fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A renderer that fails after its first piece has been written: one line on stderr,
    and `-o` leaves the file that was there as it was (and makes none where none was)."""
    rendered = rendering.renderer

    def failing(fmt: str) -> Any:
        def render(report: Any, options: Any) -> Iterator[Any]:
            pieces = iter(rendered(fmt)(report, options))
            yield next(pieces)
            raise RuntimeError("the disk caught fire")

        return render

    monkeypatch.setattr(rendering, "renderer", failing)
    old, new = tmp_path / "old.txt", tmp_path / "new.txt"
    old.write_text("the last report\n", encoding="utf-8")
    for target in (old, new):
        args = ["evaluate", POLICY, str(SAMPLE), "--format", fmt, "-o", str(target)]
        result = invoke(args, 2)
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert errors == [
            "error: internal error: RuntimeError: the disk caught fire "
            "(rerun with --debug for details)"
        ]
        assert "Traceback" not in result.stderr and "wrote" not in result.stderr
    assert old.read_text(encoding="utf-8") == "the last report\n"
    assert list(tmp_path.iterdir()) == [old]


def test_every_format_keeps_hostile_ids_inside_their_record(write: Writer) -> None:
    """The class of bypass behind the CSV bug, in every format: a carriage return, a line
    feed, a comma or an escape sequence in an id never splits a record or a row, and the
    formats a spreadsheet opens defuse the formula. (HTML, where markup is the class, is
    autoescaped and checked in a real browser by tests/render/test_html_browser.py.)"""
    import json
    from xml.etree import ElementTree

    events = _evil_events(write)
    base = ["evaluate", POLICY, str(events), "--fail-on", "never", "--format"]
    for fmt in ("csv", "leads"):
        text = invoke([*base, fmt], 0).stdout
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert all(len(row) == len(rows[0]) for row in rows), fmt
        cells = {cell for row in rows for cell in row}
        assert "'\r=1+1" in cells and "\r=1+1" not in cells, fmt
    lines = invoke([*base, "jsonl"], 0).stdout.splitlines()
    ids = {json.loads(line).get("lead_id") for line in lines}
    assert set(EVIL.values()) <= ids
    assert set(EVIL.values()) <= {
        v["lead_id"] for v in json.loads(invoke([*base, "json"], 0).stdout)["violations"]
    }
    markdown = invoke([*base, "markdown"], 0).stdout
    assert "\r" not in markdown and "\x1b" not in markdown
    table_rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert all(line.rstrip().endswith("|") for line in table_rows), "no row is split"
    junit = invoke([*base, "junit"], 0).stdout
    ElementTree.fromstring(junit.encode())  # control characters would make it invalid XML
    assert "\x1b" not in junit
    table = invoke([*base, "table"], 0).stdout
    assert "\x1b[31mRED" not in table, "a terminal escape from data is shown, not run"
