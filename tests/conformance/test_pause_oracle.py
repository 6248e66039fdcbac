"""Pausing clocks against a brute-force oracle: the replay's deadlines, elapsed and paused
times and statuses for random pause / resume / stop sequences, compared with a minute-by-
minute simulation of LANGUAGE §14.1 that uses no calendar arithmetic at all.

The oracle counts, minute by minute from the start, the open minutes the clock runs
(`counted`) and the open minutes it spends paused; a pause applies unless the clock is
already overdue; the deadline is the end of the minute in which `counted` reaches the
allowed time, never before the last resume (docs/language-pause-functions.md). The
hand-worked conformance cases pin the same rules on chosen instants; this test walks the
sequences nobody would think to write down (pauses at the deadline, resumes at night, a
pause and a resume in the same minute …).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slalang.evaluate.model import ClockRecord
from slalang.evaluate.replay import replay
from slalang.evaluate.runtime import build_runtime
from slalang.load import load_text
from slalang.plan import compile_program

MONDAY = int(datetime(2026, 2, 2, tzinfo=UTC).timestamp()) // 60  # in minutes
KINDS = ("hold", "back", "done")

POLICY = """\
calendar office {{
  timezone "UTC"
  open mon-fri 09:00-17:00
}}
events go, hold, back, done
sla respond {{
  start on go
  stop on done
  pause on hold
  resume on back
  within {amount} {unit}
}}
"""


class Event(NamedTuple):
    ts: int
    type: str
    fields: dict[str, Any]


def is_open(minute: int, business: bool) -> bool:
    if not business:
        return True
    day, of_day = divmod(minute, 1440)
    weekday = (day - MONDAY // 1440) % 7  # MONDAY is a Monday
    return weekday < 5 and 9 * 60 <= of_day < 17 * 60


@dataclass
class Expected:
    status: str
    due: int  # minutes
    elapsed: int  # minutes
    paused_minutes: int
    paused: bool


def oracle(
    start: int, allowed: int, events: list[tuple[int, str]], as_of: int, business: bool
) -> Expected:
    """LANGUAGE §14.1 minute by minute: `events` are (minute, kind) after `start`."""
    counted = paused_total = 0
    paused = False
    last_resume = start
    reached: int | None = None  # the end of the minute in which `counted` reached `allowed`
    stopped: int | None = None
    pending = sorted(events, key=lambda e: e[0])
    k = 0
    minute = start
    while minute < as_of:
        while k < len(pending) and pending[k][0] == minute:
            kind = pending[k][1]
            k += 1
            if stopped is not None:
                continue
            if kind == "done":
                stopped = minute
            elif kind == "back" and paused:
                paused, last_resume = False, minute
            elif kind == "hold" and not paused:
                overdue = reached is not None and minute > max(last_resume, reached)
                paused = not overdue
        if stopped is not None:
            break
        if is_open(minute, business):
            if paused:
                paused_total += 1
            else:
                counted += 1
                if counted == allowed and reached is None:
                    reached = minute + 1
        minute += 1
    end = stopped if stopped is not None else as_of
    if paused:
        last_resume = end  # the pause ends at the stop, or (for due_at) at as_of
    elapsed = counted
    probe, more = end, counted
    while reached is None:  # when the rest of the allowed time would run out from `end`
        if is_open(probe, business):
            more += 1
            if more == allowed:
                reached = probe + 1
        probe += 1
    due = max(reached, last_resume)
    if stopped is not None:
        status = "met" if stopped <= due else "late"
    elif paused:
        status = "pending"
    else:
        status = "missed" if as_of > due else "pending"
    return Expected(status, due, elapsed, paused_total, paused and stopped is None)


def _instant(draw: st.DrawFn, lo: int, hi: int) -> int:
    """A minute in [lo, hi]; often an opening or a close, where the edge cases are."""
    minute = draw(st.integers(lo, hi))
    if draw(st.booleans()):
        day = minute - minute % 1440
        minute = min(hi, max(lo, day + draw(st.sampled_from((9 * 60, 17 * 60)))))
    return minute


@st.composite
def timelines(draw: st.DrawFn) -> tuple[int, int, list[tuple[int, str]], int]:
    start = _instant(draw, MONDAY, MONDAY + 7 * 1440 - 1)
    # whole hours and whole office days put deadlines on closes, where pauses may land
    allowed = draw(st.one_of(st.integers(1, 1200), st.sampled_from((60, 240, 480, 960))))
    count = draw(st.integers(0, 8))
    events = sorted(
        (
            (_instant(draw, start + 1, start + 5 * 1440), draw(st.sampled_from(KINDS)))
            for _ in range(count)
        ),
        key=lambda e: e[0],
    )
    last = events[-1][0] if events else start
    as_of = last + draw(st.integers(1, 3 * 1440))
    return start, allowed, events, as_of


def run(
    start: int, allowed: int, events: list[tuple[int, str]], as_of: int, business: bool
) -> ClockRecord:
    unit = "business minutes" if business else "minutes"
    text = POLICY.format(amount=allowed, unit=unit)
    plan = compile_program(load_text(text, "p.sla", root=Path.cwd()))
    timeline = [Event(start * 60, "go", {}), *(Event(t * 60, k, {}) for t, k in events)]
    result = replay(build_runtime(plan), "L", timeline, as_of * 60)
    (clock,) = result.clocks
    return clock


ORACLE = settings(
    derandomize=True,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)


def check(business: bool, timeline: tuple[int, int, list[tuple[int, str]], int]) -> None:
    start, allowed, events, as_of = timeline
    want = oracle(start, allowed, events, as_of, business)
    got = run(start, allowed, events, as_of, business)
    assert (got.status, got.due_at, got.elapsed_seconds, got.paused_seconds, got.paused) == (
        want.status,
        want.due * 60,
        want.elapsed * 60,
        want.paused_minutes * 60,
        want.paused,
    ), (start, allowed, events, as_of)


@ORACLE
@given(timelines())
def test_business_minutes_agree_with_the_oracle(
    timeline: tuple[int, int, list[tuple[int, str]], int],
) -> None:
    check(True, timeline)


@ORACLE
@given(timelines())
def test_calendar_minutes_agree_with_the_oracle(
    timeline: tuple[int, int, list[tuple[int, str]], int],
) -> None:
    check(False, timeline)
