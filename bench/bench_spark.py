"""Benchmark of `--engine spark` on `local[2]` against the local engine, on the same event log
as Parquet: wall time, peak memory of the driver, the JVM and the Python workers (the whole
process tree, by role), and Spark's own per-stage task figures, from which docs/spark.md
extrapolates to a cluster.

The log is bench_engine's (1M events: `slalang sample policies/seed_funnel.sla DIR --leads
196500 --seed 1 --months 6`; 10M: ten copies with lead and event ids suffixed `~k`), written
once as a directory of Parquet files with typed columns (instants as timestamps). Each run is
a fresh `slalang evaluate --format json -o FILE` process; the two reports are compared byte
for byte. Spark writes its event log to the cache directory, read back here for the stages'
task counts, summed and longest task times and shuffle bytes. The load average is printed
with each figure: the machine is shared. Not a test: the figures go in docs/spark.md. Needs
the `spark` and `duckdb` extras.

    python bench/bench_spark.py --size 1m      # or 10m
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import POLICY, _children, load_average, sample_1m, sample_10m

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache" / "spark"
SLALANG = [sys.executable, "-m", "slalang"]
ROLES = ("driver", "jvm", "workers")


def parquet(events: Path, name: str) -> Path:
    """The CSV log as a directory of Parquet files (typed: instants, numbers)."""
    import duckdb

    folder = CACHE / name
    if not folder.exists():
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        with duckdb.connect() as connection:
            connection.execute(
                "copy (select * replace (cast(timestamp as timestamptz) as timestamp) "
                f"from read_csv('{events}', all_varchar = true)) "
                f"to '{partial}' (format parquet, per_thread_output true)"
            )
        partial.rename(folder)
    return folder


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("Rss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu(pid: int) -> int:
    """Clock ticks of CPU (user + system) the process has used so far."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _roles(root: int, cpu: dict[int, int]) -> dict[str, int]:
    """kB resident per role in the process tree under `root`: the command's own process
    (the driver), Java (Spark's JVM), and every other process (PySpark's daemon and its
    forked Python workers, or the local engine's job processes). `cpu` keeps the latest
    CPU ticks seen of every process of the tree."""
    tree = _children()
    found = dict.fromkeys(ROLES, 0)
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, ()))
        try:
            with open(f"/proc/{pid}/comm", encoding="utf-8") as handle:
                name = handle.read().strip()
        except OSError:
            continue
        role = "driver" if pid == root else "jvm" if name == "java" else "workers"
        found[role] += _rss(pid)
        cpu[pid] = max(cpu.get(pid, 0), _cpu(pid))
    return found


def run(command: list[str], env: dict[str, str]) -> tuple[float, dict[str, int], int, float]:
    """Wall seconds, the peak MB of each role and of the whole tree, sampled every 100 ms,
    and the CPU seconds of the whole tree (user + system of every process seen, as last
    sampled: a figure that depends far less on the machine's load than the wall time)."""
    started = time.perf_counter()
    cpu: dict[int, int] = {}
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peaks = dict.fromkeys(ROLES, 0)
    total = 0
    while process.poll() is None:
        now = _roles(process.pid, cpu)
        peaks = {role: max(peaks[role], now[role]) for role in ROLES}
        total = max(total, sum(now.values()))
        time.sleep(0.1)
    wall = time.perf_counter() - started
    assert process.stderr is not None
    errors = process.stderr.read().decode("utf-8", "replace")
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command} failed:\n{errors[-4000:]}")
    seconds = sum(cpu.values()) / os.sysconf("SC_CLK_TCK")
    return wall, {role: kb // 1024 for role, kb in peaks.items()}, total // 1024, seconds


def stages(log_dir: Path) -> list[dict[str, Any]]:
    """Per stage of the run's Spark event log: its name, task count, summed and longest
    executor run time (s), records and bytes read from input and shuffle, shuffle written."""
    logs = sorted(log_dir.iterdir(), key=lambda p: p.stat().st_mtime)
    names: dict[int, str] = {}
    found: dict[int, dict[str, Any]] = defaultdict(
        lambda: dict.fromkeys(
            ("tasks", "run_s", "longest_s", "input_records", "shuffle_read_mb", "shuffle_write_mb"),
            0,
        )
    )
    for line in _lines(logs[-1]):
        if line.strip():
            event = json.loads(line)
            kind = event.get("Event")
            if kind == "SparkListenerStageSubmitted":
                info = event["Stage Info"]
                names[info["Stage ID"]] = info["Stage Name"].split(" at ")[0]
            elif kind == "SparkListenerTaskEnd" and event.get("Task Metrics"):
                metrics = event["Task Metrics"]
                stage = found[event["Stage ID"]]
                seconds = metrics["Executor Run Time"] / 1000
                stage["tasks"] += 1
                stage["run_s"] += seconds
                stage["longest_s"] = max(stage["longest_s"], seconds)
                stage["input_records"] += metrics["Input Metrics"]["Records Read"]
                read = metrics["Shuffle Read Metrics"]
                stage["shuffle_read_mb"] += (
                    read["Remote Bytes Read"] + read["Local Bytes Read"]
                ) / 2**20
                stage["shuffle_write_mb"] += (
                    metrics["Shuffle Write Metrics"]["Shuffle Bytes Written"] / 2**20
                )
    return [{"stage": k, "name": names.get(k, "?"), **v} for k, v in sorted(found.items())]


def _lines(log: Path) -> Iterator[str]:
    """The lines of an event log: one file, or a rolling log's directory of parts."""
    parts = [log]
    if log.is_dir():
        found = [p for p in log.iterdir() if p.name.startswith("events_")]
        parts = sorted(found, key=lambda p: int(p.name.split("_")[1]))
    for part in parts:
        with part.open("rb") as raw:
            if part.suffix == ".zstd":  # Spark 4 compresses event logs by default
                import zstandard

                stream: Any = zstandard.ZstdDecompressor().stream_reader(raw)
            else:
                stream = raw
            yield from io.TextIOWrapper(stream, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["1m", "10m"], default="1m")
    parser.add_argument("--driver-memory", default="4g", help="the local[2] JVM's heap")
    args = parser.parse_args()
    events = sample_1m() if args.size == "1m" else sample_10m()
    folder = parquet(events, args.size)
    base = [
        *SLALANG,
        "evaluate",
        str(POLICY),
        str(folder),
        "--metrics",
        str(events.parent / "metrics.csv"),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]
    log_dir = CACHE / f"eventlog-{args.size}"
    shutil.rmtree(log_dir, ignore_errors=True)
    log_dir.mkdir(parents=True)
    env = dict(os.environ)
    env["PYSPARK_SUBMIT_ARGS"] = (
        f"--driver-memory {args.driver_memory} --conf spark.eventLog.enabled=true "
        f"--conf spark.eventLog.dir=file://{log_dir} pyspark-shell"
    )
    out_local = CACHE / f"local-{args.size}.json"
    out_spark = CACHE / f"spark-{args.size}.json"
    print(f"{args.size} events as Parquet ({folder}), load before: {load_average()}")
    local = run([*base, "-o", str(out_local)], env)
    print(f"  local engine    {local[0]:7.1f} s  CPU {local[3]:7.1f} s  peak MB {local[1]}")
    print(f"                  peak MB of the whole tree at once: {local[2]}")
    print(f"                  load after: {load_average()}")
    spark = run(
        [*base, "-o", str(out_spark), "--engine", "spark", "--spark-master", "local[2]"], env
    )
    print(f"  spark local[2]  {spark[0]:7.1f} s  CPU {spark[3]:7.1f} s  peak MB {spark[1]}")
    print(f"                  peak MB of the whole tree at once: {spark[2]}")
    print(f"                  load after: {load_average()}")
    print(f"  reports byte-identical: {out_local.read_bytes() == out_spark.read_bytes()}")
    print("  Spark stages (executor run time summed over tasks; the longest task):")
    for stage in stages(log_dir):
        print(
            f"    {stage['stage']:3d} {stage['name']:<22} tasks {stage['tasks']:4d}"
            f"  run {stage['run_s']:7.1f} s  longest {stage['longest_s']:6.1f} s"
            f"  input rows {stage['input_records']:>10,}"
            f"  shuffle read {stage['shuffle_read_mb']:7.1f} MB"
            f"  write {stage['shuffle_write_mb']:7.1f} MB"
        )


if __name__ == "__main__":
    main()
