"""Benchmark of the engines against one SQL query (issue 11, "Measure"): `slalang evaluate
--format json -o FILE` on 1M, 10M and 100M events beside DuckDB running the first-touch rule
alone (bench/first_touch.sql, business hours by ASOF joins on a calendar table).

Each run is a fresh process; the contenders are interleaved, three runs each (one for 100M);
printed are medians of the wall time and of the CPU time of the whole process tree (user and
system), the wall time's ratio to DuckDB, and the peak memory of the process tree (RSS summed
over the process and its workers, and PSS, which counts pages the forked workers share with
the parent once), sampled every 50 ms. Then the phase shares of one in-process run
of the local engine, the kernel's first-run compile time against a cached start, and the
README's main command on the bundled sample. The machine's load average is printed before and
after: on a shared machine every figure depends on it.

The 1M log is `slalang sample policies/seed_funnel.sla DIR --leads 196500 --seed 1 --months 6`;
the 10M log is ten copies of it with lead and event ids suffixed `~k` (CSV); the 100M log is a
hundred such copies as a directory of Parquet files (CSV would be 8 GB); `1m-jsonl` and
`10m-jsonl` are the 1M and 10M logs as JSON Lines (DuckDB reads them with `read_json`, the
three keys its query needs). Not a test: the figures
go in the notes. Needs duckdb (`pip install -e '.[duckdb]'`) and holidays.

    python bench/bench_engine.py --sizes 1m 10m [--engine local local-1 reference] [--runs 3]
    python bench/bench_engine.py --sizes 100m --runs 1
    python bench/bench_engine.py --startup      # compile vs cached start, README command

`local` is the default engine on every core, `local-1` the same with `--jobs 1`.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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
        partial = events.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as out:
            out.write(lines[0])
            for copy in range(10):
                for line in lines[1:]:
                    lead, ts, event, event_id, rest = line.split(",", 4)
                    out.write(f"{lead}~{copy},{ts},{event},{event_id}~{copy},{rest}")
        partial.rename(events)
        (CACHE / "10m" / "metrics.csv").write_bytes((CACHE / "1m" / "metrics.csv").read_bytes())
    return events


def sample_100m() -> Path:
    """A hundred copies of the 1M log, ids suffixed `~k`, one Parquet file per copy (the
    columns typed as pyarrow reads the CSV: instants, numbers, text)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = CACHE / "100m" / "events"
    done = folder / "_done"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        table = pacsv.read_csv(sample_1m())
        for copy in range(100):
            suffix = f"~{copy}"
            out = table.set_column(
                0, "lead_id", pc.binary_join_element_wise(table["lead_id"], suffix, "")
            )
            index = out.schema.get_field_index("event_id")
            ids = pc.binary_join_element_wise(out["event_id"].cast(pa.string()), suffix, "")
            out = out.set_column(index, "event_id", ids)
            pq.write_table(out, folder / f"part-{copy:03d}.parquet")
        done.touch()
        (CACHE / "100m" / "metrics.csv").write_bytes((CACHE / "1m" / "metrics.csv").read_bytes())
    return folder


def as_json_lines(events: Path) -> Path:
    """The CSV log as JSON Lines beside it: each row an object, empty cells left out, whole
    numbers as JSON numbers (as an export from a document store or a CRM's API gives)."""
    import csv
    import json

    out = events.with_suffix(".jsonl")
    if not out.exists():
        partial = out.with_suffix(".partial")
        with (
            events.open(newline="", encoding="utf-8") as source,
            partial.open("w", encoding="utf-8") as written,
        ):
            for row in csv.DictReader(source):
                kept = {key: cell for key, cell in row.items() if cell}
                for key in NUMBERS & kept.keys():
                    if kept[key].lstrip("-").isdigit():
                        kept[key] = int(kept[key])  # type: ignore[assignment]
                written.write(json.dumps(kept, ensure_ascii=False) + "\n")
        partial.rename(out)
    return out


NUMBERS = {"company_size", "amount"}
SAMPLES = {
    "1m": sample_1m,
    "10m": sample_10m,
    "100m": sample_100m,
    "1m-jsonl": lambda: as_json_lines(sample_1m()),
    "10m-jsonl": lambda: as_json_lines(sample_10m()),
}


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
    if os.path.isdir(events):
        source = f"read_parquet('{events}/*.parquet')"
    elif events.endswith(".jsonl"):
        columns = "{lead_id: 'VARCHAR', timestamp: 'VARCHAR', event: 'VARCHAR'}"
        source = f"read_json('{events}', format = 'newline_delimited', columns = {columns})"
    else:
        source = f"read_csv('{events}', header = true, all_varchar = true)"
    con.execute(f"CREATE VIEW raw_events AS SELECT * FROM {source}")
    query = (REPO / "bench" / "first_touch.sql").read_text(encoding="utf-8")
    result = con.execute(query).fetchall()
    print(len(result), "months", file=sys.stderr)


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, for every process on the machine."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                    parent = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            tree.setdefault(parent, []).append(int(entry))
    return tree


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in kB of the process tree under `pid`."""
    tree = _children()
    todo, rss, pss = [pid], 0, 0
    while todo:
        current = todo.pop()
        todo.extend(tree.get(current, ()))
        try:
            with open(f"/proc/{current}/smaps_rollup", encoding="utf-8") as handle:
                for line in handle:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1])
                    elif line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds of `command` and the CPU seconds of its process tree (`_cpu`), nothing
    else running beside it: sampling memory walks /proc and the page tables every 50 ms,
    which on two cores took CPU from the measured run (0.2-0.3 s of a 2 s one, more than
    of DuckDB's single smaller process)."""
    before = _cpu()
    started = time.perf_counter()
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command} failed:\n{done.stderr}")
    return wall, _cpu() - before


def _cpu() -> float:
    """User and system CPU seconds of this process's finished children, theirs included
    (a run's readers and workers are waited for by it). On a shared machine the wall time
    also counts the time a run waits for a core; its CPU time says what it costs, and
    what a faster engine has to cut."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def fresh(commands: dict[str, list[str]], out: Path) -> Iterator[tuple[str, list[str]]]:
    """The commands, the report `out` removed before each: every run writes a new file, as
    the first run into a path does. Renaming a new file over an existing one makes ext4
    (`auto_da_alloc`, on by default) allocate the new file's blocks and start writing it
    out within the rename: on 10M events, 0.45 s of a 7 s run spent because the run
    before left its report there, which DuckDB's query, writing nothing, never pays."""
    for name, command in commands.items():
        out.unlink(missing_ok=True)
        yield name, command


def sampled(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int, int]:
    """Wall and CPU seconds (`timed`), and peak RSS and PSS (MB) of the process tree,
    sampled every 50 ms."""
    before = _cpu()
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    peak_rss = peak_pss = 0
    while process.poll() is None:
        rss, pss = _memory(process.pid)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.05)
    wall = time.perf_counter() - started
    assert process.stderr is not None
    errors = process.stderr.read()
    if process.returncode not in (0, 1):
        raise SystemExit(f"{command} failed:\n{errors}")
    return wall, _cpu() - before, peak_rss // 1024, peak_pss // 1024


def evaluate_command(events: Path, out: Path, engine: str) -> list[str]:
    metrics = events.parent / "metrics.csv"
    jobs = ["--jobs", "1"] if engine == "local-1" else []
    name = "local" if engine == "local-1" else engine
    return [
        *SLALANG,
        "evaluate",
        str(POLICY),
        str(events),
        "--metrics",
        str(metrics),
        "--format",
        "json",
        "-o",
        str(out),
        "--engine",
        name,
        *jobs,
    ]


def phases(events: Path) -> dict[str, float]:
    """Seconds per phase of the local engine's steps run one after another in this
    process (one partition): read, assemble, the kernel's loop alone, folding its records
    into counts and entry lines (the loop again included, subtracted), the JSON text."""
    from slalang.engine.assemble import Apart, assemble
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
    read = [Apart.of(chunk) for chunk in reader.read([str(events)])]
    lap("read")
    batch, _ = assemble(
        Apart.joined(read, reader.schema), specs, plan["events"], reader.stats, True
    )
    del read
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


def startup() -> None:
    """The kernel's first run on a machine (empty cache: generate and compile) against a
    cached start, each a fresh process loading the seed policy's kernel; then the README's
    main command on the bundled sample, medians of three."""
    code = (
        "import time; t = time.perf_counter(); "
        "from slalang.api import load_policy; from slalang.engine.run import kernel_for; "
        f"kernel_for(load_policy({str(POLICY)!r}).plan); print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "SLALANG_CACHE_DIR": cache}
        for label in ("first run (empty cache)", "cached start", "cached start"):
            done = subprocess.run(
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            print(f"kernel load, {label}: {float(done.stdout):.2f} s")
    readme = [
        *SLALANG,
        "evaluate",
        str(POLICY),
        str(REPO / "samples" / "seed_funnel" / "events.csv"),
        "--metrics",
        str(REPO / "samples" / "seed_funnel" / "metrics.csv"),
        "--fail-on",
        "never",
    ]
    wall = statistics.median(timed(readme)[0] for _ in range(3))
    _, _, rss, _ = sampled(readme)
    print(f"README command: median {wall:.2f} s, peak RSS {rss} MB")


def compiled() -> None:
    """The package's modules compiled to bytecode first, as installing it from a wheel does:
    with PYTHONDONTWRITEBYTECODE set (or an unwritable tree), every timed run would
    otherwise compile slalang's own modules again, about 0.2 s that DuckDB does not pay."""
    import compileall

    compileall.compile_dir(str(REPO / "slalang"), quiet=1)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def versions() -> str:
    """The versions that shape the figures. Whether pandas is installed matters too: Arrow
    imported it into every process of a run (half a second each) until the engine's
    processes refused it (docs/engine.md, "Start-up")."""
    found = [f"Python {platform.python_version()}"]
    for name in ("pyarrow", "numpy", "numba", "duckdb", "pandas"):
        try:
            found.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            found.append(f"no {name}")
    return ", ".join(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="*", default=["1m"], choices=sorted(SAMPLES))
    parser.add_argument(
        "--engine", nargs="+", default=["local"], choices=["local", "local-1", "reference"]
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-phases", action="store_true", help="skip the phase shares")
    parser.add_argument("--startup", action="store_true", help="compile time, README command")
    parser.add_argument("--duckdb-run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.duckdb_run:
        duckdb_run(args.duckdb_run)
        return
    print(f"load average at start: {load_average()}; {versions()}")
    compiled()
    if args.startup:
        startup()
    for size in args.sizes:
        events = SAMPLES[size]()
        out = CACHE / f"report-{size}.json"
        commands = {engine: evaluate_command(events, out, engine) for engine in args.engine}
        commands["duckdb"] = [sys.executable, __file__, "--duckdb-run", str(events)]
        # one sampled run each for the memory; its time is the figure only of a single run
        memory = {name: sampled(command) for name, command in fresh(commands, out)}
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for _ in range(args.runs if args.runs > 1 else 0):
            for name, command in fresh(commands, out):
                runs[name].append(timed(command))
        for name, (wall, cpu, _, _) in memory.items():
            runs[name] = runs[name] or [(wall, cpu)]
        duck_wall = statistics.median(wall for wall, _ in runs["duckdb"])
        print(f"== {size}: {events} (load average {load_average()})")
        for name, timings in runs.items():
            wall = statistics.median(wall for wall, _ in timings)
            cpu = statistics.median(cpu for _, cpu in timings)
            _, _, rss, pss = memory[name]
            print(
                f"{name:>10}: median {wall:7.2f} s  CPU {cpu:6.2f} s  peak RSS {rss:5d} MB"
                f"  PSS {pss:5d} MB  ratio to DuckDB {wall / duck_wall:5.2f}"
                f"  (runs: {', '.join(f'{w:.2f}' for w, _ in timings)})"
            )
        if not args.no_phases and size != "100m":
            shares = phases(events)
            total = sum(shares.values())
            print(
                "phases (one in-process run, one job):",
                ", ".join(f"{k} {v:.2f} s ({v / total:.0%})" for k, v in shares.items()),
            )
    print(f"load average at end: {load_average()}; measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")


if __name__ == "__main__":
    main()
