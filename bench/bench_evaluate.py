"""Benchmark of the main job: `slalang evaluate --format json` on generated event logs.

Generates a log of about N events (10 per lead) for the seed-funnel policy once (cached in
bench/.cache/), then runs the evaluation in a fresh process per size and reports wall time,
events per second, peak RSS, and the share of time spent reading, replaying and
aggregating (building and writing the report). Not a test: figures go in the notes.

    python bench/bench_evaluate.py --events 1000000 10000000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "policies" / "seed_funnel.sla"
CACHE = REPO / "bench" / ".cache"


def sample(events: int) -> Path:
    """The cached event log of about `events` rows, generated on first use."""
    from slalang.load import load
    from slalang.plan import compile_program
    from slalang.sample import write_sample

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"events-{events}.csv"
    if not path.exists():
        plan = compile_program(load(POLICY))
        started = time.perf_counter()
        rows = write_sample(
            plan,
            path,
            CACHE / f"metrics-{events}.csv",
            leads=max(1, events // 5),  # the seed policy averages about 5 events a lead
            seed=1,
            start=date(2026, 1, 5),
            months=6,
        )
        took = time.perf_counter() - started
        print(f"generated {rows:,} rows in {took:.1f} s ({rows / took:,.0f} rows/s)", flush=True)
    return path


def measure(events_path: Path, jobs: int) -> dict[str, float]:
    """One evaluation in this process, phase by phase (run it in a fresh process)."""
    from slalang.data import read_events
    from slalang.evaluate.aggregate import Window
    from slalang.evaluate.report import build_report
    from slalang.evaluate.run import field_specs, input_summary, replay_all
    from slalang.load import load
    from slalang.plan import compile_program
    from slalang.render.report import render_report

    plan = compile_program(load(POLICY))
    t0 = time.perf_counter()
    log = read_events([str(events_path)], field_specs(plan), plan["events"])
    t1 = time.perf_counter()
    stats = log.stats
    assert stats.first_ts is not None and stats.last_ts is not None
    as_of = stats.last_ts
    totals = replay_all(plan, log, as_of, Window(None, None), jobs=jobs)
    t2 = time.perf_counter()
    span = (stats.first_ts, as_of)
    report = build_report(plan, totals, input_summary(log.stats), as_of, {}, span, span)
    text = render_report(report, "json")
    t3 = time.perf_counter()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "rows": stats.rows,
        "events": stats.events,
        "leads": stats.leads,
        "read_s": t1 - t0,
        "replay_s": t2 - t1,
        "aggregate_s": t3 - t2,
        "report_bytes": len(text),
        "peak_rss_mib": peak_kib / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.jobs[0])))
        return
    for size, jobs in [(size, jobs) for size in args.events for jobs in args.jobs]:
        path = sample(size)
        started = time.perf_counter()
        out = subprocess.run(
            [sys.executable, __file__, "--measure", str(path), "--jobs", str(jobs)],
            check=True,
            capture_output=True,
            text=True,
        )
        wall = time.perf_counter() - started
        figures = json.loads(out.stdout)
        busy = figures["read_s"] + figures["replay_s"] + figures["aggregate_s"]
        print(
            f"{figures['events']:>11,} events, {figures['leads']:,} leads, {jobs} process(es): "
            f"{wall:.1f} s wall (process), {busy:.1f} s in the pipeline, "
            f"{figures['events'] / busy:,.0f} events/s; "
            f"read {figures['read_s'] / busy:.0%}, replay {figures['replay_s'] / busy:.0%}, "
            f"aggregate+report {figures['aggregate_s'] / busy:.0%}; "
            f"peak RSS {figures['peak_rss_mib']:,.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()
