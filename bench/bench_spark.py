"""Benchmark of `--engine spark` on `local[2]` against the local engine, on the same event log
as Parquet: wall time and peak RSS (the whole process tree: driver, JVM, Python workers).

The log is bench_engine's (1M events: `slalang sample … --leads 196500 --seed 1 --months 6`;
10M: ten copies with suffixed ids), written once as a directory of Parquet files with
typed columns. Each run is a fresh `slalang evaluate --format json -o FILE` process; the two
reports are compared byte for byte. Not a test: the figures go in the notes. Needs the
`spark` and `duckdb` extras.

    python bench/bench_spark.py --size 1m      # or 10m

Extrapolating to a cluster, on paper: the Spark run's cost is read + map (per row, the
local reader's Python loop), one shuffle of the mapped events, and the replay (per event,
the reference replay), all in executors; the driver only merges per-partition totals and
writes the report. With the per-event executor time t measured here (wall * cores / events),
1B events on 10 nodes of 16 cores take about 1e9 * t / 160 plus the shuffle of ~60 B per
event (60 GB, a few minutes on a 10 Gb/s network) and Spark's fixed start (~30 s).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_engine import POLICY, sample_1m, sample_10m

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / "bench" / ".cache" / "spark"
SLALANG = [sys.executable, "-m", "slalang"]


def parquet(events: Path, name: str) -> Path:
    """The CSV log as a directory of Parquet files (typed: instants, numbers)."""
    import duckdb

    folder = CACHE / name
    if not folder.exists():
        folder.mkdir(parents=True)
        with duckdb.connect() as connection:
            connection.execute(
                "copy (select * replace (cast(timestamp as timestamptz) as timestamp) "
                f"from read_csv('{events}', all_varchar = true)) "
                f"to '{folder}' (format parquet, per_thread_output true)"
            )
    return folder


def _tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        total += rss.get(current, 0)
        stack.extend(children.get(current, []))
    return total


def run(arguments: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS of the process tree of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(arguments, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0

    def watch() -> None:
        nonlocal peak
        while process.poll() is None:
            peak = max(peak, _tree_rss(process.pid))
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, error = process.communicate()
    watcher.join()
    if process.returncode not in (0, 1):
        raise SystemExit(error.decode("utf-8", "replace"))
    return time.perf_counter() - start, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=["1m", "10m"], default="1m")
    args = parser.parse_args()
    events = sample_1m() if args.size == "1m" else sample_10m()
    folder = parquet(events, args.size)
    base = [
        *SLALANG,
        "evaluate",
        str(POLICY),
        str(folder),
        "--format",
        "json",
        "--fail-on",
        "never",
    ]
    out_local = CACHE / f"local-{args.size}.json"
    out_spark = CACHE / f"spark-{args.size}.json"
    local = run([*base, "-o", str(out_local)])
    spark = run([*base, "-o", str(out_spark), "--engine", "spark", "--spark-master", "local[2]"])
    same = out_local.read_bytes() == out_spark.read_bytes()
    print(f"{args.size} events as Parquet ({folder})")
    print(f"  local engine      {local[0]:8.1f} s   peak RSS {local[1] / 2**20:8.0f} MB")
    print(f"  spark local[2]    {spark[0]:8.1f} s   peak RSS {spark[1] / 2**20:8.0f} MB")
    print(f"  reports byte-identical: {same}")


if __name__ == "__main__":
    main()
