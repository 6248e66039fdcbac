"""Benchmark of the HTML report (`slalang evaluate --format html`) on the 1M-event file.

Generates, once (cached in bench/.cache/), the benchmark log the issue names:
`slalang sample policies/seed_funnel.sla DIR --leads 196500 --seed 1 --months 6` (about a
million events); evaluates it; then reports, for the page, the time to bundle the charting
runtime, to explain the worst leads, to build and render the page, and its size in bytes
(total, and without the runtime). The `leads` CSV is measured too. Not a test: figures go in
the notes.

    python bench/bench_html.py [--leads 196500]
"""

from __future__ import annotations

import argparse
import resource
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
POLICY = REPO / "policies" / "seed_funnel.sla"
CACHE = REPO / "bench" / ".cache"


def main() -> None:
    from slalang.api import load_policy
    from slalang.render.report import html, render_report
    from slalang.sample import write_sample

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=196_500)
    args = parser.parse_args()
    directory = CACHE / f"html-{args.leads}"
    events, metrics = directory / "events.csv", directory / "metrics.csv"
    policy = load_policy(str(POLICY))
    if not events.exists():
        directory.mkdir(parents=True, exist_ok=True)
        rows = write_sample(
            policy.plan, events, metrics, leads=args.leads, seed=1, start=date(2026, 1, 5), months=6
        )
        print(f"generated {rows:,} rows")

    started = time.perf_counter()
    report = policy.evaluate(str(events), metrics=str(metrics))
    evaluated = time.perf_counter() - started
    print(
        f"evaluate: {evaluated:.1f} s, {report.data['input']['events']:,} events, "
        f"{len(report.violations):,} violations, {len(report.data['clocks']):,} clocks"
    )

    started = time.perf_counter()
    runtime = html.vega_runtime()
    print(
        f"bundle the charting runtime: {time.perf_counter() - started:.1f} s "
        f"({len(runtime):,} bytes)"
    )

    started = time.perf_counter()
    timelines = html.explain_leads(report.plan or {}, report.leads, report.data, report.sources)
    print(f"explain the worst {len(timelines):,} leads: {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    page = render_report(
        report.data, "html", plan=report.plan, timelines=timelines, hide_empty=True
    )
    took = time.perf_counter() - started
    size = len(page.encode("utf-8"))
    own = size - len(runtime.encode("utf-8"))
    print(f"build and render the page: {took:.2f} s; {size:,} bytes ({own:,} without the runtime)")

    started = time.perf_counter()
    leads = render_report(report.data, "leads")
    print(
        f"leads CSV: {time.perf_counter() - started:.2f} s, {len(leads.encode('utf-8')):,} bytes, "
        f"{leads.count(chr(10)) - 1:,} rows"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
