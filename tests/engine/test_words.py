"""A breach's words for many breaches at once (`slalang.engine.words`) against
`slalang.numbers` and `breach_message`, one value at a time."""

from __future__ import annotations

import numpy as np

from slalang import numbers as n
from slalang.engine.words import business_durations, durations, latenesses, messages
from slalang.evaluate.report import breach_message

SPANS = [0, 1, 59, 60, 61, 3599, 3600, 3661, 86399, 86400, 86401, 90061, 1_000_000, 10**9]


def _ints(values: list[int]) -> np.ndarray:
    return np.array(values, np.int64)


def test_durations_as_numbers_writes_them() -> None:
    assert durations(_ints(SPANS)).to_pylist() == [n.duration(s) for s in SPANS]


def test_business_durations_say_business_once_before_the_largest_part() -> None:
    """Open seconds are counted in hours, never folded into days (30 business hours)."""
    pairs = [
        (s, d) for s in [0, 1, 59, 60, 3600, 3660, 30 * 3600 + 60, 7 * 3600 + 5] for d in (0, 1, 2)
    ]
    seconds, days = _ints([s for s, _ in pairs]), _ints([d for _, d in pairs])
    got = business_durations(seconds, days).to_pylist()
    assert got == [n.business_duration(s, d) for s, d in pairs]


def test_latenesses_leave_out_the_wall_clock_when_the_calendar_was_open_all_along() -> None:
    cases = [(3600, 0, 3600, True), (3600, 0, 1800, True), (90000, 1, 0, True), (60, 0, 0, False)]
    wall, days, seconds = (_ints([c[i] for c in cases]) for i in range(3))
    business = np.array([c[3] for c in cases])
    got = latenesses(wall, days, seconds, business).to_pylist()
    want = [n.lateness(w, (d, s)) if b else n.lateness(w) for w, d, s, b in cases]
    assert got == want


def test_messages_around_each_breach_words() -> None:
    """Statuses, goals (one holding a quote and a NUL character) and paused times."""
    goals = ["2 business days", 'say "1 hour"\x00', "2 business days"]
    status, paused = _ints([1, 2, 2]), _ints([0, 0, 5400])
    late = latenesses(_ints([60, 7200, 90]), _ints([0, 0, 0]), _ints([0, 0, 0]), np.zeros(3, bool))
    got = messages(status, _ints([0, 1, 0]), goals[:2], paused, late).to_pylist()
    words = late.to_pylist()
    statuses = ["late", "missed", "missed"]
    want = [
        breach_message(*args) for args in zip(statuses, goals, [0, 0, 5400], words, strict=True)
    ]
    assert got == want
