"""`--engine spark` against the local engine: the same inputs give the same report bytes.

Spark runs in local mode (`local[2]`), started once for the module. Every conformance case,
the bundled sample (as CSV, and as a directory of Parquet files with leads spread over
several files), a table in Spark's catalog, and inputs full of rejected rows are evaluated
both ways and the JSON reports compared byte for byte.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from slalang.data import read_events, read_metrics
from slalang.data.mapping import load_mapping
from slalang.diagnostics import SlalangError
from slalang.engine.local import run as run_local
from slalang.evaluate.run import Span, evaluate, field_specs
from slalang.load import load
from slalang.plan import compile_program
from slalang.render.report import render_report
from tests.conformance.test_conformance import CASES, _instant, run_case

if os.environ.get("CI"):  # CI installs the extra: a missing PySpark is a failure there
    import pyspark  # noqa: F401
pytest.importorskip("pyspark")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

pytestmark = pytest.mark.spark

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "samples" / "seed_funnel"


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    from slalang.spark import session

    spark = session("local[2]")
    spark.conf.set("spark.sql.shuffle.partitions", "4")
    yield spark
    spark.stop()


def _json(report: dict[str, Any]) -> str:
    return render_report(report, "json")


def _plan(path: Path) -> dict[str, Any]:
    return compile_program(load(path))


def _local(plan: dict[str, Any], paths: list[str], **options: Any) -> dict[str, Any]:
    mapping = options.pop("mapping", None)
    as_of = options.get("as_of")
    log = read_events(
        paths,
        field_specs(plan),
        plan["events"],
        mapping=mapping,
        as_of=None if as_of is None else datetime.fromtimestamp(as_of).astimezone(),
        default_timezone=plan["policy"]["timezone"],
    )
    return evaluate(plan, log, **options)


def _spark(spark: Any, plan: dict[str, Any], paths: list[str], **options: Any) -> dict[str, Any]:
    from slalang.spark import evaluate_on_spark

    return evaluate_on_spark(plan, paths, spark=spark, **options).report


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_conformance_case_same_bytes(spark: Any, path: Path, tmp_path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    local = run_case(case, tmp_path)
    plan = _plan(tmp_path / "policy.sla")
    metrics_path = tmp_path / "metrics.csv"
    metrics = read_metrics(metrics_path) if metrics_path.exists() else None
    report = _spark(
        spark,
        plan,
        [str(tmp_path / "events.jsonl")],
        as_of=_instant(case.get("as_of")),
        span=Span(_instant(case.get("from")), _instant(case.get("to"))),
        metrics=metrics,
    )
    assert _json(report) == _json(local)


@pytest.fixture(scope="module")
def sample_plan() -> dict[str, Any]:
    return _plan(ROOT / "policies" / "seed_funnel.sla")


@pytest.fixture(scope="module")
def sample_local(sample_plan: dict[str, Any]) -> dict[str, Any]:
    metrics = read_metrics(SAMPLE / "metrics.csv")
    return _local(sample_plan, [str(SAMPLE / "events.csv")], metrics=metrics)


def test_bundled_sample_same_bytes(
    spark: Any, sample_plan: dict[str, Any], sample_local: dict[str, Any]
) -> None:
    metrics = read_metrics(SAMPLE / "metrics.csv")
    report = _spark(spark, sample_plan, [str(SAMPLE / "events.csv")], metrics=metrics)
    assert report["input"]["events"] > 1000
    assert _json(report) == _json(sample_local)


def _typed_sample() -> Any:
    """The sample as a typed table: instants as timestamps, sizes and amounts as numbers."""
    with (SAMPLE / "events.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns: dict[str, Any] = {name: [row[name] or None for row in rows] for name in rows[0]}
    columns["timestamp"] = pa.array(
        [datetime.fromisoformat(t.replace("Z", "+00:00")) for t in columns["timestamp"]],
        pa.timestamp("s", tz="UTC"),
    )
    for name in ("company_size", "amount"):
        columns[name] = pa.array([None if v is None else float(v) for v in columns[name]])
    return pa.table(columns)


def test_parquet_directory_with_leads_over_several_files(
    spark: Any, sample_plan: dict[str, Any], sample_local: dict[str, Any], tmp_path: Path
) -> None:
    table = _typed_sample()
    folder = tmp_path / "events"
    folder.mkdir()
    third = table.num_rows // 3
    for index, start in enumerate((0, third, 2 * third)):
        end = table.num_rows if index == 2 else start + third
        pq.write_table(table.slice(start, end - start), folder / f"part-{index}.parquet")
    leads = [set(pq.read_table(p).column("lead_id").to_pylist()) for p in folder.iterdir()]
    assert leads[0] & leads[1], "a lead must be spread over two files"
    metrics = read_metrics(SAMPLE / "metrics.csv")
    report = _spark(spark, sample_plan, [str(folder)], metrics=metrics)
    assert _json(report) == _json(sample_local)


def test_events_table(
    spark: Any, sample_plan: dict[str, Any], sample_local: dict[str, Any], tmp_path: Path
) -> None:
    from slalang.spark import evaluate_on_spark

    path = tmp_path / "events.parquet"
    pq.write_table(_typed_sample(), path)
    spark.read.parquet(str(path)).createOrReplaceTempView("crm_events")
    metrics = read_metrics(SAMPLE / "metrics.csv")
    run = evaluate_on_spark(sample_plan, [], tables=["crm_events"], spark=spark, metrics=metrics)
    assert _json(run.report) == _json(sample_local)


def test_table_without_files_takes_ties_in_the_order_of_its_values(
    spark: Any, sample_plan: dict[str, Any], tmp_path: Path
) -> None:
    """A table with no files (a view over in-memory rows here) has no order of its own: its
    rows are taken in the order of their values, column by column, whatever order and
    partitioning Spark holds them in. A second row with a lead's first event id at the same
    instant makes the order show: the row first in that order is the one kept."""
    table = _typed_sample()
    first = table.slice(0, 1).to_pylist()[0]
    rows = [*table.to_pylist(), {**first, "event": "closed_won"}]
    # column by column, nulls first (str order is code-point order, as Spark's)
    rows.sort(key=lambda row: [(row[c] is not None, row[c]) for c in table.column_names])
    ordered = pa.Table.from_pylist(rows, schema=table.schema)
    backwards = ordered.take(pa.array(range(ordered.num_rows - 1, -1, -1)))
    pq.write_table(ordered, tmp_path / "ordered.parquet")
    pq.write_table(backwards, tmp_path / "backwards.parquet")
    expected = _columnar(sample_plan, tmp_path / "ordered.parquet")
    reversed_order = _columnar(sample_plan, tmp_path / "backwards.parquet")
    assert _json(reversed_order) != _json(expected), "the tie must change the report"
    for name, frame in (
        ("crm_rows_backwards", spark.createDataFrame(backwards).repartition(3)),
        ("crm_rows_one_part", spark.createDataFrame(backwards).coalesce(1)),
        ("crm_rows_ordered", spark.createDataFrame(ordered).repartition(5)),
    ):
        frame.createOrReplaceTempView(name)
        run = _spark_tables(spark, sample_plan, [name])
        assert _json(run) == _json(expected), name


def _columnar(plan: dict[str, Any], path: Path) -> dict[str, Any]:
    """The local engine's report (the one that reads Parquet)."""
    with run_local(plan, [str(path)]) as outcome:
        return outcome.report()


def _spark_tables(spark: Any, plan: dict[str, Any], tables: list[str]) -> dict[str, Any]:
    from slalang.spark import evaluate_on_spark

    return evaluate_on_spark(plan, [], tables=tables, spark=spark).report


BAD_ROWS = """\
lead_id,timestamp,event,event_id,company_size
L1,2026-01-05T14:00:00Z,form_submitted,E1,12
L1,2026-01-05T14:00:00Z,form_submitted,E1,12
,2026-01-05T14:00:00Z,form_submitted,E2,1
L2,yesterday,form_submitted,E3,1
L2,2026-01-05T15:00:00Z,,E4,1
L2,2026-01-05T15:00:00Z,carrier_pigeon,E5,1
L2,2026-01-05T15:00:00Z,form_submitted,E6,twelve
L3,2026-01-05T16:00:00Z,form_submitted
L3,2026-01-05 16:00:00,form_submitted,E8,3
L3,"2026-01-06T09:00:00Z",page_view,"E9",3
"""


def test_rejected_rows_counted_the_same(
    spark: Any, sample_plan: dict[str, Any], tmp_path: Path
) -> None:
    """Every rejection reason, a duplicate, an unknown type; and more rejected rows than the
    report shows, over several files read by different tasks, so the examples kept must be
    the first in input order."""
    paths = []
    for index in range(3):
        path = tmp_path / f"export-{index}.csv"
        path.write_text(BAD_ROWS.replace("L", f"F{index}L") * 4, encoding="utf-8")
        paths.append(str(path))
    local = _local(sample_plan, paths)
    report = _spark(spark, sample_plan, paths)
    assert sum(report["input"]["rejected"].values()) > 20
    assert report["input"]["duplicates"] > 0
    assert report["input"]["unknown_events"] == {"carrier_pigeon": 12}
    assert _json(report) == _json(local)


def test_wide_export_with_a_mapping(
    spark: Any, sample_plan: dict[str, Any], tmp_path: Path
) -> None:
    (tmp_path / "map.yaml").write_text(
        "columns: {lead_id: Id, event_id: Id}\n"
        "timezone: America/New_York\n"
        "date_columns: {Created: form_submitted, Opened: page_view}\n",
        encoding="utf-8",
    )
    path = tmp_path / "wide.csv"
    path.write_text(
        "Id,Created,Opened\nA,2026-01-05 09:00,2026-01-05 09:00\nB,2026-01-06 10:00,\nC,,\n",
        encoding="utf-8",
    )
    mapping = load_mapping(tmp_path / "map.yaml")
    local = _local(sample_plan, [str(path)], mapping=mapping)
    report = _spark(spark, sample_plan, [str(path)], mapping=mapping)
    assert report["input"]["expanded"] == 1
    assert _json(report) == _json(local)


def test_an_export_that_cannot_work_is_one_error(
    spark: Any, sample_plan: dict[str, Any], tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("lead,when,what\nL1,2026-01-05T14:00:00Z,form_submitted\n", encoding="utf-8")
    with pytest.raises(SlalangError, match=r"events.csv: missing columns `lead_id`"):
        _spark(spark, sample_plan, [str(path)])
    with pytest.raises(SlalangError, match=r"nowhere.csv: cannot read events"):
        _spark(spark, sample_plan, [str(tmp_path / "nowhere.csv")])


def test_as_of_from_the_command_line(
    spark: Any, sample_plan: dict[str, Any], tmp_path: Path
) -> None:
    cut = _instant("2026-02-01T00:00:00Z")
    paths = [str(SAMPLE / "events.csv")]
    local = _local(sample_plan, paths, as_of=cut)
    report = _spark(spark, sample_plan, paths, as_of=cut)
    assert report["input"]["after_as_of"] > 0
    assert _json(report) == _json(local)


def test_command_line_engine_spark(spark: Any, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from slalang.cli import cli

    arguments = [
        "evaluate",
        str(ROOT / "policies" / "seed_funnel.sla"),
        str(SAMPLE / "events.csv"),
        "--metrics",
        str(SAMPLE / "metrics.csv"),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]
    local = CliRunner().invoke(cli, arguments)
    on_spark = CliRunner().invoke(cli, [*arguments, "--engine", "spark"])
    assert local.exit_code == on_spark.exit_code == 0, on_spark.output
    assert on_spark.stdout == local.stdout


def test_the_html_page_embeds_the_timelines_the_reference_engine_does(
    spark: Any, tmp_path: Path
) -> None:
    """Spark keeps no events: the worst leads' are read again from the (local) input."""
    from click.testing import CliRunner

    from slalang.cli import cli

    pages = {}
    for engine in ("reference", "spark"):
        out = tmp_path / f"{engine}.html"
        arguments = ["evaluate", str(ROOT / "policies" / "seed_funnel.sla")]
        arguments += [str(SAMPLE / "events.csv"), "--metrics", str(SAMPLE / "metrics.csv")]
        arguments += ["--format", "html", "--engine", engine, "-o", str(out)]
        result = CliRunner().invoke(cli, arguments)
        assert result.exit_code == 1, result.output
        pages[engine] = out.read_bytes()
    assert pages["spark"] == pages["reference"]
    assert pages["spark"].count(b'<template id="timeline-') > 10


def test_a_directory_of_files_gets_the_timelines_of_its_files(spark: Any, tmp_path: Path) -> None:
    """A directory Spark reads (CSV part files beside the marker files Spark writes, which
    it skips): the worst leads are read again from the files it listed, named as a local
    run names them, so the page tells the stories the reference engine tells from those
    files."""
    import re

    from click.testing import CliRunner

    from slalang.cli import cli

    header, *rows = (SAMPLE / "events.csv").read_text(encoding="utf-8").splitlines(True)
    folder = tmp_path / "events"
    folder.mkdir()
    third = len(rows) // 3
    for index, start in enumerate((0, third, 2 * third)):
        end = len(rows) if index == 2 else start + third
        (folder / f"part-{index}.csv").write_text(header + "".join(rows[start:end]), "utf-8")
    (folder / "_SUCCESS").write_text("")
    (folder / ".part-0.csv.crc").write_text("not events")
    files = [str(folder / f"part-{index}.csv") for index in range(3)]
    pages = {}
    for engine, inputs in (("reference", files), ("spark", [str(folder)])):
        out = tmp_path / f"{engine}.html"
        arguments = ["evaluate", str(ROOT / "policies" / "seed_funnel.sla"), *inputs]
        arguments += ["--metrics", str(SAMPLE / "metrics.csv")]
        arguments += ["--format", "html", "--engine", engine, "-o", str(out)]
        result = CliRunner().invoke(cli, arguments)
        assert result.exit_code == 1, result.output
        pages[engine] = out.read_text(encoding="utf-8")
    stories = {
        engine: re.findall(r'<template id="timeline-.*?</template>', page, re.S)
        for engine, page in pages.items()
    }
    assert len(stories["spark"]) > 10
    assert stories["spark"] == stories["reference"]
    assert "part-2.csv" in "".join(stories["spark"])


def test_respelt_columns_read_the_same_as_locally(
    spark: Any, sample_plan: dict[str, Any], sample_local: dict[str, Any], tmp_path: Path
) -> None:
    """Header matching on Spark: a CSV read whole by a task and a typed Parquet frame, both
    with respelt column names, give the canonical sample's bytes and say the loose columns."""
    from slalang.spark import evaluate_on_spark

    text = (SAMPLE / "events.csv").read_text(encoding="utf-8")
    head, rest = text.split("\n", 1)
    csv_path = tmp_path / "events.csv"
    csv_path.write_text(head.replace("lead_id", "Lead ID") + "\n" + rest, encoding="utf-8")
    table = _typed_sample()
    parquet_path = tmp_path / "events.parquet"
    pq.write_table(
        table.rename_columns(
            [n.replace("company_size", "Company-Size") for n in table.column_names]
        ),
        parquet_path,
    )
    metrics = read_metrics(SAMPLE / "metrics.csv")
    for path, pair in (
        (csv_path, ("lead_id", "Lead ID")),
        (parquet_path, ("company_size", "Company-Size")),
    ):
        run = evaluate_on_spark(sample_plan, [str(path)], spark=spark, metrics=metrics)
        assert _json(run.report) == _json(sample_local)
        assert list(run.stats.loose_columns) == [pair]


def test_the_command_allows_pandas_once_spark_is_chosen(
    sample_local: dict[str, Any], tmp_path: Path
) -> None:
    """The `slalang` command refuses pandas (the local engine has no use for it, and Arrow
    would import it for nothing) until the Spark engine is chosen: PySpark needs it."""
    out = tmp_path / "report.json"
    done = subprocess.run(
        [
            *(sys.executable, "-m", "slalang", "evaluate"),
            *(str(ROOT / "policies" / "seed_funnel.sla"), str(SAMPLE / "events.csv")),
            *("--metrics", str(SAMPLE / "metrics.csv"), "--engine", "spark"),
            *("--format", "json", "-o", str(out)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr[-2000:]  # the sample has violations
    assert out.read_text(encoding="utf-8") == _json(sample_local)
