"""Differential property over the local engine's whole pipeline: generated policies and
event logs (tests/engine/test_generated.py's), with event ids that repeat and events of a
type the policy does not declare, written as CSV or JSON Lines, read by the columnar
reader, held in memory or spilled into 1 to 4 partitions, on one worker or two, give the
reference engine's report byte for byte (or its error, word for word).

test_generated.py proves the kernel on batches made from the reference reader's events;
this proves what surrounds it: the typed read, duplicates, partitions, the merge.

Each generated policy is a kernel of its own, and compiling one takes seconds, so the
property runs in a process with numba's compiler turned off (`NUMBA_DISABLE_JIT`): the
kernel's source runs as Python, with the semantics test_generated.py checks it has.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slalang.check import check
from slalang.data import read_events
from slalang.diagnostics import Level, SlalangError
from slalang.engine import local
from slalang.evaluate.run import evaluate, field_specs
from slalang.load import load_text
from slalang.plan import compile_program
from slalang.render.report import render_report
from tests.engine.test_generated import VALUES, event_logs, policies

ROOT = Path(__file__).parents[2]
COLUMNS = ["lead_id", "timestamp", "event", "event_id", *VALUES]


@st.composite
def exports(draw: st.DrawFn) -> list[dict[str, str]]:
    """A generated log, some rows with an event id (a few repeat within a lead: the first
    in input order is kept) and some of an undeclared type (counted, not replayed)."""
    rows = []
    for row in draw(event_logs()):
        if draw(st.integers(0, 3)) == 0:
            row = {**row, "event_id": f"E{draw(st.integers(0, 6))}"}
        if draw(st.integers(0, 12)) == 0:
            row = {**row, "event": "unknown"}
        rows.append(row)
    return rows


def _write(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        if path.suffix == ".csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows([row.get(column, "") for column in COLUMNS] for row in rows)
        else:
            out.writelines(json.dumps(row) + "\n" for row in rows)


def _reference(plan: dict[str, Any], path: Path) -> str:
    zone = plan["policy"]["timezone"]
    try:
        log = read_events([str(path)], field_specs(plan), plan["events"], default_timezone=zone)
        return render_report(evaluate(plan, log), "json")
    except SlalangError as exc:
        return f"error: {exc}"


def _local(plan: dict[str, Any], path: Path, jobs: int, parts: int | None) -> str:
    """Held in memory (`parts` None), or spilled from the first block into `parts`."""
    spill: dict[str, Any] = {} if parts is None else {"budget": 1, "parts": parts}
    try:
        with local.run(plan, [str(path)], jobs=jobs, **spill) as done:
            return render_report(done.report(), "json")
    except SlalangError as exc:
        return f"error: {exc}"


@settings(
    derandomize=True,
    deadline=None,
    max_examples=int(os.environ.get("PIPELINE_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    policies(),
    exports(),
    st.sampled_from([".csv", ".jsonl"]),
    st.sampled_from([None, 1, 2, 4]),
    st.sampled_from([1, 2]),
)
def property_the_pipeline_gives_the_reference_report(
    policy: str, rows: list[dict[str, str]], suffix: str, parts: int | None, jobs: int
) -> None:
    program = load_text(policy, "generated.sla")
    errors = [d for d in check(program) if d.level is Level.ERROR]
    assert not errors, [f"{d.span.line}: {d.message}" for d in errors]
    plan = compile_program(program)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"events{suffix}"
        _write(path, rows)
        want = _reference(plan, path)
        got = _local(plan, path, jobs, parts)
    if got != want:
        wanted, found = want.splitlines(), got.splitlines()
        pairs = zip(wanted, found, strict=False)
        line = next((n for n, (a, b) in enumerate(pairs) if a != b), min(len(wanted), len(found)))
        raise AssertionError(
            f"reports differ from line {line + 1}:\n"
            f"reference: {wanted[line : line + 1]}\nlocal:     {found[line : line + 1]}"
        )


def test_generated_policies_and_exports_through_the_whole_pipeline() -> None:
    code = (  # numpy warns of the lead hash's intended overflow, computed by Python
        "import warnings; warnings.simplefilter('ignore', RuntimeWarning); "
        "from tests.engine.test_generated_pipeline import "
        "property_the_pipeline_gives_the_reference_report as check; check()"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-6000:]
