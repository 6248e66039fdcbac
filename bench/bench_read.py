"""Benchmark of the data-in stage: read_events on a generated 1M-row CSV (RUNNER §1).

Generates (once, cached in the temp directory) a canonical event log with 10 events per
lead, an event id and three declared fields (a `one of`, a number, a text) set on a few
events per lead, then times `read_events` end to end: bytes to per-lead sorted Event
lists. For comparison it also times the floor of the standard `csv` module (parse only,
no per-lead objects) and, when pyarrow is installed, an Arrow reader that parses and
converts in C and then builds the same per-lead Python objects.

CPU time (process_time) is reported beside wall time: on a shared machine it is the
steadier figure. Run: `.venv/bin/python bench/bench_read.py [--rows N] [--repeat K]`.
"""

from __future__ import annotations

import argparse
import csv
import gc
import random
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from slalang.data import Event, FieldSpec, read_events

TYPES = ["form_submitted", "page_view", "demo_request", "sales_touch", "sales_accepted"]
FIELDS = {
    "segment": FieldSpec("segment", "one_of", ("smb", "mid", "enterprise")),
    "company_size": FieldSpec("company_size", "number"),
    "title": FieldSpec("title", "text"),
}
HEADER = ["lead_id", "timestamp", "event", "event_id", "segment", "company_size", "title"]


def generate(path: Path, rows: int, per_lead: int = 10, zone_suffix: str = "Z") -> None:
    """Leads of `per_lead` events over March 2026 in shuffled time order, as exports come;
    `zone_suffix=""` writes local times without an offset."""
    rng = random.Random(20260301)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    segments = ("smb", "mid", "enterprise")
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            k = i % per_lead
            moment = start + timedelta(seconds=rng.randrange(31 * 86400))
            writer.writerow(
                [
                    f"L{i // per_lead:07d}",
                    moment.strftime("%Y-%m-%dT%H:%M:%S") + zone_suffix,
                    TYPES[i % len(TYPES)],
                    f"E{i}",
                    segments[i % 3] if k == 0 else "",
                    str(20 + i % 980) if k in (0, 3) else "",
                    "VP Sales" if k == 0 else "",
                ]
            )


def slalang_read(path: Path) -> int:
    log = read_events([str(path)], FIELDS, TYPES)
    return log.stats.events


def slalang_read_local(path: Path) -> int:
    """Local times without an offset, read in a zone with DST (`--timezone`)."""
    log = read_events([str(path)], FIELDS, TYPES, timezone="America/New_York")
    return log.stats.events


def csv_floor(path: Path) -> int:
    """Only the csv module's parse: what any pure-Python reader pays before its own work."""
    count = 0
    with path.open(newline="", encoding="utf-8") as handle:
        for _ in csv.reader(handle):
            count += 1
    return count - 1


def arrow_read(path: Path) -> int:
    """Arrow parses and converts columns in C; per-lead Event lists are still Python objects.

    No rejection accounting or row numbers beyond what a clean file needs: a lower bound
    for what an Arrow-based reader could reach, not a drop-in replacement.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(use_threads=False),
        convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in HEADER}),
    )
    ts = pc.strptime(table["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", unit="s")
    epoch = ts.cast(pa.int64()).to_pylist()
    size = pc.cast(
        pc.if_else(pc.equal(table["company_size"], ""), None, table["company_size"]), pa.float64()
    )
    types = {t: t for t in TYPES}
    leads: defaultdict[str, list[Event]] = defaultdict(list)
    seen: set[str] = set()
    new = tuple.__new__
    columns = zip(
        table["lead_id"].to_pylist(),
        epoch,
        table["event"].to_pylist(),
        table["event_id"].to_pylist(),
        table["segment"].to_pylist(),
        size.to_pylist(),
        table["title"].to_pylist(),
        strict=True,
    )
    no_fields: dict[str, Any] = {}
    for seq, (lead, moment, kind, event_id, segment, company_size, title) in enumerate(columns):
        if event_id in seen:
            continue
        seen.add(event_id)
        values: dict[str, Any] = no_fields
        if segment or company_size is not None or title:
            values = {}
            if segment:
                values["segment"] = segment
            if company_size is not None:
                values["company_size"] = company_size
            if title:
                values["title"] = title
        leads[lead].append(new(Event, (moment, seq, types[kind], values, event_id, "f", seq + 2)))
    for timeline in leads.values():
        timeline.sort()
    return sum(len(t) for t in leads.values())


def measure(label: str, fn: Callable[[Path], int], path: Path, repeat: int) -> None:
    best_cpu = best_wall = float("inf")
    result = 0
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        gc.disable()  # as read_events does for itself, so every contender gets the same
        try:
            result = fn(path)
        finally:
            gc.enable()
        best_cpu = min(best_cpu, time.process_time() - cpu)
        best_wall = min(best_wall, time.perf_counter() - wall)
    print(f"{label:34s} {best_cpu:6.2f} s CPU  {best_wall:6.2f} s wall  ({result:,} events)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    path = Path(tempfile.gettempdir()) / f"slalang-bench-{args.rows}.csv"
    local = path.with_name(f"slalang-bench-{args.rows}-local.csv")
    for target, suffix in ((path, "Z"), (local, "")):
        if not target.exists():
            print(f"generating {target} ...")
            generate(target, args.rows, zone_suffix=suffix)
    print(f"{args.rows:,} rows, {path.stat().st_size / 1e6:.0f} MB; best of {args.repeat}")
    measure("csv module, parse only (floor)", csv_floor, path, args.repeat)
    measure("slalang read_events", slalang_read, path, args.repeat)
    measure("slalang read_events, local times", slalang_read_local, local, args.repeat)
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        print("pyarrow not installed: Arrow comparison skipped")
    else:
        measure("pyarrow parse + Python objects", arrow_read, path, args.repeat)


if __name__ == "__main__":
    main()
