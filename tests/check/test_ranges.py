"""Issue 9: every number, duration and date a policy writes fits what runs it, or `check`
says so (SLA240, SLA320, SLA301) — a 400-digit let, `within 10^400 hours` or `until
9999-12-31` used to pass `check` and crash `evaluate` with OverflowError or ValueError.
At each limit the policy checks clean and every engine runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from slalang.check import check
from slalang.diagnostics import Level
from slalang.engine import choose
from slalang.load import load_text
from tests.conftest import invoke

BASE = """\
agreement "Ranges" {
  timezone "America/New_York"
  effective EFFECTIVE
}
calendar office {
  open mon-fri 09:00-17:00
  closed 2026-12-24
}
events form_submitted, sales_touch
field size: number
score fit SCORE_WINDOW{
  POINTS when size >= 5
  +5 per form_submitted, at most AT_MOST
  limit LIMIT
}
stage lead on form_submitted
stage mql when CONDITION
sla touch {
  start when entering lead
  stop on sales_touch
  within WITHIN
}
target mqls {
  monthly: GOAL
}
let x = LET
"""
DEFAULTS = {
    "EFFECTIVE": "2026-01-01",
    "SCORE_WINDOW": "",
    "POINTS": "+10",
    "AT_MOST": "25",
    "LIMIT": "100",
    "CONDITION": "fit >= 5 and size < x",
    "WITHIN": "4 business hours using office",
    "GOAL": "count(entering mql) >= 1",
    "LET": "1000",
}
EVENTS = """\
lead_id,timestamp,event,size
L1,2026-01-05T15:00:00Z,form_submitted,10
L2,2026-01-05T15:00:00Z,form_submitted,1
L2,2026-01-05T16:00:00Z,sales_touch,
"""
BIG = "1" + "0" * 400


def policy(**changes: str) -> str:
    text = BASE
    for key, value in {**DEFAULTS, **changes}.items():
        text = text.replace(key, value)
    return text


def errors(text: str) -> list[tuple[str, int, str]]:
    found = check(load_text(text, "p.sla"))
    return [(d.code, d.span.line, d.message) for d in found if d.level is Level.ERROR]


TOO_BIG = "is beyond 10^15"
BEYOND = {
    # name: (changes, code, line, part of the message)
    "a 400-digit let": ({"LET": BIG}, "SLA240", 26, TOO_BIG),
    "a let worked out past the bound": (
        {"LET": "1_000_000_000 * 1_000_000_000"},
        "SLA240",
        26,
        "`1_000_000_000 * 1_000_000_000` works out to 1e+18, beyond 10^15",
    ),
    "a let of lets past the bound": (
        {"LET": "x2 * x2\nlet x2 = 100_000_000"},
        "SLA240",
        26,
        "`x2 * x2` works out to 1e+16",
    ),
    "a number in a condition": ({"CONDITION": f"size >= {BIG}"}, "SLA240", 17, TOO_BIG),
    "a negative number": ({"CONDITION": "size >= -1_000_000_000_000_001"}, "SLA240", 17, TOO_BIG),
    "a percentage": ({"CONDITION": f"size >= {BIG}%"}, "SLA240", 17, TOO_BIG),
    "an in list": ({"CONDITION": f"size in (1, {BIG})"}, "SLA240", 17, TOO_BIG),
    "a constant call": ({"LET": f"ceil({BIG})"}, "SLA240", 26, TOO_BIG),
    "points": ({"POINTS": "+" + BIG}, "SLA240", 12, TOO_BIG),
    "at most": ({"AT_MOST": BIG}, "SLA240", 13, TOO_BIG),
    "a limit": ({"LIMIT": BIG}, "SLA240", 14, TOO_BIG),
    "a target's goal": ({"GOAL": f"count(entering mql) >= {BIG}"}, "SLA240", 24, TOO_BIG),
    "a goal's arithmetic": (
        {"GOAL": "count(entering mql) * (1_000_000_000 * 1_000_000_000) >= 1"},
        "SLA240",
        24,
        "`1_000_000_000 * 1_000_000_000` works out",
    ),
    "within 10^400 hours": (
        {"WITHIN": f"{BIG} hours using always"},
        "SLA320",
        21,
        "is longer than 3,650 days (ten years)",
    ),
    "within 3,651 days": (
        {"WITHIN": "3651 days using always"},
        "SLA320",
        21,
        "`3651 days` is longer than 3,650 days",
    ),
    "within 522 weeks": ({"WITHIN": "522 weeks using always"}, "SLA320", 21, "longer than"),
    "business days past ten years of the calendar": (
        {"WITHIN": "2606 business days using office"},
        "SLA320",
        21,
        "`2606 business days` is more than calendar `office` is open in ten years "
        "(2,605 business days)",
    ),
    "business hours past ten years of the calendar": (
        {"WITHIN": f"{BIG} business hours using office"},
        "SLA320",
        21,
        "(20,840 business hours)",
    ),
    "a 400-digit score window": (
        {"SCORE_WINDOW": f"within {BIG} days "},
        "SLA320",
        11,
        "longer than",
    ),
    "a rate's window": (
        {"GOAL": "rate(lead -> mql within 4000 days) >= 10%"},
        "SLA320",
        24,
        "`4000 days` is longer than",
    ),
    "until 9999-12-31": (
        {"EFFECTIVE": "2026-01-01 until 9999-12-31"},
        "SLA301",
        3,
        "`9999-12-31` is out of range",
    ),
    "effective 0001-01-01": (
        {"EFFECTIVE": "0001-01-01"},
        "SLA301",
        3,
        "`0001-01-01` is out of range",
    ),
    "a date in a condition": (
        {"CONDITION": "fit >= 5 and 9999-12-31 > 2026-01-01"},
        "SLA301",
        17,
        "out of range",
    ),
}


@pytest.mark.parametrize("name", sorted(BEYOND))
def test_check_refuses_what_no_engine_can_run(name: str, tmp_path: Path) -> None:
    changes, code, line, message = BEYOND[name]
    text = policy(**changes)
    found = errors(text)
    assert [(c, n) for c, n, _ in found] == [(code, line)], found
    assert message in found[0][2]
    assert "\n" not in found[0][2] and len(found[0][2]) < 200
    path = tmp_path / "p.sla"
    path.write_text(text, encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(EVENTS, encoding="utf-8")
    result = invoke(["evaluate", str(path), str(events)], 2)
    assert f"error[{code}]" in result.output and "internal error" not in result.output


AT_THE_LIMIT = {
    "a let of 10^15": {"LET": "1_000_000_000_000_000"},
    "a let worked out to 10^15": {"LET": "1_000_000_000 * 1_000_000"},
    "-10^15 in a condition": {"CONDITION": "fit >= 5 and size > -1_000_000_000_000_000"},
    "within 3,650 days": {"WITHIN": "3650 days using always"},
    "within 521 weeks": {"WITHIN": "521 weeks using always"},
    "2,605 business days": {"WITHIN": "2605 business days using office"},
    "20,840 business hours": {"WITHIN": "20840 business hours using office"},
    "a score window of 3,650 days": {"SCORE_WINDOW": "within 3650 days "},
    "until 9998-12-31": {"EFFECTIVE": "0002-01-01 until 9998-12-31"},
}


@pytest.mark.parametrize("name", sorted(AT_THE_LIMIT))
def test_at_the_limit_the_policy_checks_and_both_engines_run_it(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = policy(**AT_THE_LIMIT[name])
    assert errors(text) == []
    path = tmp_path / "p.sla"
    path.write_text(text, encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(EVENTS, encoding="utf-8")
    reference = invoke(["evaluate", str(path), str(events), "--format", "json"], 0).stdout
    clocks = {c["lead_id"]: c["status"] for c in json.loads(reference)["clocks"]}
    assert clocks == {"L1": "pending", "L2": "met"}
    monkeypatch.setattr(choose, "SMALL", 0)  # a small input: make `local` run the kernel
    local = ["evaluate", str(path), str(events), "--format", "json", "--engine", "local"]
    assert invoke(local, 0).stdout == reference
