"""Benchmark of the engines against one SQL query: `slalang evaluate --format json -o FILE`
on 1M and 10M events beside DuckDB running the first-touch rule alone (bench/first_touch.sql).

Each run is a fresh process, the two interleaved, three times each; medians, their ratio and
peak RSS are printed, then the phase shares of one in-process run of the local engine. The
1M log is `slalang sample policies/seed_funnel.sla DIR --leads 196500 --seed 1 --months 6`;
the 10M log is ten copies of it with lead and event ids suffixed. Not a test: the figures go
in the notes. Needs duckdb (`pip install duckdb`).

    python bench/bench_engine.py --sizes 1m 10m [--engine local reference]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "policies" / "seed_funnel.sla"
CACHE = REPO / "bench" / ".cache" / "engine"
SLALANG = [sys.executable, "-m", "slalang"]


def sample_1m() -> Path:
    folder = CACHE / "1m"
    events = folder / "events.csv"
    if not events.exists():
        subprocess.run(
            [
                *SLALANG,
                "sample",
                str(POLICY),
                str(folder),
                "--leads",
                "196500",
                "--seed",
                "1",
                "--months",
                "6",
            ],
            check=True,
        )
    return events


def sample_10m() -> Path:
    """Ten copies of the 1M log, lead and event ids suffixed `~k`."""
    events = CACHE / "10m" / "events.csv"
    if not events.exists():
        events.parent.mkdir(parents=True, exist_ok=True)
        lines = sample_1m().read_text(encoding="utf-8").splitlines(keepends=True)
        with events.open("w", encoding="utf-8") as out:
            out.write(lines[0])
            for copy in range(10):
                for line in lines[1:]:
                    lead, ts, event, event_id, rest = line.split(",", 4)
                    out.write(f"{lead}~{copy},{ts},{event},{event_id}~{copy},{rest}")
        (CACHE / "10m" / "metrics.csv").write_bytes((CACHE / "1m" / "metrics.csv").read_bytes())
    return events


def calendar_rows(first: date, last: date) -> list[tuple[int, int, int]]:
    """The office's open intervals (Mon-Fri 08:00-17:00 Chicago, US holidays closed) as
    (open, close, business seconds before) in epoch seconds."""
    import holidays

    zone = ZoneInfo("America/Chicago")
    closed = holidays.country_holidays("US", years=range(first.year, last.year + 1))
    rows, before, day = [], 0, first
    while day <= last:
        if day.weekday() < 5 and day not in closed:
            start = int(datetime(day.year, day.month, day.day, 8, tzinfo=zone).timestamp())
            end = int(datetime(day.year, day.month, day.day, 17, tzinfo=zone).timestamp())
            rows.append((start, end, before))
            before += end - start
        day += timedelta(days=1)
    return rows


def duckdb_run(events: str) -> None:
    """One DuckDB run of the first-touch query (in its own process, like slalang's)."""
    import duckdb

    con = duckdb.connect()
    rows = calendar_rows(date(2025, 12, 1), date(2027, 12, 31))
    con.execute("CREATE TABLE calendar (open_at BIGINT, close_at BIGINT, before BIGINT)")
    con.executemany("INSERT INTO calendar VALUES (?, ?, ?)", rows)
    query = (REPO / "bench" / "first_touch.sql").read_text(encoding="utf-8")
    result = con.execute(query, {"events": events}).fetchall()
    print(len(result), "months", file=sys.stderr)


def timed(command: list[str]) -> tuple[float, int]:
    """Wall seconds and peak RSS (MB) of one process, by GNU time."""
    started = time.perf_counter()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *command], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command} failed:\n{done.stderr}")
    return wall, int(done.stderr.strip().splitlines()[-1]) // 1024


def phases(events: Path) -> dict[str, float]:
    """Seconds per phase of the local engine's steps run one after another in this
    process (one partition): read, assemble, the kernel's loop alone, folding its records
    into counts and entry lines (the loop again included, subtracted), the JSON text."""
    from slalang.engine.assemble import assemble, concat
    from slalang.engine.kernel import load as load_kernel
    from slalang.engine.reader import ColumnarReader
    from slalang.engine.run import batch_report
    from slalang.evaluate.run import field_specs
    from slalang.load import load
    from slalang.plan import compile_program
    from slalang.render.report.json_text import pieces

    spent: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        spent[name] = now - clock
        clock = now

    plan = compile_program(load(POLICY))
    lap("compile policy")
    kernel = load_kernel(plan)
    lap("load kernel")
    specs = field_specs(plan)
    reader = ColumnarReader(specs, plan["events"], None, None, None)
    tables = [chunk.table() for chunk in reader.read([str(events)])]
    lap("read")
    batch, _ = assemble(concat(tables, reader.schema), specs, plan["events"], reader.stats, True)
    lap("assemble")
    assert batch.stats.last_ts is not None
    for _ in kernel.rows(batch, batch.stats.last_ts):
        pass
    lap("kernel loop")
    report = batch_report(plan, batch)
    lap("fold and report")
    spent["fold and report"] -= spent["kernel loop"]
    with open("/dev/null", "w", encoding="utf-8") as sink:
        for piece in pieces(report):
            sink.write(piece)
    lap("write json")
    events_count = len(batch)
    print(
        "ns per event:",
        ", ".join(f"{k} {v * 1e9 / events_count:.0f}" for k, v in spent.items()),
    )
    return spent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["1m"], choices=["1m", "10m"])
    parser.add_argument("--engine", nargs="+", default=["local"], choices=["local", "reference"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duckdb-run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_run:
        duckdb_run(args.duckdb_run)
        return
    for size in args.sizes:
        events = sample_1m() if size == "1m" else sample_10m()
        out = CACHE / f"report-{size}.json"
        results: dict[str, list[tuple[float, int]]] = {}
        for _ in range(args.runs):
            for engine in args.engine:
                results.setdefault(engine, []).append(
                    timed(
                        [
                            *SLALANG,
                            "evaluate",
                            str(POLICY),
                            str(events),
                            "--format",
                            "json",
                            "-o",
                            str(out),
                            "--engine",
                            engine,
                        ]
                    )
                )
            results.setdefault("duckdb", []).append(
                timed([sys.executable, __file__, "--duckdb-run", str(events)])
            )
        duck = statistics.median(w for w, _ in results["duckdb"])
        print(f"== {size}: {events} ({events.stat().st_size / 1e6:.0f} MB)")
        for name, runs in results.items():
            wall = statistics.median(w for w, _ in runs)
            rss = max(r for _, r in runs)
            print(
                f"{name:>10}: median {wall:6.2f} s  peak RSS {rss:5d} MB  "
                f"ratio to DuckDB {wall / duck:5.2f}"
            )
        shares = phases(events)
        total = sum(shares.values())
        print(
            "phases (one in-process run, jobs 1):",
            ", ".join(f"{k} {v:.2f} s ({v / total:.0%})" for k, v in shares.items()),
        )
    print(f"measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
