"""Benchmark of the compiled kernel against the reference replay, on the same events.

For each size, in a fresh process: the seed policy's sample log is read once (reference
reader) and turned into a batch; then the reference replay (`replay_all`) and the kernel
(`Kernel.results` into the same `Reducer`) run on it. Printed: per-event time of each, the
kernel loop alone, the conversion of its rows to lead results, and the kernel's start: the
first run on a machine (generate + numba compile, empty cache) and a cached start (a new
process loading the machine code numba kept). Both reports are compared byte for byte.
Times are CPU seconds of the (single-threaded) process, so a busy machine skews them less
than wall time. Not a test: figures go in the notes.

    python bench/bench_kernel.py --events 100000 1000000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_evaluate import POLICY, sample


def measure(events_path: Path) -> dict[str, Any]:
    """One comparison in this process (run it in a fresh one, with the cache to test)."""
    started = time.process_time()
    from slalang.data import read_events
    from slalang.engine.batch import from_event_log
    from slalang.engine.kernel import load as load_kernel
    from slalang.evaluate.aggregate import Reducer, Totals, Window
    from slalang.evaluate.run import Span as RunSpan
    from slalang.evaluate.run import field_specs, frame, replay_all, report
    from slalang.load import load
    from slalang.memory import gc_paused
    from slalang.plan import compile_program

    imported = time.process_time() - started
    plan = compile_program(load(POLICY))
    log = read_events([str(events_path)], field_specs(plan), plan["events"])
    types = {name: entry["type"] for name, entry in plan["fields"].items()}
    t0 = time.process_time()
    batch = from_event_log(log, types, plan["events"])
    t1 = time.process_time()
    judged = frame(log.stats, None, RunSpan())
    window = Window(None, None)
    reference = replay_all(plan, log, judged.as_of, window)
    t2 = time.process_time()
    kernel = load_kernel(plan)
    t3 = time.process_time()
    loop = [0.0]

    def timed(*args: Any) -> Any:
        begun = time.process_time()
        out = kernel.function(*args)
        loop[0] += time.process_time() - begun
        return out

    first_call = time.process_time()
    probe = dataclasses.replace(kernel, function=timed)
    reducer = Reducer(plan, window)
    totals = Totals()
    with gc_paused():  # as the reference's replay_all does
        for result in probe.results(batch, judged.as_of):
            reducer.add(totals, result)
    t4 = time.process_time()
    same = json.dumps(report(plan, reference, log.stats, judged, None)) == json.dumps(
        report(plan, totals, log.stats, judged, None)
    )
    return {
        "events": log.stats.events,
        "leads": log.stats.leads,
        "import_s": imported,
        "batch_s": t1 - t0,
        "reference_s": t2 - t1,
        "kernel_load_s": t3 - t2,
        "kernel_total_s": t4 - first_call,
        "kernel_loop_s": loop[0],
        "same_report": same,
    }


def run(path: Path, cache: str) -> dict[str, Any]:
    environment = {**os.environ, "SLALANG_CACHE_DIR": cache}
    out = subprocess.run(
        [sys.executable, __file__, "--measure", str(path)],
        check=True,
        capture_output=True,
        text=True,
        env=environment,
    )
    figures: dict[str, Any] = json.loads(out.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory() as cache:
        for size in args.events:
            path = sample(size)
            for start in ("first run (empty cache)", "cached start"):
                f = run(path, cache)
                n = f["events"]
                print(
                    f"{n:>10,} events, {f['leads']:,} leads, {start}: "
                    f"kernel load {f['kernel_load_s']:.2f} s; "
                    f"reference replay {f['reference_s'] / n * 1e9:,.0f} ns/event, "
                    f"kernel loop {f['kernel_loop_s'] / n * 1e9:,.1f} ns/event, "
                    f"kernel + lead results + reduce {f['kernel_total_s'] / n * 1e9:,.0f} "
                    f"ns/event ({f['reference_s'] / f['kernel_total_s']:.1f}x); "
                    f"EventLog to batch {f['batch_s']:.2f} s; "
                    f"reports identical: {f['same_report']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
