"""The local (columnar) engine end to end — columnar read, partitions, workers, merged and
streamed report — against the reference engine, byte for byte; and its spill files."""

from __future__ import annotations

import bisect
import contextlib
import functools
import gc
import gzip
import importlib.util
import itertools
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from slalang.api import Policy, diff_policies, load_policy
from slalang.cli import cli
from slalang.data import load_mapping, read_events, read_metrics
from slalang.diagnostics import SlalangError
from slalang.engine import choose, kernel, local, run
from slalang.evaluate.run import Span, evaluate, field_specs
from slalang.fileio import write_atomic
from slalang.load import load
from slalang.plan import compile_program
from slalang.render.report import json_text, junit, render_report
from slalang.render.report.json_text import Entries, pieces
from slalang.sample import write_sample
from tests.data.test_olist import DEALS, MQLS

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, Path]:
    """The seed policy on a sample of a few hundred leads, with repeated event ids and
    events on other leads sharing ids (duplicates are per lead)."""
    plan = compile_program(load(ROOT / "policies" / "seed_funnel.sla"))
    folder = tmp_path_factory.mktemp("sample")
    events, metrics = folder / "events.csv", folder / "metrics.csv"
    write_sample(plan, events, metrics, leads=400, seed=5, start=date(2026, 1, 5), months=3)
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    events.write_text("".join(lines + lines[1:40:3]), encoding="utf-8")  # duplicates
    return plan, events, metrics


def reference_json(plan: dict[str, Any], paths: list[str], **kwargs: Any) -> str:
    mapping = kwargs.pop("mapping", None)
    cut = kwargs.get("as_of")
    as_of = None if cut is None else datetime.fromtimestamp(cut, UTC)
    zone = plan["policy"]["timezone"]  # the agreement's, for timestamps without an offset
    log = read_events(
        paths, field_specs(plan), plan["events"], mapping, as_of=as_of, default_timezone=zone
    )
    return render_report(evaluate(plan, log, **kwargs), "json")


def whole_report(plan: dict[str, Any], paths: list[str], **options: Any) -> dict[str, Any]:
    """The local engine's whole report (as the API builds it for formats other than JSON)."""
    with local.run(plan, paths, **options) as outcome:
        return outcome.report()


@pytest.mark.parametrize(
    ("budget", "parts", "jobs", "count"),
    [
        (local.BUDGET, None, 1, 1),
        (local.BUDGET, None, 2, 5),
        (1, 1, 1, 1),
        (1, 5, 1, 5),
        (1, 4, 2, 4),
    ],
    ids=[
        "in-memory",
        "in-memory-two-jobs",
        "one-partition",
        "five-partitions",
        "four-partitions-two-jobs",
    ],
)
def test_the_same_bytes_whole_or_partitioned(
    sample: tuple[dict[str, Any], Path, Path],
    budget: int,
    parts: int | None,
    jobs: int,
    count: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """In memory with two jobs, forked workers replay four runs of leads (the whole
    input's accounting is a part of its own); spilled, one part per partition."""
    monkeypatch.setattr(local, "PARALLEL", 0)  # the sample is small: fork anyway
    plan, events, metrics = sample
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(events)], metrics=values)
    spill, written = tmp_path / "spill", tmp_path / "report.json"
    spill.mkdir()
    with local.run(
        plan,
        [str(events)],
        metrics=values,
        budget=budget,
        parts=parts,
        jobs=jobs,
        spill_dir=str(spill),
    ) as outcome:
        streamed = "".join(pieces(outcome.lazy()))
        # the long lists as their UTF-8 bytes, or the workers' files copied by the kernel
        write_atomic(written, pieces(outcome.lazy(), encoded=True))
        whole = render_report(outcome.report(), "json")
        for fmt in ("markdown", "junit", "csv", "jsonl"):  # a pass at a time, same files
            assert render_report(outcome.lazy(), fmt) == render_report(outcome.report(), fmt)
        assert len(outcome.parts) == count
    assert streamed == expected
    assert written.read_bytes() == expected.encode()
    assert whole == expected
    assert list(spill.iterdir()) == []  # spill and entry files are gone


@pytest.mark.parametrize(("budget", "parts"), [(None, None), (1, 5)], ids=["one", "five"])
def test_entries_merged_a_few_at_a_time(
    sample: tuple[dict[str, Any], Path, Path],
    budget: int | None,
    parts: int | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three entries per block (the merge's fifteen shared by five partitions): a lead's
    entries straddle blocks, and each round of the merge of five partitions' files takes
    some entries of each, up to the smallest last lead of a partition that has more."""
    monkeypatch.setattr(local, "MERGE_ENTRIES", 15 if parts else 3)
    plan, events, metrics = sample
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(events)], metrics=values)
    options = {"metrics": values, "budget": budget, "parts": parts, "jobs": 1}
    with local.run(plan, [str(events)], **options) as outcome:
        assert "".join(pieces(outcome.lazy())) == expected
        assert render_report(outcome.report(), "json") == expected


def test_as_of_from_and_to_on_a_partitioned_run(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    plan, events, _ = sample
    span = Span(1768000000, 1772000000)
    as_of = 1773000000
    expected = reference_json(plan, [str(events)], as_of=as_of, span=span)
    actual = whole_report(plan, [str(events)], as_of=as_of, span=span, budget=1)
    assert render_report(actual, "json") == expected


@pytest.mark.parametrize("known", [True, False], ids=["larger-than-budget", "passes-budget"])
def test_spilling_from_the_first_block_or_once_the_budget_is_passed(
    sample: tuple[dict[str, Any], Path, Path],
    known: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An input whose size is over the budget goes to spill files from its first block
    (holding blocks first would only raise the peak); one that looks smaller (a size that
    is not known ahead) is held until the budget is passed. Both are the reference's
    bytes, and leave no file behind."""
    plan, events, _ = sample
    budget = events.stat().st_size // 2
    if not known:
        monkeypatch.setattr(local, "input_bytes", lambda paths: 0)
    first: list[bool] = []
    add = local._Store.add

    def spy(store: local._Store, chunk: Any) -> None:
        first.append(store.spilled)
        add(store, chunk)

    monkeypatch.setattr(local._Store, "add", spy)
    expected = reference_json(plan, [str(events)])
    with local.run(
        plan, [str(events)], budget=budget, parts=3, jobs=1, spill_dir=str(tmp_path)
    ) as done:
        assert render_report(done.report(), "json") == expected
        assert len(done.parts) == 3
    assert first[0] is known
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["csv", "gzip"])
def test_one_stream_past_the_budget_is_cut_by_ranges_of_leads(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    """One job reads the input as one stream; past the budget its partitions are ranges of
    lead ids sampled from the file as for stretches (their entries are then written one
    partition after another, not merged by lead), put together in order by their bytes:
    the reference's bytes. A gzip file cannot be sampled before it is read: hashed, the
    same bytes."""
    plan, events, metrics = sample
    path = awkward_copy(events, tmp_path / "awkward.csv")
    if kind == "gzip":
        path = path.with_suffix(".csv.gz")
        path.write_bytes(gzip.compress((tmp_path / "awkward.csv").read_bytes()))
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(path)], metrics=values)
    found: list[Any] = []
    sampled = local._stream_bounds

    def spy(*args: Any) -> Any:
        found.append(sampled(*args))
        return found[-1]

    monkeypatch.setattr(local, "_stream_bounds", spy)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    options = {"metrics": values, "budget": 1, "parts": 3, "spill_dir": str(scratch)}
    with local.run(plan, [str(path)], jobs=1, **options) as done:
        assert render_report(done.report(), "json") == expected
        assert len(done.parts) == 3
    (bounds,) = found
    assert (bounds is not None and len(bounds) >= 3) == (kind == "csv")
    assert list(scratch.iterdir()) == []


def _with_files_limited(script: str, plan: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """SCRIPT (which lowers its limit on open files) run in a process of its own, given
    the plan on its standard input: the test's own process keeps its limit."""
    found = subprocess.run(
        [sys.executable, "-c", script],
        input=json.dumps(plan),
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert found.returncode == 0, found.stderr
    return found


def test_a_read_holding_more_spill_files_than_the_soft_limit_raises_it(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    """A partitioned read holds two files open per partition: a process whose soft limit
    on open files is lower (macOS starts at 256) raises it toward the hard limit and
    writes the same report, rather than failing with "too many open files"."""
    plan, events, _ = sample
    script = f"""
import json, resource, sys
from slalang.engine import local
from slalang.render.report import render_report
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
plan = json.loads(sys.stdin.read())
with local.run(plan, [{str(events)!r}], budget=1, parts=100, jobs=1) as done:
    sys.stdout.write(render_report(done.report(), "json"))
print(resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= 200 + 64, file=sys.stderr)
"""
    found = _with_files_limited(script, plan)
    assert found.stderr.strip().endswith("True")
    assert found.stdout == reference_json(plan, [str(events)])


def test_spill_files_that_cannot_be_opened_stop_the_run_with_one_line(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    """Where the limit on open files cannot be raised far enough, the run stops with one
    line naming the spill directory and the system's reason, and leaves nothing behind."""
    plan, events, _ = sample
    script = f"""
import json, resource, sys
from slalang.diagnostics import SlalangError
from slalang.engine import local
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
plan = json.loads(sys.stdin.read())
options = dict(budget=1, parts=100, jobs=1, spill_dir={str(tmp_path)!r})
try:
    with local.run(plan, [{str(events)!r}], **options):
        pass
except SlalangError as exc:
    print(exc)
"""
    found = _with_files_limited(script, plan)
    assert found.stdout.startswith(f"cannot write spill files in {tmp_path}/slalang-")
    assert found.stdout.rstrip().endswith("Too many open files")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_temporary_files_the_disk_refuses_stop_the_run_with_one_line(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, jobs: int
) -> None:
    """A write the system refuses half-way (here past a limit on file size, which fails
    each write as a full disk does) stops the run with one line naming the directory and
    what to do, and leaves nothing behind: while the spill files are written (Arrow's
    error on closing a file it had closed used to hide the reason) and while the report
    entries are. The limits come from the sizes of an unlimited run's files."""
    plan, events, _ = sample
    script = f"""
import glob, json, os, resource, signal, sys
from slalang.diagnostics import SlalangError
from slalang.engine import local
plan = json.loads(sys.stdin.read())
spill = {str(tmp_path)!r}
options = dict(budget=1, parts=2, jobs={jobs}, spill_dir=spill)
def largest(pattern):
    return max(os.path.getsize(p) for p in glob.glob(os.path.join(spill, "slalang-*", pattern)))
sizes = {{}}
def measure(_):
    sizes["spill"] = largest("*.arrow")
with local.run(plan, [{str(events)!r}], warn=measure, **options):
    sizes["entries"] = largest("out-*/*")
assert sizes["entries"] > sizes["spill"], sizes
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # past the limit, a write fails (EFBIG)
for limit in (sizes["spill"] // 2, sizes["spill"] + 1):
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        with local.run(plan, [{str(events)!r}], **options):
            print("no error")
    except SlalangError as exc:
        print(exc)
"""
    found = _with_files_limited(script, plan)
    spilling, entries = found.stdout.splitlines()
    room = ": File too large (set TMPDIR to a directory with more room)"
    assert spilling.startswith(f"cannot write spill files in {tmp_path}/slalang-")
    assert spilling.endswith(room)
    assert entries.startswith(f"cannot write report entries in {tmp_path}/slalang-")
    assert "/out-" in entries
    assert entries.endswith(room)
    assert list(tmp_path.iterdir()) == []


def test_spill_files_are_removed_after_an_error(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    plan, events, _ = sample

    def refuse(_: object) -> None:
        raise SlalangError("stop here")

    with (
        pytest.raises(SlalangError, match="stop here"),
        local.run(plan, [str(events)], budget=1, parts=3, spill_dir=str(tmp_path), warn=refuse),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_the_latest_event_a_duplicate_replays_at_the_real_as_of(tmp_path: Path) -> None:
    """as_of defaults to the latest *used* event: here the latest row repeats an id."""
    plan = compile_program(load(ROOT / "policies" / "seed_funnel.sla"))
    events = tmp_path / "events.csv"
    events.write_text(
        "lead_id,timestamp,event,event_id\n"
        "L1,2026-03-02T10:00:00Z,form_submitted,E1\n"
        "L2,2026-03-03T10:00:00Z,form_submitted,E2\n"
        "L1,2026-03-09T10:00:00Z,form_submitted,E1\n",
        encoding="utf-8",
    )
    expected = reference_json(plan, [str(events)])
    for budget in (local.BUDGET, 1):
        actual = whole_report(plan, [str(events)], budget=budget)
        assert render_report(actual, "json") == expected
        assert actual["as_of"] == "2026-03-03T10:00:00Z"


@pytest.mark.skipif(not MQLS.exists(), reason=f"{MQLS} is not present")
def test_the_olist_example_partitioned() -> None:
    plan = compile_program(load(ROOT / "examples/olist/olist.sla"))
    mapping = load_mapping(ROOT / "examples/olist/mapping.yaml")
    paths = [str(MQLS), str(DEALS)]
    expected = reference_json(plan, paths, mapping=mapping)
    actual = whole_report(plan, paths, mapping=mapping, budget=1 << 16, jobs=2)
    assert render_report(actual, "json") == expected


@pytest.mark.skipif(not MQLS.exists(), reason=f"{MQLS} is not present")
def test_the_olist_example_as_parquet_read_by_the_workers(
    tmp_path: Path, stretched: list[local._Read | None]
) -> None:
    """Each table of the two-table export as a Parquet file (named as the mapping's sources
    expect, told from CSV by its signature), read by the workers at once, each run of row
    groups with its own source's columns: the report is the one the files give read as
    one stream."""
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    plan = compile_program(load(ROOT / "examples/olist/olist.sla"))
    mapping = load_mapping(ROOT / "examples/olist/mapping.yaml")
    paths = []
    for source in (MQLS, DEALS):
        with source.open(encoding="utf-8", newline="") as handle:
            header = next(csv.reader(handle))
        text = dict.fromkeys(header, pa.string())  # every cell as written
        table = pacsv.read_csv(source, convert_options=pacsv.ConvertOptions(column_types=text))
        target = tmp_path / source.name
        pq.write_table(table, target, row_group_size=500)
        paths.append(str(target))
    options: dict[str, Any] = {"mapping": mapping, "budget": 1, "parts": 4}
    expected = render_report(whole_report(plan, paths, jobs=1, **options), "json")
    assert stretched == []
    actual = render_report(whole_report(plan, paths, jobs=2, **options), "json")
    assert actual == expected
    assert stretched and stretched[0] is not None and stretched[0].ordered


def test_lead_hash_is_fnv1a_of_the_utf8_bytes() -> None:
    import pyarrow as pa

    def fnv(text: str) -> int:
        h = 0xCBF29CE484222325
        for byte in text.encode("utf-8"):
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
        return h

    ids = ["", "L1", "Ü7", "a much longer lead id than the others"]
    assert local.lead_hash(pa.array(ids)).tolist() == [fnv(i) for i in ids]
    # written lead by lead (runs hashed once), sliced, and with the runs broken up
    runs = ["L1", "L1", "L1", "Ü7", "Ü7", "", "", "", "L1", "L2", "L2", "L2"]
    for leads in (runs, runs[3:], runs[::-1], sorted(runs)):
        array = pa.array(["x", *leads]).slice(1)
        assert local.lead_hash(array).tolist() == [fnv(i) for i in leads]


def test_lead_range_counts_the_bounds_at_or_before_each_id_in_code_point_order() -> None:
    import pyarrow as pa

    bounds = ["L1", "L2", "a\U0001f600", "Ü"]  # sorted: UTF-8 byte order is code-point order
    ids = ["", "L0", "L1", "L10", "L2", "L3", "Z", "a", "a\U0001f600", "Ü", "ÜÜ", "\U0001f600"]
    expected = [bisect.bisect_right(bounds, i) for i in ids]
    assert local.lead_range(pa.array(ids), pa.array(bounds)).tolist() == expected
    # written lead by lead (runs placed once), sliced, and with the runs broken up
    runs = ["L1", "L1", "L3", "L3", "L3", "", "", "ÜÜ", "L1", "L2", "L2"]
    for leads in (runs, runs[3:], runs[::-1], sorted(runs), runs[:1]):
        array = pa.array(["x", *leads]).slice(1)
        placed = local.lead_range(array, pa.array(bounds)).tolist()
        assert placed == [bisect.bisect_right(bounds, i) for i in leads]
    assert local.lead_range(pa.array(ids), pa.array([], pa.string())).tolist() == [0] * len(ids)


@pytest.mark.parametrize("order", ["as-written", "by-lead", "shuffled"])
def test_range_partitions_hold_runs_of_leads_in_order(
    sample: tuple[dict[str, Any], Path, Path], order: str, tmp_path: Path
) -> None:
    """A file read in stretches is cut by ranges of lead ids chosen from a sample of it, so
    the partitions, in turn, hold the leads in order and the report's lists are their
    entries one after another: the reference's bytes for a log written lead by lead (runs
    of rows written to a partition as they are) or in any order (rows taken apart)."""
    plan, events, metrics = sample
    header, *rows = events.read_text(encoding="utf-8").splitlines(keepends=True)
    if order == "by-lead":
        rows.sort(key=lambda row: row.split(",", 1)[0])
    elif order == "shuffled":
        random.Random(7).shuffle(rows)
    path = tmp_path / "events.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(path)], metrics=values)
    options = {"budget": 1, "parts": 3, "jobs": 2, "mapping": None, "timezone": None}
    with local._read(plan, [str(path)], as_of=None, **options) as read:
        assert read.ordered and len(read.sources) == 3
        ranges = []
        for sources in read.sources:
            leads = local._spilled(sources).table.column("lead")
            ranges.append((pc.min(leads).as_py(), pc.max(leads).as_py()))
    assert all(a[1] < b[0] for a, b in itertools.pairwise(ranges))
    report = whole_report(plan, [str(path)], metrics=values, budget=1, parts=3, jobs=2)
    assert render_report(report, "json") == expected


@pytest.mark.parametrize("order", ["as-written", "shuffled"])
@pytest.mark.parametrize("key", ["hash", "range"])
def test_spill_files_keep_every_rows_fields(
    sample: tuple[dict[str, Any], Path, Path], order: str, key: str, tmp_path: Path
) -> None:
    """The reader holds fields only for the rows that set one; spilled (in runs of rows
    or taken apart by partition), every row keeps its own fields: the spill files, made
    whole again, are the chunks' rows with every field."""
    import numpy as np
    import pyarrow as pa

    plan, events, _ = sample
    header, *rows = events.read_text(encoding="utf-8").splitlines(keepends=True)
    if order == "shuffled":
        random.Random(3).shuffle(rows)
    path = tmp_path / "events.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    specs = field_specs(plan)
    reader = local.ColumnarReader(specs, plan["events"], None, None, None, block=1 << 14)
    chunks = list(reader.read([str(path)]))
    assert any(c.fielded is not None and 0 < len(c.fielded) < len(c) for c in chunks)
    leads = pa.concat_arrays([chunk.lead for chunk in chunks])
    bounds = pc.unique(leads).sort().take(pa.array([7, 40, 90])) if key == "range" else None
    store = local._Store(reader.schema, 1, tmp_path, 4, spill=True, bounds=bounds)
    for chunk in chunks:
        store.add(chunk)
    spilled = []
    for source in store.close():
        apart = local._spilled([source])
        at = np.full(len(apart.table), -1)
        at[apart.rows] = np.arange(len(apart.rows))
        index = pa.array(np.maximum(at, 0), mask=at < 0)
        table = apart.table
        for name in apart.fields.column_names:
            table = table.append_column(name, apart.fields.column(name).take(index))
        spilled.append(table)
    whole = pa.concat_tables(spilled).sort_by("seq")
    assert whole.equals(pa.concat_tables([chunk.table() for chunk in chunks]).sort_by("seq"))


def test_a_reader_writes_no_more_range_partitions_than_the_most_partitions(
    sample: tuple[dict[str, Any], Path, Path],
) -> None:
    """Four times finer than asked, but never more files per reader than `_MAX_PARTS`
    (each reader holds all of its partitions' files open)."""
    plan, events, _ = sample
    options = {"budget": 1, "parts": 100, "jobs": 2, "mapping": None, "timezone": None}
    with local._read(plan, [str(events)], as_of=None, **options) as read:
        files = {path for sources in read.sources for path in sources}
        assert read.ordered and 50 <= len(read.sources) <= 100
    assert local._MAX_PARTS < 400 <= 4 * 100  # more ranges than that, were it not capped
    assert len(files) <= 2 * local._MAX_PARTS


def test_a_file_whose_sample_finds_no_lead_is_hash_partitioned(
    sample: tuple[dict[str, Any], Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No bound to cut ranges by (the sample's windows could not be split): the rows are
    shared out by a hash of the lead id, and merged by lead."""
    import pyarrow as pa

    plan, events, _ = sample
    monkeypatch.setattr(local.ColumnarReader, "sample", lambda *args: pa.array([], pa.string()))
    options = {"budget": 1, "parts": 3, "jobs": 2, "mapping": None, "timezone": None}
    with local._read(plan, [str(events)], as_of=None, **options) as read:
        assert not read.ordered and len(read.sources) == 3
    report = whole_report(plan, [str(events)], budget=1, parts=3, jobs=2)
    assert render_report(report, "json") == reference_json(plan, [str(events)])


def test_the_kernel_is_cached_once_its_machine_code_is(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`cached` finds the module and machine code `kernel_for` keeps, without numba."""
    plan = sample[0]
    run.kernel_for(plan)  # kept in the test session's cache, if it was not already
    assert kernel.cached(plan)
    modules = list(kernel.cache_dir().glob("slalang_kernel_*.py"))
    monkeypatch.setenv("SLALANG_CACHE_DIR", str(tmp_path))
    assert not kernel.cached(plan)
    kernel.cache_dir().mkdir()
    for path in modules:
        shutil.copy(path, kernel.cache_dir())  # the modules without their machine code
    assert not kernel.cached(plan)


@pytest.mark.parametrize("there", [True, False])
def test_where_workers_start_afresh_a_spilled_run_compiles_the_kernel_only_if_not_cached(
    sample: tuple[dict[str, Any], Path, Path], monkeypatch: pytest.MonkeyPatch, there: bool
) -> None:
    """Where the workers cannot be forked, they start afresh and load the kernel from the
    cache: the run's own process compiles it into the cache first when it is not there
    (the first run), and otherwise loads nothing (numba would take a core from the
    reading workers)."""
    plan, events, _ = sample
    loaded: list[object] = []
    monkeypatch.setattr(local, "FORK", False)
    monkeypatch.setattr(local, "cached", lambda plan: there)
    monkeypatch.setattr(local, "kernel_for", lambda plan, **kw: loaded.append(plan))
    with local.run(plan, [str(events)], budget=1, parts=3, jobs=2) as outcome:
        assert outcome.skeleton["input"]["events"]
    assert bool(loaded) is not there


@pytest.mark.skipif(not local.FORK, reason="forking is not safe here")
def test_the_partitions_are_replayed_by_workers_forked_after_the_read(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """numba and the kernel are loaded here while the workers read (also when the kernel
    is cached), and the partitions go to workers forked afterwards, which have them: not
    to the readers, which would each load them again and keep the memory they read with."""
    plan, events, metrics = sample
    loaded: list[object] = []
    monkeypatch.setattr(local, "cached", lambda plan: True)
    spy = local.kernel_for
    monkeypatch.setattr(local, "kernel_for", lambda plan: loaded.append(plan) or spy(plan))
    reading, replaying = local._read_share, local._evaluate_part

    # wrapped, a spy is sent to the workers by the original's name, which finds the spy
    @functools.wraps(reading)
    def read_share(task: Any) -> Any:
        (tmp_path / f"read-{os.getpid()}").touch()
        return reading(task)

    @functools.wraps(replaying)
    def evaluate_part(task: Any, table: Any = None) -> Any:
        (tmp_path / f"replay-{os.getpid()}").touch()
        return replaying(task, table)

    monkeypatch.setattr(local, "_read_share", read_share)
    monkeypatch.setattr(local, "_evaluate_part", evaluate_part)
    values = read_metrics(str(metrics))
    with local.run(plan, [str(events)], budget=1, parts=4, jobs=2, metrics=values) as done:
        report = render_report(done.report(), "json")
    assert report == reference_json(plan, [str(events)], metrics=values)
    assert loaded
    readers = {p.name.split("-")[1] for p in tmp_path.glob("read-*")}
    replayers = {p.name.split("-")[1] for p in tmp_path.glob("replay-*")}
    assert readers and replayers and not readers & replayers
    assert str(os.getpid()) not in readers | replayers


def test_small_inputs_and_stdin_take_the_reference_replay(tmp_path: Path) -> None:
    small = tmp_path / "events.csv"
    small.write_text("lead_id,timestamp,event\n", encoding="utf-8")
    assert not choose.chooses_local("local", [str(small)])
    assert not choose.chooses_local("local", ["-"])
    assert not choose.chooses_local("reference", [str(small)])
    with pytest.raises(SlalangError, match="unknown engine `spark2`"):
        choose.chooses_local("spark2", [str(small)])


def _evaluate_json(events: Path, metrics: Path, engine: str, out: Path) -> list[str]:
    """`slalang evaluate`'s arguments for the seed policy's JSON report on EVENTS, written
    to OUT, by ENGINE on two jobs."""
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    return [
        *("evaluate", policy, str(events), "--metrics", str(metrics)),
        *("--engine", engine, "--jobs", "2", "--format", "json", "-o", str(out)),
    ]


def test_the_command_line_engines_write_the_same_report(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, events, metrics = sample
    monkeypatch.setattr(choose, "SMALL", 0)  # the sample is small: run the columnar engine
    monkeypatch.setattr(local, "BUDGET", 1 << 16)  # and partition it
    outputs = {}
    for engine in ("local", "reference"):
        out = tmp_path / f"{engine}.json"
        result = CliRunner().invoke(cli, _evaluate_json(events, metrics, engine, out))
        assert result.exit_code in (0, 1), result.output
        outputs[engine] = out.read_bytes()
    assert outputs["local"] == outputs["reference"]
    assert json.loads(outputs["local"])["input"]["duplicates"] > 0


@pytest.mark.parametrize(
    ("fmt", "select"),
    [
        ("table", []),
        ("csv", []),
        ("markdown", []),
        ("html", []),
        ("jsonl", []),
        ("junit", []),
        ("json", []),
        ("leads", []),
        ("table", ["--rule", "first_touch"]),
        ("html", ["--rule", "first_touch"]),
        ("junit", ["--owner", "sales"]),
        ("json", ["--rule", "first_touch"]),
        ("csv", ["--owner", "sales"]),
        ("jsonl", ["--rule", "mql"]),
        ("junit", ["--rule", "first_touch", "--rule", "mql"]),
    ],
)
def test_each_format_is_rendered_from_lazy_views_of_the_lists_it_reads(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    select: list[str],
) -> None:
    """Every format is rendered inside the run's context from lazy views of only the long
    lists it reads, parsed from the run's files on each pass (as Python lists, 10M events
    took 1.7 GB for markdown), and reads the same as the reference engine's; those that
    stream are written in many pieces as they are rendered."""
    _, events, metrics = sample
    monkeypatch.setattr(choose, "SMALL", 0)
    monkeypatch.setattr(local, "BUDGET", 1 << 16)
    monkeypatch.setattr(json_text, "BATCH", 3)
    monkeypatch.setattr(junit, "HELD", 500)
    built: list[dict[str, Any]] = []
    lazy = local.Outcome.lazy

    def spied(self: local.Outcome, sections: Any = local.SECTIONS) -> dict[str, Any]:
        built.append(lazy(self, sections))
        return built[-1]

    monkeypatch.setattr(local.Outcome, "lazy", spied)
    outputs = {}
    for engine in ("local", "reference"):
        out = tmp_path / f"{engine}.txt"
        arguments = ["evaluate", str(ROOT / "policies" / "seed_funnel.sla"), str(events)]
        arguments += ["--metrics", str(metrics), "--engine", engine, "--format", fmt]
        result = CliRunner().invoke(cli, [*arguments, *select, "-o", str(out)])
        assert result.exit_code in (0, 1), result.output
        outputs[engine] = out.read_bytes()
    assert outputs["local"] == outputs["reference"]
    if fmt == "html":  # the worst leads' stories, read again from the input by the local engine
        assert b'<template id="timeline-' in outputs["local"]
    assert outputs["local"].strip()
    [report] = built
    violations_only = {"violations"}
    lists = dict.fromkeys(("table", "csv", "jsonl", "junit"), violations_only)
    lists["markdown"] = lists["html"] = {"clocks", "violations"}
    expected = lists.get(fmt, set(local.SECTIONS)) | ({"clocks"} if select else set())
    assert {name for name in local.SECTIONS if name in report} == expected
    assert all(isinstance(report[name], Entries) for name in expected)


def test_a_report_built_without_a_list_refuses_a_format_that_reads_it(
    sample: tuple[dict[str, Any], Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, events, metrics = sample
    monkeypatch.setattr(choose, "SMALL", 0)
    policy = load_policy(ROOT / "policies" / "seed_funnel.sla")
    report = policy.evaluate(str(events), metrics=str(metrics), sections=("violations",))
    assert "stages" not in report.data and report.violations
    assert report.render("csv") == policy.evaluate(str(events), metrics=str(metrics)).render("csv")
    with pytest.raises(SlalangError, match="format `leads` reads the report's stages and clocks"):
        report.render("leads")


def test_parquet_gives_the_report_of_the_same_data_in_csv(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    plan, events, metrics = sample
    table = pacsv.read_csv(events)  # typed: instants, integers, floats, strings
    assert str(table.schema.field("timestamp").type) == "timestamp[s, tz=UTC]"
    single = tmp_path / "events.parquet"
    pq.write_table(table, single)
    folder = tmp_path / "export"
    folder.mkdir()
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), folder / "part-0.parquet")
    pq.write_table(table.slice(half), folder / "part-1.parquet")
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(events)], metrics=values)
    for source in (single, folder):
        for budget in (None, 1):
            actual = whole_report(plan, [str(source)], metrics=values, budget=budget)
            assert render_report(actual, "json") == expected
    assert choose.chooses_local("local", [str(single)])
    # a directory counts its files' bytes (as CSV would take about five times as many), so a
    # large export is split into partitions of the right size
    files = sum(path.stat().st_size for path in folder.iterdir())
    assert choose.input_bytes([str(folder)]) == 5 * files
    with pytest.raises(SlalangError, match="Parquet is read by the local engine only"):
        choose.chooses_local("reference", [str(folder)])


def test_the_streamed_report_is_the_report_and_leaves_no_file_behind(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--format json` streams the long lists out of the spill files: to standard output
    and to `-o` the same bytes as the reference; the temporary files are gone afterwards,
    also when the output cannot be written."""
    import tempfile

    _, events, metrics = sample
    monkeypatch.setattr(choose, "SMALL", 0)
    monkeypatch.setattr(local, "BUDGET", 1 << 16)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    common = [policy, str(events), "--metrics", str(metrics), "--format", "json"]
    reference = CliRunner().invoke(cli, ["evaluate", *common, "--engine", "reference"])
    streamed = CliRunner().invoke(cli, ["evaluate", *common, "--jobs", "2"])
    assert streamed.exit_code == reference.exit_code == 1
    assert streamed.stdout == reference.stdout
    assert json.loads(streamed.stdout)["violations"]
    assert list(scratch.iterdir()) == []
    missing = tmp_path / "no" / "such" / "report.json"
    failed = CliRunner().invoke(cli, ["evaluate", *common, "-o", str(missing)])
    assert failed.exit_code == 2
    assert "does not exist" in failed.output
    assert list(scratch.iterdir()) == []


def test_a_streamed_report_fails_on_its_violations_severities(
    sample: tuple[dict[str, Any], Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, events, metrics = sample
    monkeypatch.setattr(choose, "SMALL", 0)
    policy = load_policy(ROOT / "policies" / "seed_funnel.sla")
    whole = policy.evaluate(str(events), metrics=str(metrics))
    with policy.evaluate(str(events), metrics=str(metrics), stream=True) as streamed:
        assert "".join(streamed.pieces()) == whole.to_json()
        for level in ("error", "warning", "never"):
            assert streamed.failed(level) == whole.failed(level)


@pytest.fixture
def versions(tmp_path: Path) -> tuple[Policy, Policy]:
    """The seed policy and a version of it with a tighter first touch (1 business hour)."""
    text = (ROOT / "policies" / "seed_funnel.sla").read_text(encoding="utf-8")
    tight = tmp_path / "tight.sla"
    tight.write_text(text.replace("within 4 business hours", "within 1 business hour"), "utf-8")
    return load_policy(ROOT / "policies" / "seed_funnel.sla"), load_policy(tight)


def test_diff_replays_both_policies_on_one_columnar_read(
    sample: tuple[dict[str, Any], Path, Path],
    versions: tuple[Policy, Policy],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`slalang diff` on the local engine reads once and replays both policies on the same
    arrays (in forked workers here): the same diff as the reference replay's."""
    _, events, metrics = sample
    old, new = versions
    options: dict[str, Any] = {"metrics": str(metrics)}
    expected = [
        diff_policies(old, new, str(events), engine="reference", **options),
        diff_policies(None, new, str(events), engine="reference", **options),
    ]
    assert expected[0]["changed"]
    monkeypatch.setattr(choose, "SMALL", 0)
    monkeypatch.setattr(local, "PARALLEL", 0)
    reads: list[int] = []
    each = local.evaluate_each

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(len(args[1]))
        return each(*args, **kwargs)

    monkeypatch.setattr(local, "evaluate_each", counted)
    actual = [
        diff_policies(old, new, str(events), engine="local", jobs=2, **options),
        diff_policies(None, new, str(events), engine="local", jobs=1, **options),
    ]
    assert reads == [2, 1]  # one read each time, for two policies and for one
    assert actual == expected


@pytest.mark.parametrize("jobs", [1, 2])
def test_diff_on_a_partitioned_read_is_the_reference_diff(
    sample: tuple[dict[str, Any], Path, Path],
    versions: tuple[Policy, Policy],
    monkeypatch: pytest.MonkeyPatch,
    jobs: int,
) -> None:
    """Past the memory budget `slalang diff` reads the events into partitions, as
    `evaluate` does, and each partition is sorted once and replayed by both policies: the
    same diff as the reference replay's, from reports without the stages and clocks lists
    (held as Python objects, they took 8.8 GB for two policies on 10M events) whose
    violations are read as they are compared, never held as a list."""
    _, events, metrics = sample
    old, new = versions
    options: dict[str, Any] = {"metrics": str(metrics)}
    expected = diff_policies(old, new, str(events), engine="reference", **options)
    assert expected["violations"]["added"]
    monkeypatch.setattr(choose, "SMALL", 0)
    monkeypatch.setattr(local, "BUDGET", 1)
    reads: list[local._Read] = []
    reading = local._read

    @contextlib.contextmanager
    def spied(*args: Any, **kwargs: Any) -> Iterator[local._Read]:
        with reading(*args, **kwargs) as read:
            reads.append(read)
            yield read

    reports: list[dict[str, Any]] = []
    each = local.evaluate_each

    @contextlib.contextmanager
    def kept(*args: Any, **kwargs: Any) -> Iterator[list[dict[str, Any]]]:
        with each(*args, **kwargs) as result:
            reports.extend(result)
            yield result

    monkeypatch.setattr(local, "_read", spied)
    monkeypatch.setattr(local, "evaluate_each", kept)
    actual = diff_policies(old, new, str(events), engine="local", jobs=jobs, **options)
    assert actual == expected
    assert [read.spilled for read in reads] == [True]
    assert len(reads[0].sources) > 1
    for report in reports:
        assert "stages" not in report and "clocks" not in report
        assert not isinstance(report["violations"], list)


# -- a large CSV file read in stretches by the workers -------------------------------------------

AWKWARD = [
    ",2026-02-02T10:00:00Z,page_view,X1,,,,,,,,,\n",  # missing_lead_id
    "L000003,yesterday,page_view,X2,,,,,,,,,\n",  # bad_timestamp
    "L000004,2026-02-02T10:00:00Z,,X3,,,,,,,,,\n",  # missing_event
    "L000005,2026-02-02T10:00:00Z,page_view\n",  # bad_row
    "L000006,2026-02-02T10:00:00Z,carrier_pigeon,X4,,,,,,,,,\n",  # an unknown type
    "L000007,2026-02-03T09:00:00,page_view,X5,,,,,,,,,\n",  # local time: the zone assumed
    "L000008,2026-02-02T10:00:00Z,form_submitted,X6,,,,,many,,,,\n",  # bad_number
    '"L000009",2026-02-02T11:00:00Z,form_submitted,X7,"Ito, Zoe",,,,12,,,,\n',  # quoted
    "\n",  # a blank line
    "L000010,2026-02-02T12:00:00Z,page_view,X8,,,,,,,,,\r\n",  # CRLF
]


def awkward_copy(events: Path, out: Path, every: int = 23) -> Path:
    """The sample with an awkward row after every `every` rows, all through the file: rows
    rejected for each reason, bad values, unknown types, blank lines and CRLF, so that
    each stretch has its own and more than the first 20 examples are found."""
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    written = [lines[0]]
    for index, line in enumerate(lines[1:]):
        written.append(line)
        if index % every == 0:
            written.append(AWKWARD[index // every % len(AWKWARD)])
    out.write_text("".join(written), encoding="utf-8", newline="")
    return out


@pytest.mark.parametrize("jobs", [2, 3])
def test_stretches_read_by_the_workers_give_the_one_stream_report(
    sample: tuple[dict[str, Any], Path, Path],
    jobs: int,
    tmp_path: Path,
    stretched: list[local._Read | None],
) -> None:
    """Each worker reads its own stretch of the file and numbers its lines from 1; the
    report is the reference's to the byte: the first 20 rejection and bad-value examples
    in file order with their line numbers, every count, the zone assumed, duplicates."""
    plan, events, metrics = sample
    awkward = awkward_copy(events, tmp_path / "awkward.csv")
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(awkward)], metrics=values)
    report = json.loads(expected)["input"]
    assert sum(report["rejected"].values()) > 20
    assert report["timezone_assumed"] and report["unknown_events"] and report["duplicates"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    options = {"metrics": values, "budget": 1, "parts": 4, "spill_dir": str(scratch)}
    with local.run(plan, [str(awkward)], jobs=jobs, **options) as outcome:
        assert render_report(outcome.report(), "json") == expected
    assert stretched and stretched[0] is not None
    # each partition is a run of range partitions, read by every worker
    assert all(sources and len(sources) % jobs == 0 for sources in stretched[0].sources)
    assert stretched[0].workers.method == "fork"  # before anything was read: no import again
    assert list(scratch.iterdir()) == []


def test_parquet_files_read_by_the_workers_give_the_one_stream_report(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
) -> None:
    """A directory of Parquet files of several row groups each is read by every worker at
    once, runs of row groups each; the report is the one the files give read as one
    stream, to the byte: the first 20 rejection and bad-value examples with their files
    and rows, every count, the zone assumed, duplicates."""
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    plan, events, metrics = sample
    awkward = awkward_copy(events, tmp_path / "awkward.csv")
    names = awkward.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    table = pacsv.read_csv(  # every cell as written (a row of three cells left out)
        awkward,
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )
    folder = tmp_path / "export"
    folder.mkdir()
    cuts = [0, table.num_rows * 3 // 5, table.num_rows * 4 // 5, table.num_rows]
    for index, (lo, hi) in enumerate(itertools.pairwise(cuts)):
        part = table.slice(lo, hi - lo)
        pq.write_table(part, folder / f"part-{index}.parquet", row_group_size=100)
    runs = local._reader(plan, None, None, None).stretches(str(folder), 2)
    assert runs is not None and len(runs) == 4  # the first file is cut into two runs
    assert runs[1].path == runs[0].path and runs[1].before == runs[0].end > 0
    values = read_metrics(str(metrics))
    options: dict[str, Any] = {"metrics": values, "budget": 1, "parts": 4}
    expected = render_report(whole_report(plan, [str(folder)], jobs=1, **options), "json")
    assert stretched == []  # one job: read as one stream
    report = json.loads(expected)["input"]
    assert sum(report["rejected"].values()) > 20
    assert report["timezone_assumed"] and report["unknown_events"] and report["duplicates"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with local.run(plan, [str(folder)], jobs=2, spill_dir=str(scratch), **options) as outcome:
        assert render_report(outcome.report(), "json") == expected
    assert stretched and stretched[0] is not None
    assert stretched[0].ordered  # range partitions, from the sampled row groups
    assert all(sources and len(sources) % 2 == 0 for sources in stretched[0].sources)
    assert list(scratch.iterdir()) == []


def test_a_large_row_group_is_read_in_pieces_by_the_workers(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
) -> None:
    """A Parquet file whose one row group holds most of its rows (pandas and older pyarrow
    write a whole file as one) is cut into pieces of that group, each read by a worker of
    its own; the report is the one stream's, to the byte: rejection examples with the
    file's rows from every piece, duplicates, the zone assumed."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    plan, events, metrics = sample
    awkward = awkward_copy(events, tmp_path / "awkward.csv", every=60)
    names = awkward.read_text(encoding="utf-8").split("\n", 1)[0].split(",")
    table = pacsv.read_csv(  # every cell as written (a row of three cells left out)
        awkward,
        parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )
    rows = table.num_rows
    lo, hi = rows * 5 // 100, rows * 95 // 100
    path = tmp_path / "export.parquet"
    with pq.ParquetWriter(path, table.schema) as writer:  # small groups, a large one, small
        writer.write_table(table.slice(0, lo), row_group_size=100)
        writer.write_table(table.slice(lo, hi - lo), row_group_size=rows)
        writer.write_table(table.slice(hi), row_group_size=100)
    runs = local._reader(plan, None, None, None).stretches(str(path), 3)
    assert runs is not None and all(isinstance(run, local.RowGroups) for run in runs)
    pieces = [run for run in runs if isinstance(run, local.RowGroups) and run.piece]
    assert len(pieces) > 1 and len({piece.first for piece in pieces}) == 1
    assert [piece.skip for piece in pieces] == [piece.start - lo for piece in pieces]
    assert [(run.start, run.end) for run in runs] == list(
        itertools.pairwise([0, *(run.end for run in runs)])
    ) and runs[-1].end == rows
    values = read_metrics(str(metrics))
    options: dict[str, Any] = {"metrics": values, "budget": 1, "parts": 4}
    expected = render_report(whole_report(plan, [str(path)], jobs=1, **options), "json")
    assert stretched == []  # one job: read as one stream
    report = json.loads(expected)["input"]
    lines = [example["line"] for example in report["rejected_examples"]]
    assert any(pieces[1].start < line <= pieces[1].end for line in lines)
    assert report["timezone_assumed"] and report["duplicates"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with local.run(plan, [str(path)], jobs=3, spill_dir=str(scratch), **options) as outcome:
        assert render_report(outcome.report(), "json") == expected
    assert stretched and stretched[0] is not None and stretched[0].ordered
    assert list(scratch.iterdir()) == []


def test_stretches_cut_a_file_at_line_starts_after_its_header(tmp_path: Path) -> None:
    plan = compile_program(load(ROOT / "policies" / "seed_funnel.sla"))
    path = tmp_path / "events.csv"
    body = "".join(f"L{i},2026-02-02T10:00:00Z,page_view,E{i}{',' * 9}\n" for i in range(500))
    header = (
        "\ufeff\n\nlead_id,timestamp,event,event_id,name,email,title,company,company_size,"
        "product_interest,callback_date,rejection_reason,amount\n"
    )
    path.write_bytes((header + body).encode())
    reader = local._reader(plan, None, None, None)
    stretches = reader.stretches(str(path), 4)
    assert stretches is not None and len(stretches) == 4
    data = path.read_bytes()
    assert data[: stretches[0].start].endswith(b"amount\n")
    assert stretches[0].before == 3  # after two blank lines
    assert all(s.before is None for s in stretches[1:])  # counted as they are read
    assert b"".join(data[s.start : s.end] for s in stretches) == body.encode()
    assert all(data[s.start - 1 : s.start] == b"\n" for s in stretches)


@pytest.mark.parametrize(
    "awkward",
    [
        'L000002,2026-02-02T10:00:00Z,form_submitted,X1,"Zoe\nIto",,,,,,,,\n',
        "L000002,2026-02-02T10:00:00Z,form_submitted,X1,Zoe\rIto,,,,,,,,\n",
        "L000002,2026-02-02T10:00:00Z,form_submitted,X1,Zo\xe9,,,,,,,,\n",
    ],
    ids=["quoted-line-feed", "bare-carriage-return", "latin-1"],
)
def test_a_stretch_the_splitter_cannot_vouch_for_reads_the_file_as_one_stream(
    sample: tuple[dict[str, Any], Path, Path],
    awkward: str,
    tmp_path: Path,
    stretched: list[local._Read | None],
) -> None:
    """A quoted cell over two lines, a bare carriage return or bytes that are not UTF-8
    near the end of the file: the stretches' spill files are dropped and the file is read
    as one stream, whose reference row loop takes over there; the reference's bytes."""
    plan, events, _ = sample
    lines = events.read_bytes().splitlines(keepends=True)
    bad = awkward.encode("latin-1")
    path = tmp_path / "events.csv"
    path.write_bytes(b"".join(lines[:-5]) + bad + b"".join(lines[-5:]))
    expected = reference_json(plan, [str(path)])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with local.run(plan, [str(path)], budget=1, parts=3, jobs=2, spill_dir=str(scratch)) as done:
        assert render_report(done.report(), "json") == expected
        (directory,) = scratch.iterdir()
        left = [p.name for p in directory.iterdir() if not p.name.startswith(("part-", "out-"))]
        assert left == []  # the stretches' spill files and the workers' flag are gone
    assert stretched == [None]
    assert list(scratch.iterdir()) == []


def test_several_files_in_stretches_continue_one_input_order(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    """Two files (the second repeating event ids of the first, so input order decides which
    is dropped), each cut into stretches: the one-stream report."""
    plan, events, _ = sample
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    awkward_copy(events, first, every=41)
    second.write_text("".join([lines[0], *lines[len(lines) // 2 :]]), encoding="utf-8")
    paths = [str(first), str(second)]
    expected = reference_json(plan, paths)
    actual = whole_report(plan, paths, budget=1, parts=3, jobs=2)
    assert render_report(actual, "json") == expected


@pytest.mark.parametrize("budget", [1, None], ids=["partitioned", "in-memory"])
def test_spill_files_are_removed_after_a_worker_fails(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    budget: int | None,
) -> None:
    """A stretch that cannot be read (here its file is gone as the workers start) stops
    every worker (or the one reading an input that fits in memory); the input is read as
    one stream, which fails the run with the reference reader's one-line error; nothing
    is left behind."""
    plan, events, _ = sample
    path = tmp_path / "events.csv"
    shutil.copy(events, path)
    with pytest.raises(SlalangError) as expected:
        read_events([str(path.with_name("missing.csv"))], {}, [])
    mapped = local._Workers.map

    def gone_first(workers: local._Workers, function: Any, tasks: Any, *rest: Any) -> Any:
        if function is local._read_share:
            path.rename(path.with_name("moved.csv"))
        return mapped(workers, function, tasks, *rest)

    monkeypatch.setattr(local._Workers, "map", gone_first)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with (
        pytest.raises(SlalangError) as failed,
        local.run(plan, [str(path)], budget=budget, parts=3, jobs=2, spill_dir=str(scratch)),
    ):
        pass
    assert str(failed.value) == str(expected.value).replace("missing.csv", "events.csv")
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("damage", ["pages", "footer"])
@pytest.mark.parametrize(
    ("budget", "jobs"),
    [(1, 1), (1, 2), (None, 2)],
    ids=["one-stream", "partitioned", "in-memory"],
)
def test_a_damaged_parquet_file_fails_the_run_with_one_line(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    damage: str,
    budget: int | None,
    jobs: int,
) -> None:
    """A Parquet file of a directory whose data pages are damaged (found by the worker
    reading it) or that is no Parquet file at all (found when its row groups are counted)
    fails the run with the reader's one-line error naming it; nothing is left behind."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    plan, events, _ = sample
    table = pacsv.read_csv(events)
    folder = tmp_path / "export"
    folder.mkdir()
    half = table.num_rows // 2
    pq.write_table(table.slice(0, half), folder / "part-0.parquet", compression="none")
    damaged = folder / "part-1.parquet"
    pq.write_table(table.slice(half), damaged, compression="none")
    data = bytearray(damaged.read_bytes())
    if damage == "pages":  # the footer still reads: the damage is found by reading rows
        data[len(data) // 3 : len(data) // 3 + 200] = b"\xff" * 200
    else:
        data = bytearray(b"not a Parquet file")
    damaged.write_bytes(bytes(data))
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with (
        pytest.raises(SlalangError, match=r"export/part-1\.parquet: cannot read events: \S"),
        local.run(plan, [str(folder)], budget=budget, parts=3, jobs=jobs, spill_dir=str(scratch)),
    ):
        pass
    assert list(scratch.iterdir()) == []


def test_a_large_row_group_is_sampled_once_for_all_its_pieces(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lead ids sampled from the pieces of one row group are, together, every 64th id
    of the group from its first row (read in batches of 65,536 rows, so a sample crosses
    batches), each piece's own rows' ids, and the group is read once."""
    import pyarrow.parquet as pq

    plan = compile_program(load(ROOT / "policies" / "seed_funnel.sla"))
    rows = 150_000
    leads = [f"L{i:06d}" for i in range(rows)]
    table = pa.table(
        {
            "lead_id": leads,
            "timestamp": ["2026-02-02T10:00:00Z"] * rows,
            "event": ["page_view"] * rows,
        }
    )
    path = tmp_path / "one.parquet"
    pq.write_table(table, path, row_group_size=rows)
    reader = local._reader(plan, None, None, None)
    pieces = reader.stretches(str(path), 3)
    assert pieces is not None and len(pieces) == 3
    reads = []
    group_sample = reader._group_sample
    monkeypatch.setattr(reader, "_group_sample", lambda *a: reads.append(a[2]) or group_sample(*a))
    sampled = [reader.sample(piece, 1).to_pylist() for piece in pieces]
    assert reads == [0]
    assert [id for ids in sampled for id in ids] == leads[::64]
    for piece, ids in zip(pieces, sampled, strict=True):
        assert ids and all(piece.start < int(id[1:]) + 1 <= piece.end for id in ids)


def test_sampled_row_groups_are_spread_by_size() -> None:
    assert local._spread(4, [10] * 8) == [0, 1, 0, 1, 0, 1, 0, 1]
    assert local._spread(4, [0, 30, 0, 10]) == [0, 3, 0, 1]
    assert local._spread(4, [0, 0]) == [0, 0]
    assert sum(local._spread(4, [7, 1, 13, 2, 5])) == 4


# -- an input that fits in memory, read by a forked process ------------------------------------


def test_an_input_in_memory_is_read_aside_while_the_machine_code_loads(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
) -> None:
    """More than one job and an input within the budget: a forked process reads the file
    (one stretch, one spill file) while this one loads numba, the assembling loop and the
    kernel; the events come back as the ones in memory. The reference's bytes, with every
    rejection example's line, the zone assumed and the duplicates; nothing left behind."""
    plan, events, metrics = sample
    awkward = awkward_copy(events, tmp_path / "awkward.csv")
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(awkward)], metrics=values)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with local.run(plan, [str(awkward)], jobs=2, metrics=values, spill_dir=str(scratch)) as done:
        assert render_report(done.report(), "json") == expected
        assert len(done.parts) == 1  # replayed here, in memory: not partitioned
    (read,) = stretched
    assert read is not None and not read.spilled
    assert list(scratch.iterdir()) == []


def test_where_forking_is_unsafe_no_process_is_forked(
    sample: tuple[dict[str, Any], Path, Path],
    stretched: list[local._Read | None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On macOS a forked child can crash, so nothing is forked there: a large input's
    readers start afresh, one that fits in memory is read and replayed here (also past
    the size where forked workers would replay it), the reference engine's shards run
    here; the reports are the reference's bytes all the same."""
    from slalang import memory
    from slalang.evaluate import run as reference_run

    assert not memory.can_fork("darwin")
    assert memory.can_fork("linux") == ("fork" in multiprocessing.get_all_start_methods())
    monkeypatch.setattr(local, "FORK", False)
    monkeypatch.setattr(reference_run, "FORK", False)
    monkeypatch.setattr(local, "PARALLEL", 1)
    plan, events, metrics = sample
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(events)], metrics=values)
    assert reference_json(plan, [str(events)], metrics=values, jobs=2, shard=37) == expected
    with local.run(plan, [str(events)], jobs=2, metrics=values) as outcome:
        assert render_report(outcome.report(), "json") == expected
        assert len(outcome.parts) == 1  # replayed here, not in runs by forked workers
    assert stretched == []  # not read aside by a forked process
    with local.run(plan, [str(events)], jobs=2, metrics=values, budget=1, parts=4) as outcome:
        assert render_report(outcome.report(), "json") == expected
    assert stretched[0] is not None and stretched[0].workers.method != "fork"


@contextlib.contextmanager
def fed(pipe: Path, data: bytes) -> Iterator[None]:
    """The named pipe PIPE given DATA once, by a thread, while the block runs."""

    def write() -> None:
        with contextlib.suppress(BrokenPipeError):  # a reader that stopped early closed it
            pipe.write_bytes(data)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    try:
        yield
    finally:
        writer.join(timeout=30)
    assert not writer.is_alive(), "nothing read the pipe"


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
@pytest.mark.parametrize("budget", [1, None], ids=["partitioned", "in-memory"])
def test_a_named_pipe_is_read_once_as_one_stream(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
    budget: int | None,
    kind: str,
) -> None:
    """A named pipe can be read only once: nothing looks at its first bytes to tell what
    it is (Parquet, CSV to cut into stretches, JSON Lines), and the one read gives the
    reference's report."""
    import csv

    plan, events, metrics = sample
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(events)], metrics=values)
    data = events.read_bytes()
    if kind == "jsonl":
        with events.open(encoding="utf-8", newline="") as handle:
            rows = [{k: v for k, v in row.items() if v} for row in csv.DictReader(handle)]
        data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    pipe = tmp_path / "events.pipe"
    os.mkfifo(pipe)
    with (
        fed(pipe, data),
        local.run(plan, [str(pipe)], jobs=2, budget=budget, metrics=values) as outcome,
    ):
        assert render_report(outcome.report(), "json") == expected
    assert all(read is None for read in stretched)


def test_standard_input_is_read_even_beside_a_file_named_dash(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`-` is standard input, also where the working directory holds a file named `-`."""
    import io

    plan, events, metrics = sample
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(events)], metrics=values)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-").write_text("not,the,events\n", encoding="utf-8")
    stdin = io.BytesIO(events.read_bytes())
    with local.run(plan, ["-"], stdin=stdin, metrics=values) as outcome:
        assert render_report(outcome.report(), "json") == expected


def kept_files() -> set[str]:
    """The files standard input and named pipes are kept in (`api.keep_streams`) that are
    still there."""
    return {
        name
        for name in os.listdir(tempfile.gettempdir())
        if name.startswith(("slalang-stdin-", "slalang-pipe-"))
    }


def invoke_with(data: bytes, given: str, args: list[str]) -> Any:
    """`slalang ARGS` run while DATA is handed to the input GIVEN: standard input (`-`),
    or a named pipe (written by a thread)."""
    if given == "-":
        return CliRunner().invoke(cli, args, input=data)
    with fed(Path(given), data):
        return CliRunner().invoke(cli, args)


@pytest.mark.parametrize("packed", [False, True], ids=["csv", "gzip"])
@pytest.mark.parametrize("how", ["stdin", "pipe"])
def test_an_input_read_once_is_kept_in_a_file_and_read_by_the_workers(
    sample: tuple[dict[str, Any], Path, Path],
    versions: tuple[Policy, Policy],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stretched: list[local._Read | None],
    how: str,
    packed: bool,
) -> None:
    """`slalang evaluate policy -` and `slalang evaluate policy <(zcat events.csv.gz)`
    (a named pipe) keep the input in a temporary file: its size chooses the engine, and
    past the budget the workers read it in stretches (gzip unpacked first) into range
    partitions, as a file, where the reference replay would hold every event. The report
    is the reference engine's on the same input, to the byte (rejections naming `<stdin>`
    or the pipe, with their lines), in JSON and in HTML (whose stories are read again from
    the kept file), and a regular file's of the same bytes but for its name; `explain`
    reads it twice and `diff` once, as a file; the kept file is gone afterwards."""
    _, events, metrics = sample
    data = awkward_copy(events, tmp_path / "awkward.csv").read_bytes()
    data = gzip.compress(data) if packed else data
    plain = tmp_path / "events.plain"
    plain.write_bytes(data)
    given, shown = "-", "<stdin>"
    if how == "pipe":
        given = shown = str(tmp_path / "events.pipe")
        os.mkfifo(given)
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    before = kept_files()
    outputs: dict[tuple[str, str], str] = {}
    for engine in ("reference", "local"):
        if engine == "local":
            monkeypatch.setattr(choose, "SMALL", 0)  # the sample is small: run the local engine
            monkeypatch.setattr(local, "BUDGET", 1)  # and read it in stretches
        for form in ("json", "html"):
            common = ["--metrics", str(metrics), "--format", form, "--engine", engine]
            result = invoke_with(data, given, ["evaluate", policy, given, *common])
            assert result.exit_code == 1, result.output
            outputs[engine, form] = result.stdout
    assert outputs["local", "json"] == outputs["reference", "json"]
    assert outputs["local", "html"] == outputs["reference", "html"]
    examples = json.loads(outputs["local", "json"])["input"]["rejected_examples"]
    assert examples and {example["file"] for example in examples} == {shown}
    assert len(stretched) == 2 and all(read is not None and read.ordered for read in stretched)
    common = ["--metrics", str(metrics), "--format", "json", "--engine", "reference"]
    from_file = CliRunner().invoke(cli, ["evaluate", policy, str(plain), *common]).stdout
    assert from_file.replace(str(plain), shown) == outputs["local", "json"]
    lead = json.loads(outputs["local", "json"])["violations"][0]["lead_id"]
    told, diffs = {}, {}
    tight = str(tmp_path / "tight.sla")  # written by `versions`
    for engine, small in (("reference", 1 << 40), ("local", 0)):
        monkeypatch.setattr(choose, "SMALL", small)  # explain takes the engine of the size
        result = invoke_with(data, given, ["explain", policy, given, "--lead", lead])
        assert result.exit_code == 0, result.output
        told[engine] = result.stdout
        common = ["--metrics", str(metrics), "--engine", engine]
        result = invoke_with(data, given, ["diff", policy, tight, given, *common])
        assert result.exit_code == 1, result.output
        diffs[engine] = result.stdout
    assert told["local"] == told["reference"] and lead in told["local"]
    assert diffs["local"] == diffs["reference"] and "added" in diffs["local"]
    assert len(stretched) == 4 and stretched[-1] is not None  # explain's count, diff's read
    gc.collect()
    assert kept_files() == before


@pytest.mark.parametrize("how", ["stdin", "pipe"])
def test_a_kept_input_read_as_one_stream_is_read_as_a_file_is(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    """With one job, and for the worst leads' stories the HTML page embeds, the file
    standard input or a pipe was kept in is read as one stream in blocks, as a file is,
    never whole by the reference row loop (which would hold every event): the pages are
    the reference engine's."""
    from slalang.engine.reader import ColumnarReader

    _, events, metrics = sample
    data = events.read_bytes()
    given = "-"
    if how == "pipe":
        given = str(tmp_path / "events.pipe")
        os.mkfifo(given)
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    whole: list[str] = []
    reference = ColumnarReader._reference

    def spied(self: ColumnarReader, path: str, stream: Any) -> Iterator[Any]:
        whole.append(path)
        return reference(self, path, stream)

    monkeypatch.setattr(ColumnarReader, "_reference", spied)
    monkeypatch.setattr(local, "BUDGET", 1)  # partitioned, read as one stream by one job
    pages = {}
    for engine, small in (("reference", 1 << 40), ("local", 0)):
        monkeypatch.setattr(choose, "SMALL", small)
        common = ["--metrics", str(metrics), "--format", "html", "--jobs", "1", "--engine", engine]
        result = invoke_with(data, given, ["evaluate", policy, given, *common])
        assert result.exit_code == 1, result.output
        pages[engine] = result.stdout
    assert pages["local"] == pages["reference"]
    assert whole == []


@pytest.mark.parametrize("how", ["stdin", "pipe"])
def test_a_kept_input_is_gone_after_a_failed_run(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stretched: list[local._Read | None],
    how: str,
) -> None:
    """A run on a kept input that fails (`--strict` on rejected rows) says what the
    reference engine says, and the file the input was kept in is gone, even while the
    error's traceback is held (here by the test runner's result)."""
    _, events, metrics = sample
    data = awkward_copy(events, tmp_path / "awkward.csv").read_bytes()
    given, shown = "-", "<stdin>"
    if how == "pipe":
        given = shown = str(tmp_path / "events.pipe")
        os.mkfifo(given)
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    gc.collect()  # the kept files of runs before that nothing holds
    before = kept_files()
    monkeypatch.setattr(local, "BUDGET", 1)  # stretches, where the local engine runs
    results = {}
    for engine, small in (("reference", 1 << 40), ("local", 0)):
        monkeypatch.setattr(choose, "SMALL", small)
        common = ["--metrics", str(metrics), "--strict", "--engine", engine]
        results[engine] = invoke_with(data, given, ["evaluate", policy, given, *common])
        assert results[engine].exit_code == 2, results[engine].output
    assert results["local"].output == results["reference"].output
    assert shown in results["local"].output
    assert len(stretched) == 1 and stretched[0] is not None  # the kept file, cut
    assert kept_files() == before


def test_a_pipe_that_cannot_be_kept_is_one_line_naming_it(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pipe whose bytes cannot be kept (here: no temporary directory) is one line naming
    it and the directory, and no kept file is left."""
    _, events, metrics = sample
    data = b"".join(events.read_bytes().splitlines(keepends=True)[:20])  # fits the pipe
    pipe = tmp_path / "events.pipe"
    os.mkfifo(pipe)
    missing = tmp_path / "gone"
    monkeypatch.setattr(tempfile, "tempdir", str(missing))
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    with fed(pipe, data):
        result = CliRunner().invoke(cli, ["evaluate", policy, str(pipe), "--metrics", str(metrics)])
    assert result.exit_code == 2, result.output
    assert (
        result.output.strip()
        .splitlines()[-1]
        .endswith(f"cannot keep {pipe} in {missing}: No such file or directory")
    )
    assert not missing.exists()


@pytest.mark.parametrize("path", ["missing.csv", "/dev/zero"])
def test_an_input_that_is_no_pipe_is_not_kept(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
) -> None:
    """Only a named pipe is kept: a path that does not exist is the reader's one line on
    either engine, as ever, and a device is refused, never copied (`/dev/zero` never
    ends)."""
    _, _, metrics = sample
    monkeypatch.chdir(tmp_path)
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    before = kept_files()
    said = {}
    for engine, small in (("reference", 1 << 40), ("local", 0)):
        monkeypatch.setattr(choose, "SMALL", small)
        common = ["--metrics", str(metrics), "--engine", engine]
        result = CliRunner().invoke(cli, ["evaluate", policy, path, *common])
        assert result.exit_code == 2, result.output
        said[engine] = result.output
    assert said["local"] == said["reference"]
    reason = "no such file" if path == "missing.csv" else "not a file or a pipe"
    assert f"{path}: cannot read events: {reason}" in said["local"]
    assert kept_files() == before


_FORCED = """
import runpy, sys
from slalang.engine import choose, local
choose.SMALL = 0  # the sample is small: run the local engine
local.BUDGET = 1  # and read it in stretches
cut = local._read_stretches
def told(*args, **kwargs):
    read = cut(*args, **kwargs)
    print("stretches:", read is not None, file=sys.stderr)
    return read
local._read_stretches = told
runpy.run_module("slalang", run_name="__main__")
"""


@pytest.mark.skipif(shutil.which("bash") is None, reason="process substitution needs bash")
def test_process_substitution_is_kept_and_named_as_given(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    """`slalang evaluate policy <(cat events.csv)` from bash: the pipe `/dev/fd/N` is
    kept in a file under TMPDIR, read by the reference replay when small and in stretches
    by the local engine when not, and the report is `--engine reference`'s on the same
    pipe to the byte, its rejections naming `/dev/fd/N`; nothing is left in TMPDIR."""
    _, events, metrics = sample
    awkward = awkward_copy(events, tmp_path / "awkward.csv")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    common = [policy, "--metrics", str(metrics), "--format", "json", "--jobs", "2"]
    runs = {
        "reference": [
            sys.executable,
            "-m",
            "slalang",
            "evaluate",
            *common,
            "--engine",
            "reference",
        ],
        "small": [sys.executable, "-m", "slalang", "evaluate", *common],
        "local": [sys.executable, "-c", _FORCED, "evaluate", *common],
    }
    outputs = {}
    for name, command in runs.items():
        done = subprocess.run(
            ["bash", "-c", '"$@" <(cat "$EVENTS")', "bash", *command],
            env={**os.environ, "TMPDIR": str(scratch), "EVENTS": str(awkward)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 1, done.stderr[-2000:]
        assert ("stretches: True" in done.stderr) == (name == "local"), done.stderr[-2000:]
        outputs[name] = done.stdout
    assert outputs["small"] == outputs["reference"] == outputs["local"]
    examples = json.loads(outputs["local"])["input"]["rejected_examples"]
    assert examples and all(example["file"].startswith("/dev/fd/") for example in examples)
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("how", ["stdin", "gzip"])
def test_parquet_held_as_text_is_refused_by_both_engines(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    """Standard input and gzip hold CSV or JSON Lines, never Parquet: a Parquet file piped
    in, or gzipped, is the reference reader's one-line refusal on both engines, also once
    the local engine has kept or unpacked it into a file (a copy is never cut as Parquet)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    _, events, metrics = sample
    parquet = tmp_path / "events.parquet"
    pq.write_table(pacsv.read_csv(events), parquet)
    data = parquet.read_bytes()
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    if how == "gzip":
        path = tmp_path / "events.parquet.gz"
        path.write_bytes(gzip.compress(data))
        data, given = b"", str(path)
    else:
        given = "-"
    monkeypatch.setattr(local, "BUDGET", 1)  # the local engine's stretches, where it runs
    outputs = {}
    for engine, small in (("reference", 1 << 40), ("local", 0)):
        monkeypatch.setattr(choose, "SMALL", small)
        common = ["--metrics", str(metrics), "--engine", engine]
        result = CliRunner().invoke(cli, ["evaluate", policy, given, *common], input=data)
        assert result.exit_code == 2, result.output
        outputs[engine] = result.output
    assert "Parquet is not supported" in outputs["reference"]
    assert outputs["local"] == outputs["reference"]


@pytest.mark.parametrize("engine", ["local", "reference"])
def test_evaluate_reads_a_named_pipe(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, engine: str
) -> None:
    """`slalang evaluate policy <(zcat events.csv.gz)` hands over a pipe: choosing the
    engine does not open it (it used to read its first bytes to tell Parquet, and the
    read then waited for a writer that had gone), and the report is the file's, whether
    the pipe is read as it comes (`--engine reference`) or kept in a file first (a small
    one is then read by the reference replay)."""
    _, events, metrics = sample
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    common = ["--metrics", str(metrics), "--format", "json", "--engine", engine]
    from_file = CliRunner().invoke(cli, ["evaluate", policy, str(events), *common])
    pipe = tmp_path / "events.pipe"
    os.mkfifo(pipe)
    with fed(pipe, events.read_bytes()):
        from_pipe = CliRunner().invoke(cli, ["evaluate", policy, str(pipe), *common])
    assert from_file.exit_code == from_pipe.exit_code == 1, from_pipe.output
    assert from_pipe.stdout == from_file.stdout


@pytest.mark.parametrize("kind", ["gzip", "bare-carriage-return"])
def test_an_input_in_memory_not_read_aside_is_read_here(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
    kind: str,
) -> None:
    """A gzip file is read here as one stream; a file with a bare carriage return is
    dropped by the forked reader and read again here: the reference's bytes either way."""
    plan, events, _ = sample
    data = events.read_bytes()
    if kind == "gzip":
        path = tmp_path / "events.csv.gz"
        path.write_bytes(gzip.compress(data))
    else:
        lines = data.splitlines(keepends=True)
        path = tmp_path / "events.csv"
        bare = b"L000002,2026-02-02T10:00:00Z,form_submitted,X1,Zoe\rIto,,,,,,,,\n"
        path.write_bytes(b"".join(lines[:-5]) + bare + b"".join(lines[-5:]))
    expected = reference_json(plan, [str(path)])
    assert render_report(whole_report(plan, [str(path)], jobs=2), "json") == expected
    assert stretched == [None]


@pytest.mark.parametrize("name", ["events.csv.gz", "export.gz"])
def test_a_large_gzip_file_is_unpacked_and_read_by_the_workers(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
    name: str,
) -> None:
    """Past the budget, a gzip file is unpacked into the temporary directory and its copy
    read in stretches by every worker, into range partitions: the report is the one the
    file gives read as one stream (rejections naming it, with their lines, the zone
    assumed, duplicates), and the copy is gone once read. A name without `.csv` leaves the
    format to the first bytes, as ever."""
    plan, events, metrics = sample
    awkward = awkward_copy(events, tmp_path / "awkward.csv")
    path = tmp_path / name
    path.write_bytes(gzip.compress(awkward.read_bytes()))
    values = read_metrics(str(metrics))
    expected = reference_json(plan, [str(path)], metrics=values)
    report = json.loads(expected)["input"]
    assert {example["file"] for example in report["rejected_examples"]} == {str(path)}
    assert report["timezone_assumed"] and report["duplicates"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    copies: list[str | None] = []
    unpack = local._unpacked

    def unpacked(path: str, copy: Path, *counted: Any) -> str | None:
        copies.append(unpack(path, copy, *counted))
        return copies[-1]

    options = {"metrics": values, "budget": 1, "parts": 3, "spill_dir": str(scratch)}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(local, "_unpacked", unpacked)
        with local.run(plan, [str(path)], jobs=2, **options) as outcome:
            assert render_report(outcome.report(), "json") == expected
            (copy,) = copies
            assert copy is not None and Path(copy).parent.parent.parent == scratch
            assert Path(copy).parent.parent.exists()  # the run's temporary directory
            assert not Path(copy).parent.exists()  # the copies, removed once read
    assert stretched and stretched[0] is not None and stretched[0].ordered
    assert list(scratch.iterdir()) == []


def test_a_gzip_file_that_cannot_be_unpacked_is_read_as_one_stream(
    sample: tuple[dict[str, Any], Path, Path],
    tmp_path: Path,
    stretched: list[local._Read | None],
) -> None:
    """A gzip file cut short: unpacking it stops where it ends, nothing is kept, and one
    stream reads it as the reference reader does (its rows up to the cut, then its
    error); likewise for a mapping that reads the file in another encoding, which is
    never unpacked."""
    plan, events, _ = sample
    path = tmp_path / "events.csv.gz"
    data = gzip.compress(events.read_bytes())
    path.write_bytes(data[: len(data) * 2 // 3])
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    with pytest.raises(SlalangError) as expected:
        reference_json(plan, [str(path)])
    with (
        pytest.raises(SlalangError) as failed,
        local.run(plan, [str(path)], budget=1, parts=3, jobs=2, spill_dir=str(scratch)),
    ):
        pass
    assert str(failed.value) == str(expected.value)
    assert stretched == [None]
    assert list(scratch.iterdir()) == []
    path.write_bytes(gzip.compress(events.read_bytes().replace(b"Zoe", b"Zo\xe9")))
    mapping = tmp_path / "mapping.yml"
    mapping.write_text("encoding: latin-1\n", encoding="utf-8")
    latin = load_mapping(str(mapping))
    expected_report = reference_json(plan, [str(path)], mapping=latin)
    options = {"budget": 1, "parts": 3, "jobs": 2, "mapping": latin}
    assert render_report(whole_report(plan, [str(path)], **options), "json") == expected_report
    assert stretched[1] is None


PANDAS = importlib.util.find_spec("pandas") is not None
"""Arrow imports pandas only where it is installed (the Spark extra brings it)."""

_WORKER_PROBE = """
import sys
import pyarrow as pa
from slalang.engine import local

def probe(_: int) -> bool:
    pa.array([1, None]).to_numpy(zero_copy_only=False)  # Arrow would import pandas here
    return "pandas" in sys.modules

if __name__ == "__main__":
    for method in ("fork", "forkserver"):
        workers = local._Workers(2, method)
        print(workers.map(probe, [0, 1]))
        workers.close()
    pa.array([1, None]).to_numpy(zero_copy_only=False)
    print("pandas" in sys.modules)
"""


@pytest.mark.skipif(not PANDAS, reason="pandas is not installed: Arrow has none to import")
def test_the_command_and_the_engines_workers_do_not_import_pandas(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    """Arrow imports pandas (half a second) the first time a process converts Python
    objects; the engine never hands it pandas objects. The `slalang` command's process and
    the one reading aside import none, and its report is the reference's; the workers of
    a program using the library import none, while the program itself keeps pandas."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    plan, events, metrics = sample
    parquet = tmp_path / "events.parquet"  # the local engine's, however small
    pq.write_table(pacsv.read_csv(events), parquet)
    out = tmp_path / "report.json"
    command = [sys.executable, "-X", "importtime", "-m", "slalang", "evaluate"]
    options = ["--metrics", str(metrics), "--engine", "local", "--jobs", "2"]
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    done = subprocess.run(
        [*command, policy, str(parquet), *options, "--format", "json", "-o", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-2000:]  # the sample has violations
    assert not re.search(r"\|\s+pandas\.", done.stderr)  # -X importtime lists every import
    expected = reference_json(plan, [str(events)], metrics=read_metrics(str(metrics)))
    assert out.read_text(encoding="utf-8") == expected
    probe = tmp_path / "probe.py"  # a file: a forkserver's workers import its functions
    probe.write_text(_WORKER_PROBE, encoding="utf-8")
    library = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, text=True, check=False
    )
    assert library.stdout.split("\n") == ["[False, False]", "[False, False]", "True", ""], (
        library.stderr[-2000:]
    )


JEMALLOC = "jemalloc" in pa.supported_memory_backends()

_POOL_PROBE = """
import os
import pyarrow as pa
from slalang.engine import local

def backend(_: int) -> str:
    return pa.default_memory_pool().backend_name

if __name__ == "__main__":
    print(backend(0))
    with local.jemalloc():
        print(backend(0))
        forked = local._Workers(1, "fork")
        print(forked.map(backend, [0])[0])
        forked.close()
    print(backend(0))
    spawned = local._Workers(1, "spawn")
    print(spawned.map(backend, [0])[0])
    spawned.close()
"""


@pytest.mark.skipif(not JEMALLOC, reason="this pyarrow is built without jemalloc")
@pytest.mark.parametrize("chosen", [None, "system"])
def test_a_run_allocates_on_jemalloc_unless_the_user_chose_a_pool(
    tmp_path: Path, chosen: str | None
) -> None:
    """A run's reads and replays allocate on jemalloc, in its own process (the program's
    pool back afterwards) and in every worker, forked or started afresh; a pool the user
    chose with ARROW_DEFAULT_MEMORY_POOL is left as it is everywhere."""
    probe = tmp_path / "probe.py"  # a file: a spawned worker imports its functions
    probe.write_text(_POOL_PROBE, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    if chosen:
        env["ARROW_DEFAULT_MEMORY_POOL"] = chosen
    done = subprocess.run(
        [sys.executable, str(probe)], capture_output=True, text=True, check=False, env=env
    )
    before, *rest = done.stdout.split("\n")
    during = chosen or "jemalloc"
    assert before == (chosen or "mimalloc"), done.stderr  # pyarrow's default, or the user's
    assert rest == [during, during, before, during, ""], done.stderr


class _Heard:
    """A progress that keeps what it is told: (unit, done, total) of every count."""

    def __init__(self) -> None:
        self.unit = ""
        self.heard: list[tuple[str, int, int]] = []

    def counting(self, unit: str) -> None:
        self.unit = unit

    def __call__(self, done: int, total: int) -> None:
        self.heard.append((self.unit, done, total))

    def counts(self) -> dict[str, list[tuple[int, int]]]:
        """Each unit's counts, in the order the units were first counted."""
        found: dict[str, list[tuple[int, int]]] = {}
        for unit, done, total in self.heard:
            found.setdefault(unit, []).append((done, total))
        return found


@pytest.mark.parametrize(
    ("options", "parts"),
    [
        ({"budget": 1, "parts": 3, "jobs": 2}, 3),  # stretches read by the workers
        ({"budget": 1, "parts": 3, "jobs": 1}, 3),  # one stream, by ranges
        ({"jobs": 2}, 1),  # in memory, read aside
        ({"jobs": 1}, 1),  # in memory, read here
    ],
    ids=["stretches", "one-stream", "aside", "in-memory"],
)
def test_a_run_tells_its_progress_in_bytes_read_then_parts_replayed(
    sample: tuple[dict[str, Any], Path, Path], options: dict[str, Any], parts: int
) -> None:
    """However the input is read, the run counts the bytes of it read (up to about the
    file's size: the header is not counted by every reader), then the parts of the leads
    replayed; each count only goes up and ends done, and the report is the one made
    without anyone listening."""
    plan, events, _ = sample
    heard = _Heard()
    report = whole_report(plan, [str(events)], progress=heard, **options)
    assert report == whole_report(plan, [str(events)], **options)
    counts = heard.counts()
    assert list(counts) == ["bytes", "parts"], heard.heard
    size = events.stat().st_size
    for unit, expected in (("bytes", None), ("parts", parts)):
        done = [d for d, _ in counts[unit]]
        totals = {t for _, t in counts[unit]}
        assert len(totals) == 1, (unit, counts[unit])
        [total] = totals
        assert done == sorted(done) and done[0] >= 0 and done[-1] == total, (unit, done)
        if expected is None:
            assert size - 200 < total <= size
        else:
            assert total == expected


def _compressed(events: Path, folder: Path, form: str) -> Path:
    """The sample 80 times over (160K rows: more than a Parquet batch of 131,072 rows, and
    12 MB of text), its lead ids suffixed, as a gzip file or a Parquet file of one row group."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    head, *body = events.read_text(encoding="utf-8").splitlines(keepends=True)
    rows = [line.split(",", 1) for line in body]
    text = head + "".join(f"{lead}~{k},{rest}" for k in range(80) for lead, rest in rows)
    if form == "gzip":
        path = folder / "events.csv.gz"
        path.write_bytes(gzip.compress(text.encode(), compresslevel=1))
        return path
    plain = folder / "events.csv"
    plain.write_text(text, encoding="utf-8")
    names = dict.fromkeys(head.strip().split(","), pa.string())
    table = pacsv.read_csv(plain, convert_options=pacsv.ConvertOptions(column_types=names))
    path = folder / "events.parquet"
    pq.write_table(table, path, row_group_size=table.num_rows)
    return path


@pytest.mark.parametrize("form", ["gzip", "parquet"])
def test_one_stream_counts_a_compressed_input_in_its_bytes_as_stored(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, form: str
) -> None:
    """Read as one stream, a gzip file's progress is its compressed bytes read, and a
    Parquet file's its share of the file by the rows read: each rises block by block or
    batch by batch up to the file's size. They used to be counted in text against a guess
    at its size (six or five times the file), and Parquet not at all until the end."""
    plan, events, _ = sample
    path = _compressed(events, tmp_path, form)
    reader = local._reader(plan, None, None, None)
    reader.block = 1 << 20  # 12 blocks of text
    taken = [reader.taken for _ in reader.read([str(path)])]
    assert taken == sorted(taken) and taken[-1] == path.stat().st_size
    assert len({n for n in taken if 0 < n < path.stat().st_size}) >= 1, taken


@pytest.mark.parametrize(
    ("form", "jobs"),
    [("gzip", 1), ("parquet", 1), ("parquet", 2)],
    ids=["gzip-one-stream", "parquet-one-stream", "parquet-pieces"],
)
def test_a_run_counts_the_bytes_of_a_compressed_input_as_stored(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, form: str, jobs: int
) -> None:
    """A run's count of bytes read goes to the gzip or Parquet file's size, read as one
    stream or in pieces by the workers (whose shares of the file add up to it)."""
    plan, events, _ = sample
    path = _compressed(events, tmp_path, form)
    heard = _Heard()
    whole_report(plan, [str(path)], progress=heard, budget=1, parts=2, jobs=jobs)
    counted = heard.counts()["bytes"]
    done = [d for d, _ in counted]
    assert {t for _, t in counted} == {path.stat().st_size}
    assert done == sorted(done) and done[0] == 0 and done[-1] == path.stat().st_size


_PROGRESS_RUN = """
import sys
from slalang import cli
from slalang.engine import choose, local

choose.SMALL = 0  # the sample is small: run the columnar engine
local.BUDGET = 1 << 16  # and partition it, read by the workers
sys.argv = ["slalang", *sys.argv[1:]]
cli.main()
"""


def _progress_shown(arguments: list[str], terminal: bool) -> str:
    """What `slalang ARGUMENTS` (the columnar engine run on any input, partitioned past a
    small budget) writes on its standard error, a terminal or a pipe."""
    import pty

    command = [sys.executable, "-c", _PROGRESS_RUN, *arguments]
    if not terminal:
        run = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
        assert run.returncode in (0, 1), run.stderr
        return run.stderr
    main, side = pty.openpty()
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=side, cwd=ROOT
    )
    os.close(side)
    shown = b""
    with contextlib.suppress(OSError):  # the terminal's side is closed once the run ends
        while data := os.read(main, 1 << 16):
            shown += data
    os.close(main)
    assert process.wait() in (0, 1), shown
    return shown.decode("utf-8")


@pytest.mark.parametrize("engine", ["local", "reference"])
def test_a_long_run_shows_its_progress_on_a_terminal_only(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path, engine: str
) -> None:
    """On a terminal, each count is one line rewritten in place and ended when it is
    done; in a pipe or a log, nothing of it."""
    _, events, metrics = sample
    out = tmp_path / "report.json"
    arguments = _evaluate_json(events, metrics, engine, out)
    shown = _progress_shown(arguments, terminal=True)
    lines = [line for line in shown.split("\r\n") if line.startswith("\r")]
    if engine == "local":
        read, replayed = lines
        assert re.fullmatch(r"(\rread \d+ of 1 MB of events)+", read), shown
        assert read.endswith("\rread 1 of 1 MB of events")
        assert re.fullmatch(r"(\rreplayed \d+ of (\d+) parts of the leads)+", replayed), shown
        last = replayed.rsplit("\r", 1)[1].split()
        assert last[1] == last[3] and int(last[1]) > 1, replayed  # every part, and several
    else:
        [replayed] = lines
        assert replayed.endswith("\rreplayed 400 of 400 leads"), shown
    assert "wrote" in shown
    quiet = _progress_shown(arguments, terminal=False)
    assert "\r" not in quiet and "replayed" not in quiet and "read " not in quiet
    assert "wrote" in quiet


def test_a_gzip_file_unpacked_for_the_workers_counts_its_unpacking_first(
    sample: tuple[dict[str, Any], Path, Path], tmp_path: Path
) -> None:
    """A gzip file read by the workers is unpacked first, which takes a while on a large
    one (30 s for 100M events): that is counted too, in the gzip file's bytes, before the
    bytes of its text read and the parts replayed; through the API and on a terminal."""
    plan, events, metrics = sample
    packed = _compressed(events, tmp_path, "gzip")
    heard = _Heard()
    whole_report(plan, [str(packed)], progress=heard, budget=1, parts=2, jobs=2)
    counts = heard.counts()
    assert list(counts) == ["unpacked", "bytes", "parts"], heard.heard
    done = [d for d, _ in counts["unpacked"]]
    assert {t for _, t in counts["unpacked"]} == {packed.stat().st_size}
    assert done == sorted(done) and done[-1] == packed.stat().st_size
    assert any(0 < d < packed.stat().st_size for d in done), done  # a megabyte at a time
    text = len(gzip.decompress(packed.read_bytes())) - len(events.read_bytes().split(b"\n")[0])
    assert text - 2 <= counts["bytes"][-1][1] <= text + 2  # the text after the header
    small = tmp_path / "small.csv.gz"
    small.write_bytes(gzip.compress(events.read_bytes()))
    shown = _progress_shown(_evaluate_json(small, metrics, "local", tmp_path / "r.json"), True)
    unpacking, read, _ = [line for line in shown.split("\r\n") if line.startswith("\r")]
    assert re.fullmatch(r"(\runpacked \d+ of 1 MB of gzip input)+", unpacking), shown
    assert unpacking.endswith("\runpacked 1 of 1 MB of gzip input")
    assert read.endswith("\rread 1 of 1 MB of events"), shown


@pytest.mark.parametrize(
    ("command", "counted"),
    [
        (["data", "check"], "counted"),
        (["diff", str(ROOT / "policies" / "seed_funnel.sla")], "replayed"),
    ],
    ids=["data-check", "diff"],
)
def test_data_check_and_diff_show_their_progress_on_a_terminal(
    sample: tuple[dict[str, Any], Path, Path], command: list[str], counted: str
) -> None:
    """The other commands that read a whole export show the same two counts."""
    _, events, _ = sample
    policy = str(ROOT / "policies" / "seed_funnel.sla")
    shown = _progress_shown([*command, policy, str(events), "--jobs", "2"], terminal=True)
    read, parts = [line for line in shown.split("\r\n") if line.startswith("\r")]
    assert read.endswith("\rread 1 of 1 MB of events"), shown
    last = parts.rsplit("\r", 1)[1].split()
    assert last[0] == counted and last[1] == last[3] and int(last[1]) > 1, shown


def test_a_count_told_again_once_done_is_not_shown_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The readers' tallies can reach their total before the run's process knows they
    are done: the count's last line is written once; a new count starts a line of its
    own, even one that reads the same."""
    from slalang.commands.common import Shown

    shown = Shown("bytes")
    for done, total in [(0, 1_500_000), (1_500_000, 1_500_000), (1_500_000, 1_500_000)]:
        shown(done, total)
    shown.counting("parts")
    for done, total in [(0, 1), (1, 1), (1, 1)]:
        shown(done, total)
    shown.counting("parts")  # the partitions replayed again, at the real as-of
    shown(1, 1)
    assert capsys.readouterr().err == (
        "\rread 0 of 2 MB of events\rread 2 of 2 MB of events\n"
        "\rreplayed 0 of 1 parts of the leads\rreplayed 1 of 1 parts of the leads\n"
        "\rreplayed 1 of 1 parts of the leads\n"
    )


def _sigterm_handled(_: int) -> bool:
    return signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL


def test_a_worker_ends_at_once_on_sigterm_whatever_handler_it_was_forked_with() -> None:
    """The command line handles SIGTERM by passing it to the workers and ending the run as
    Ctrl-C does (tests/cli/test_terminate.py); a forked worker must not inherit that
    handler, which would wait for its native step (a parse, the kernel) to end, or print
    a traceback when idle: it holds nothing to clean up."""
    previous = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        workers = local._Workers(1, "fork")
        try:
            assert workers.map(_sigterm_handled, [0]) == [False]
        finally:
            workers.close()
    finally:
        signal.signal(signal.SIGTERM, previous)
