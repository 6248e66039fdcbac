"""Benchmark of the business-time calendar engine against naive minute-by-minute stepping.

Run:  .venv/bin/python bench/bench_calendar.py [--n 1000000] [--naive-n 10000] [--seed 7]

Calendar: Mon-Fri 09:00-17:00 America/New_York with US public holidays. Queries (seeded):
deadlines `add_business_seconds_epoch(start, d)` with start uniform in 2024-2027 and d from
1 minute to 3 business days; elapsed `business_seconds_epoch(a, b)` with a uniform in
2024-2027 and b up to a week later (a clock's span from start to stop). Instants and
durations are whole minutes so the naive stepper is exact and its answers can be checked
against the engine's. Timings include the Python loop that issues the queries.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import holidays

from slalang.calendar import Calendar, from_epoch

ZONE = "America/New_York"
OPEN, CLOSE = 9 * 60, 17 * 60
FIRST = int(datetime(2024, 1, 1, tzinfo=UTC).timestamp())
LAST = int(datetime(2028, 1, 1, tzinfo=UTC).timestamp())
MAX_DEADLINE = 3 * 8 * 3600  # three business days of 8 hours
MAX_SPAN = 7 * 86400
CHUNK = 100_000  # queries are generated in chunks so inputs do not dominate memory


def office() -> Calendar:
    return Calendar(ZONE, {d: [(OPEN, CLOSE)] for d in range(5)}, holidays=(("US", None),))


def minutes(rng: random.Random, lo: int, hi: int) -> int:
    return lo + 60 * rng.randrange((hi - lo) // 60)


def queries(
    seed: int, n: int, draw: Callable[[random.Random], tuple[int, int]]
) -> Iterator[tuple[list[int], list[int]]]:
    """n seeded queries in chunks; query i is the same whatever n is."""
    rng = random.Random(seed)
    for done in range(0, n, CHUNK):
        pairs = [draw(rng) for _ in range(min(CHUNK, n - done))]
        yield [x for x, _ in pairs], [y for _, y in pairs]


def deadline_query(rng: random.Random) -> tuple[int, int]:
    return minutes(rng, FIRST, LAST), 60 * rng.randint(1, MAX_DEADLINE // 60)


def elapsed_query(rng: random.Random) -> tuple[int, int]:
    a = minutes(rng, FIRST, LAST)
    return a, a + 60 * rng.randrange(MAX_SPAN // 60)


def deadline_queries(seed: int, n: int) -> Iterator[tuple[list[int], list[int]]]:
    return queries(seed, n, deadline_query)


def elapsed_queries(seed: int, n: int) -> Iterator[tuple[list[int], list[int]]]:
    return queries(seed + 1, n, elapsed_query)


def timed(
    chunks: Iterator[tuple[list[int], list[int]]], query: Callable[[int, int], object]
) -> tuple[float, int, list[object]]:
    """Seconds spent in the query loops, the query count, and the first chunk's answers."""
    spent = 0.0
    count = 0
    first: list[object] = []
    for xs, ys in chunks:
        begin = time.perf_counter()
        answers = [query(x, y) for x, y in zip(xs, ys, strict=True)]
        spent += time.perf_counter() - begin
        count += len(xs)
        if not first:
            first = answers
    return spent, count, first


class NaiveStepper:
    """How business time is often computed: walk the clock one minute at a time."""

    def __init__(self) -> None:
        self.zone = ZoneInfo(ZONE)
        self.closed = set(holidays.country_holidays("US", years=range(2023, 2030)))

    def is_open(self, ts: int) -> bool:
        local = datetime.fromtimestamp(ts, self.zone)
        if local.weekday() >= 5 or local.date() in self.closed:
            return False
        return OPEN <= local.hour * 60 + local.minute < CLOSE

    def deadline(self, start: int, seconds: int) -> int:
        left, t = seconds // 60, start
        while True:
            if self.is_open(t):
                left -= 1
                if left == 0:
                    return t + 60
            t += 60

    def elapsed(self, a: int, b: int) -> int:
        return 60 * sum(self.is_open(t) for t in range(a, b, 60))


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rate(spent: float, count: int) -> str:
    return f"{spent / count * 1e6:9.2f} µs/query  ({count:,} queries, {spent:.2f} s)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="queries of each kind")
    parser.add_argument("--naive-n", type=int, default=10_000, help="naive queries per kind")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    n, naive_n = args.n, min(args.naive_n, args.n)

    print(f"Python {sys.version.split()[0]}; calendar: Mon-Fri 09:00-17:00 {ZONE}, US holidays")
    holidays.country_holidays("US", years=2026)  # load the library before measuring
    print(f"RSS after imports: {max_rss_mib():.1f} MiB")

    # Cold start, then the cache's size (tracemalloc slows Python, so on a second calendar).
    def warm(cal: Calendar) -> Calendar:
        for year in range(2024, 2028):
            cal.next_opening_epoch(int(datetime(year, 6, 1, tzinfo=UTC).timestamp()))
        return cal

    begin = time.perf_counter()
    cal = warm(office())
    cold = time.perf_counter() - begin
    tracemalloc.start()
    kept = warm(office())
    cache_bytes, cache_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del kept
    print(f"cold start: 4 years generated in {cold * 1e3:.1f} ms")
    print(f"cache: {cache_bytes / 1024:.0f} KiB held, {cache_peak / 1024:.0f} KiB peak")

    print("\nengine, epoch API")
    dl_spent, dl_count, dl_first = timed(
        deadline_queries(args.seed, n), cal.add_business_seconds_epoch
    )
    print(f"  deadline  {rate(dl_spent, dl_count)}")
    el_spent, el_count, el_first = timed(elapsed_queries(args.seed, n), cal.business_seconds_epoch)
    print(f"  elapsed   {rate(el_spent, el_count)}")

    # The same loop doing nothing, to show how much of the figure is the loop itself.
    loop_spent, loop_count, _ = timed(deadline_queries(args.seed, n), lambda a, b: a)
    print(f"  (empty loop {rate(loop_spent, loop_count)})")

    print("\nengine, datetime API (converts in and out)")
    dt_n = min(n, 100_000)
    xs, ys = next(deadline_queries(args.seed, dt_n))
    dts = [from_epoch(x) for x in xs]
    begin = time.perf_counter()
    for t, d in zip(dts, ys, strict=True):
        cal.add_business_seconds(t, d)
    print(f"  deadline  {rate(time.perf_counter() - begin, dt_n)}")
    xs, ys = next(elapsed_queries(args.seed, dt_n))
    pairs = [(from_epoch(a), from_epoch(b)) for a, b in zip(xs, ys, strict=True)]
    begin = time.perf_counter()
    for a, b in pairs:
        cal.business_seconds(a, b)
    print(f"  elapsed   {rate(time.perf_counter() - begin, dt_n)}")

    print(f"\nnaive minute-by-minute stepping, the first {naive_n:,} of the same queries")
    naive = NaiveStepper()
    nd_spent, nd_count, nd_answers = timed(deadline_queries(args.seed, naive_n), naive.deadline)
    ne_spent, ne_count, ne_answers = timed(elapsed_queries(args.seed, naive_n), naive.elapsed)
    print(f"  deadline  {rate(nd_spent, nd_count)}")
    print(f"  elapsed   {rate(ne_spent, ne_count)}")
    if nd_answers != dl_first[:naive_n] or ne_answers != el_first[:naive_n]:
        print("  MISMATCH between the engine and the naive stepper", file=sys.stderr)
        return 1
    print("  answers identical to the engine's")
    print(
        f"  ratio naive/engine: deadline {nd_spent / nd_count / (dl_spent / dl_count):,.0f}x, "
        f"elapsed {ne_spent / ne_count / (el_spent / el_count):,.0f}x"
    )

    print(f"\npeak RSS of the whole process: {max_rss_mib():.1f} MiB (inputs are in 100k chunks)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
