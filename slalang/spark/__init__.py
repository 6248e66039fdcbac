"""`--engine spark`: the same evaluation on an Apache Spark cluster (RUNNER §6.6).

The driver lists the inputs, has the executors map raw rows to events with the local
reader's own code (`tasks.ReadTask`), repartitions the events by lead and sorts each
partition by (lead, input order), has the executors drop repeated event ids and replay each
lead with the reference replay (`tasks.LeadTask`), and merges the partial accounting and
totals here. The report is built by the same code as a local run (`evaluate.run.frame`,
`report`), and sums are kept exactly (`aggregate.Totals`), so it is byte-identical to the
local engine's whatever the partitioning.

PySpark is an optional extra (`pip install 'slalang[spark]'`); this module imports it only
when a run asks for Spark.
"""

from __future__ import annotations

import dataclasses
import functools
import heapq
import json
import os
import pickle
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from operator import itemgetter
from posixpath import basename
from typing import Any
from urllib.parse import unquote, urlparse

from slalang.data import InputStats
from slalang.data.events import NEVER
from slalang.data.mapping import Mapping as SourceMapping
from slalang.diagnostics import SlalangError
from slalang.engine.choose import SMALL_ROWS
from slalang.engine.fold import SECTIONS, Folded
from slalang.engine.lines import Lines
from slalang.evaluate.aggregate import Totals
from slalang.evaluate.run import Span, field_specs, frame, report
from slalang.memory import allow_pandas
from slalang.render.report.json_text import Entries, Prerendered, compact
from slalang.spark.tasks import (
    ERROR,
    FILE_COLUMN,
    ORDER,
    ROW_COLUMN,
    STATS,
    SUMMARY,
    LeadTask,
    ReadTask,
    Summary,
    file_key,
    merge_stats,
    spark_schema,
)

Progress = Callable[[int, int], None]
PARQUET_SUFFIXES = (".parquet", ".parq")
_LAUNCHED = ("SPARK_REMOTE", "PYSPARK_GATEWAY_PORT", "DATABRICKS_RUNTIME_VERSION")
"""Set when something outside said which cluster to use: Spark Connect, `spark-submit`
(it starts the JVM and hands the driver its port), a Databricks runtime."""


@dataclass(frozen=True, slots=True)
class SparkRun:
    """A report made on Spark, with the input accounting (for warnings and --strict).

    `skeleton` is the report without its long lists, `sections` those lists as the compact
    JSON lines the executors wrote, in report order, and `severities` their violations'
    severities: `streamed` writes the report without ever making each entry a dict in
    the driver (for millions of leads, most of its memory and time)."""

    skeleton: dict[str, Any]
    sections: dict[str, list[str]]
    severities: frozenset[str]
    stats: InputStats
    # the files read, as a local run names them, in input order: what reads some leads'
    # events again for the HTML page (none when a table was read: its files are Spark's)
    files: tuple[str, ...] = ()

    @property
    def report(self) -> dict[str, Any]:
        """The whole report."""
        made = dict(self.skeleton)
        for section, lines in self.sections.items():
            made[section] = [json.loads(line) for line in lines]
        return made

    def streamed(self) -> dict[str, Any]:
        """The report with its long lists as `Entries` of their JSON text: written as it is
        (`json_text.pieces`), parsed as a renderer reads them."""
        made = dict(self.skeleton)
        for section, lines in self.sections.items():
            made[section] = Entries.parsed(functools.partial(Prerendered, len(lines), lines))
        return made


def session(master: str | None = None) -> Any:
    """The SparkSession to run on: a new one on `master` (a URL such as `spark://host:7077`
    or `local[4]`) when given; else the active session (a notebook); else the cluster the
    process was launched on (`spark-submit`, a Databricks job) or Spark Connect when
    `SPARK_REMOTE` is set; else a local one on every core of this machine."""
    allow_pandas()  # PySpark's Arrow exchange needs pandas; the `slalang` command refused it
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SlalangError("--engine spark needs PySpark: pip install 'slalang[spark]'") from None
    if master is None:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        if any(os.environ.get(name) for name in _LAUNCHED):
            # spark-submit, Databricks or Spark Connect said where the cluster is
            return SparkSession.builder.appName("slalang").getOrCreate()
    builder = SparkSession.builder.appName("slalang").master(master or "local[*]")
    builder = builder.config("spark.ui.showConsoleProgress", "false")
    if (master or "local").startswith("local"):
        # the executors of a local run are this interpreter, with slalang importable
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    return builder.getOrCreate()


def evaluate_on_spark(
    plan: Mapping[str, Any],
    paths: Sequence[str],
    *,
    tables: Sequence[str] = (),
    mapping: SourceMapping | None = None,
    timezone: str | None = None,
    as_of: int | None = None,
    span: Span | None = None,
    metrics: Mapping[tuple[str, str], float] | None = None,
    spark: Any = None,
    progress: Progress | None = None,
) -> SparkRun:
    """The report for event inputs read by Spark: `paths` (files or directories of CSV,
    CSV.gz, JSON Lines or Parquet, on any file system Spark reads) and `tables` (names in
    Spark's catalog), read with `mapping` as a local run reads files."""
    spark = spark if spark is not None else session()
    mapping = mapping or SourceMapping()
    fields = field_specs(plan)
    zone = plan["policy"]["timezone"]
    task = ReadTask(fields, tuple(plan["events"]), mapping, timezone, _cut(as_of), zone, {})
    inputs = _Inputs(spark, task)
    for path in paths:
        inputs.add_path(path)
    files = () if tables else tuple(inputs.names)
    for table in tables:
        inputs.add_table(table)
    if not inputs.parts:
        raise SlalangError("no events to read: give event files or --events-table")
    with _watching(spark, progress):
        run = _run(spark, plan, inputs, as_of, span or Span(), metrics)
    return dataclasses.replace(run, files=files)


def _cut(as_of: int | None) -> int:
    return NEVER if as_of is None else as_of


def _run(
    spark: Any,
    plan: Mapping[str, Any],
    inputs: _Inputs,
    as_of: int | None,
    span: Span,
    metrics: Mapping[tuple[str, str], float] | None,
) -> SparkRun:
    mapped = inputs.parts[0]
    for part in inputs.parts[1:]:
        mapped = mapped.unionByName(part)
    leads = mapped.repartition(_partitions(spark), "lead")
    leads = leads.sortWithinPartitions(*ORDER)
    leads = leads.persist()
    try:
        task = LeadTask(plan)
        schema = inputs.schema
        notes = leads.mapInArrow(task.summarize, schema).select("tag", "rank", "blob")
        stats = _accounting(notes.collect(), inputs)
        judged = frame(stats, as_of, span)
        # as a local run: Parquet and tables on the kernel, small text inputs on the reference
        compiled = inputs.typed or stats.rows >= SMALL_ROWS
        replaying = partial(task.replay, judged.as_of, judged.window, compiled)
        replayed = leads.mapInArrow(replaying, schema).select("blob")
        totals = Totals()
        entries: dict[str, list[Lines]] = {section: [] for section in SECTIONS}
        severities: set[str] = set()
        for row in replayed.collect():  # one job: every partition at once
            folded: Folded = pickle.loads(row.blob)
            totals.merge_counts(folded.totals)
            severities |= folded.severities
            for section, lines in folded.entries.items():
                entries[section].append(lines)
    finally:
        leads.unpersist()
    skeleton = report(plan, totals, stats, judged, metrics)
    sections = {}
    for section in SECTIONS:
        # each group's entries are in lead order: merged, as a local run merges its parts
        sections[section] = [line for _, line in heapq.merge(*entries[section], key=itemgetter(0))]
        entries[section].clear()
    targets = skeleton["violations"]  # a target's violations have no lead: they come last
    sections["violations"] += [compact(violation) for violation in targets]
    severities |= {violation["severity"] for violation in targets}
    return SparkRun(skeleton, sections, frozenset(severities), stats)


def _partitions(spark: Any) -> int:
    """Lead partitions: two per core of the cluster (a partition is streamed lead by lead,
    so its size bounds no memory; more partitions only balance the load)."""
    try:
        return 2 * int(spark.sparkContext.defaultParallelism)
    except Exception:  # Spark Connect: no SparkContext on the client
        return int(spark.conf.get("spark.sql.shuffle.partitions", "200"))


def _accounting(rows: list[Any], inputs: _Inputs) -> InputStats:
    """The reading tasks' counts and the partitions' summaries as the report's accounting;
    the first error in input order, if any task met one, is the run's error."""
    errors: list[tuple[int, str]] = []
    parts: list[InputStats] = []
    summaries: list[Summary] = []
    for row in rows:
        value = pickle.loads(row.blob)
        if row.tag == ERROR:
            errors.append((row.rank if row.rank is not None else 0, value))
        elif row.tag == STATS:
            parts.append(value)
        elif row.tag == SUMMARY:
            summaries.append(value)
    if errors:
        raise SlalangError(min(errors)[1])
    stats = merge_stats(parts, {name: rank for rank, name in enumerate(inputs.names)})
    duplicates = sum(s.duplicates for s in summaries)
    stats.duplicates += duplicates
    stats.events -= duplicates
    stats.leads = sum(s.leads for s in summaries)
    firsts = [s.first_ts for s in summaries if s.first_ts is not None]
    lasts = [s.last_ts for s in summaries if s.last_ts is not None]
    stats.first_ts = min(firsts) if firsts else None
    stats.last_ts = max(lasts) if lasts else None
    return stats


class _Inputs:
    """The inputs as DataFrames of mapped rows (tasks.SCHEMA), and every input file's rank
    and name in input order: the order of the arguments, then of the paths in a directory."""

    def __init__(self, spark: Any, task: ReadTask) -> None:
        self.spark = spark
        self.task = task
        self.schema = spark_schema(task.fields)
        self.typed = False  # whether any input is Parquet or a table
        self.files: dict[str, tuple[int, str]] = {}
        self.names: list[str] = []
        self.parts: list[Any] = []

    def _rank(self, uri: str, name: str) -> None:
        self.files[file_key(uri)] = (len(self.names), name)
        self.names.append(name)

    def _task(self) -> ReadTask:
        return dataclasses.replace(self.task, files=dict(self.files))

    def add_path(self, path: str) -> None:
        text: list[str] = []
        typed: dict[int, list[str]] = {}
        mapping = self.task.mapping
        for uri in _listing(self.spark, _absolute(path)):
            name = _display(path, uri)
            self._rank(uri, name)
            if uri.lower().endswith(PARQUET_SUFFIXES):
                source = mapping.source_for(name)
                index = mapping.sources.index(source) if mapping.sources else 0
                typed.setdefault(index, []).append(uri)
            else:
                mapping.source_for(name)  # a file no source reads fails before Spark starts
                text.append(uri)
        task = self._task()
        if text:
            frame = self.spark.read.format("binaryFile").load(text).select("path", "content")
            self.parts.append(frame.mapInArrow(task.read_files, self.schema))
        for index, group in typed.items():
            frame = self.spark.read.parquet(*group)
            self._add_typed(frame, index, self.files[file_key(group[0])][1], task)

    def add_table(self, table: str) -> None:
        try:
            frame = self.spark.table(table)
        except Exception as exc:
            raise SlalangError(
                f"{table}: cannot read the events table: {_first_line(exc)}"
            ) from None
        source = self.task.mapping.source_for(table)
        index = self.task.mapping.sources.index(source) if self.task.mapping.sources else 0
        self._rank("", table)
        try:
            files = sorted(frame.inputFiles())
        except Exception:
            files = []
        for uri in files:
            self._rank(uri, f"{table}[{basename(unquote(urlparse(uri).path))}]")
        self._add_typed(frame, index, table, self._task())

    def _add_typed(self, frame: Any, index: int, name: str, task: ReadTask) -> None:
        from pyspark.sql import functions as F

        self.typed = True
        header = list(frame.columns)
        reader = task.reader().ref
        reader.use(task.mapping.sources[index] if task.mapping.sources else task.mapping)
        reader.layout(header, name)  # a header that cannot work fails before Spark starts
        try:
            located = frame.select(
                "*",
                F.col("_metadata.file_path").alias(FILE_COLUMN),
                F.col("_metadata.row_index").alias(ROW_COLUMN),
            )
            located.schema  # noqa: B018 - resolving the plan tells whether _metadata exists
        except Exception:
            # a source without files (a view over a query, a JDBC table)
            located = _by_values(frame)
        reading = partial(task.read_columns, index, header)
        self.parts.append(located.mapInArrow(reading, self.schema))


def _by_values(frame: Any) -> Any:
    """The rows of a source without files, each numbered by its place in a total order over
    the rows' values, so that ties (which of two events at one instant comes first, which
    of two rows with one event id is kept) and rows' numbers never depend on how Spark
    reads or splits the source: column by column in the table's order, ascending, nulls
    first; a column whose type has no order (a map, a variant, or a struct or array holding
    one) by its JSON text. Rows equal in every column are the same row to the reader, so
    which of them comes first cannot show. Numbering needs all rows in one sequence:
    Spark sorts them in one task (docs/spark.md says when to prefer files)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keys = []
    for field in frame.schema.fields:
        column = frame[field.name]
        kind = field.dataType.simpleString()
        if "map<" in kind or "variant" in kind:
            column = F.to_json(F.struct(column))
        keys.append(column.asc_nulls_first())
    number = F.row_number().over(Window.orderBy(*keys)) - 1
    return frame.select("*", F.lit("").alias(FILE_COLUMN), number.alias(ROW_COLUMN))


def _listing(spark: Any, path: str) -> list[str]:
    """Every file a path names (itself, or the files of a directory) as Spark names it (a
    URI), sorted (listed by the driver, no job)."""
    try:
        files = spark.read.format("binaryFile").load(path).inputFiles()
    except Exception as exc:
        raise SlalangError(f"{path}: cannot read events: {_first_line(exc)}") from None
    if not files:
        raise SlalangError(f"{path}: cannot read events: no files in it")
    return sorted(files)


def _absolute(path: str) -> str:
    """A local path made absolute here: the Spark driver (a Spark Connect server) may run
    in another directory."""
    if "://" in path or path.startswith("file:"):
        return path
    return os.path.abspath(path)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _display(given: str, uri: str) -> str:
    """The name a local run gives a file: the path as given, or the given directory joined
    with the file's place in it; an input on another file system keeps its URI."""
    if "://" in given or given.startswith("file:"):
        base = given.rstrip("/")
        return given if uri.rstrip("/") == base else given.rstrip("/") + uri[len(base) :]
    local = unquote(urlparse(uri).path)
    root = os.path.abspath(given)
    if local == root:
        return given
    return os.path.join(given, os.path.relpath(local, root))


@contextmanager
def _watching(spark: Any, progress: Progress | None) -> Iterator[None]:
    """Report Spark's own job progress (tasks done of tasks known, over the run's jobs)
    while the body runs; Spark Connect reports through its progress handler."""
    if progress is None:
        yield
        return
    tracker = _tracker(spark)
    if tracker is None:
        yield from _connect_progress(spark, progress)
        return
    group = f"slalang-{os.getpid()}-{id(progress)}"
    spark.sparkContext.setJobGroup(group, "slalang evaluate")
    stop = threading.Event()

    def poll() -> None:
        while not stop.wait(0.5):
            done = total = 0
            for job in tracker.getJobIdsForGroup(group):
                info = tracker.getJobInfo(job)
                for stage in info.stageIds if info is not None else ():
                    stage_info = tracker.getStageInfo(stage)
                    if stage_info is not None:
                        done += stage_info.numCompletedTasks
                        total += stage_info.numTasks
            if total:
                progress(done, total)

    thread = threading.Thread(target=poll, name="slalang-spark-progress", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        spark.sparkContext.setLocalProperty("spark.jobGroup.id", None)


def _tracker(spark: Any) -> Any:
    try:
        return spark.sparkContext.statusTracker()
    except Exception:  # Spark Connect has no SparkContext on the client
        return None


def _connect_progress(spark: Any, progress: Progress) -> Iterator[None]:
    register = getattr(spark, "registerProgressHandler", None)
    if register is None:
        yield
        return

    def handler(stages: Any, *_: Any, **__: Any) -> None:
        total = sum(stage.num_tasks for stage in stages)
        if total:
            progress(sum(stage.num_completed_tasks for stage in stages), total)

    register(handler)
    try:
        yield
    finally:
        spark.removeProgressHandler(handler)


__all__ = ["SparkRun", "evaluate_on_spark", "session"]
