"""Edge cases of folding the kernel's records column by column (`slalang.engine.fold`),
each against the reference replay byte for byte: the paths the generated logs rarely take."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from slalang.data import EventLog, read_events
from slalang.engine import kernel
from slalang.evaluate.run import field_specs
from slalang.load import load_text
from slalang.plan import compile_program
from tests.engine.differential import assert_same_report

POLICY = """\
agreement "Fold" {
  timezone "UTC"
}
calendar office {
  timezone "UTC"
  open mon-fri 09:00-17:00
}
events form, view, touch, won
field amount: number
field size: number
field rep: text
stage lead on form
stage customer on won
sla first_touch {
  start when entering lead
  stop on touch
  within 1 hour when size > 5
}
sla follow_up {
  start when entering lead
  stop on touch
  within 2 business hours using office
  warn at 50%
}
target revenue { monthly: sum(amount, entering customer) >= 10 }
target by_rep { monthly by rep: sum(amount, entering customer) >= 10 }
target touch_rate { monthly by rep: compliance(follow_up) >= 90% }
"""


def _run(
    rows: list[dict[str, object]],
    as_of: int | None = None,
    policy: str = POLICY,
    jit: bool = False,
) -> dict[str, Any]:
    plan = compile_program(load_text(policy, "fold.sla"))
    data = "".join(json.dumps(row) + "\n" for row in rows).encode("utf-8")
    log: EventLog = read_events(["-"], field_specs(plan), plan["events"], stdin=io.BytesIO(data))
    return assert_same_report(plan, log, as_of=as_of, jit=jit)


def _row(lead: str, at: str, event: str, **fields: object) -> dict[str, object]:
    return {"lead_id": lead, "timestamp": at, "event": event, **fields}


def test_an_exempt_clock_stopped_at_the_epoch_reads_its_end_as_the_reference_does() -> None:
    """`stopped or cancelled or as_of`: a stop at instant 0 counts as no stop."""
    report = _run(
        [
            _row("A", "1969-12-31T23:00:00Z", "form", size=1),
            _row("A", "1970-01-01T00:00:00Z", "touch"),
            _row("B", "1970-01-01T05:00:00Z", "view"),
        ]
    )
    exempt = [c for c in report["clocks"] if c["status"] == "exempt"]
    assert exempt and exempt[0]["elapsed_seconds"] == 6 * 3600


def test_leads_without_entries_and_inexact_sums() -> None:
    """Leads that only view pages add nothing; 0.1 + 0.2 + … is summed exactly (the
    correctly rounded total, not float addition in row order), and amounts past 2**53
    too, per period and per group."""
    rows = [_row(f"V{i}", "2026-03-02T10:00:00Z", "view") for i in range(5)]
    amounts = [0.1, 0.2, 0.3, 1e16, 1.0, -1e16, 2.5]
    for i, amount in enumerate(amounts):
        day = f"2026-0{3 + i % 2}-0{2 + i}T10:00:00Z"
        rows.append(_row(f"C{i}", day, "form", rep="ann" if i % 3 else "bob", size=10))
        rows.append(_row(f"C{i}", day.replace("T10", "T11"), "won", amount=amount))
    report = _run(rows)
    assert {t["value"] for t in report["targets"] if t["target"] == "revenue"}


def test_clocks_at_risk_pending_and_missed_at_as_of() -> None:
    rows = [
        _row("A", "2026-03-02T09:00:00Z", "form", rep="ann", size=10),
        _row("B", "2026-03-02T09:30:00Z", "form", rep="bob", size=10),
        _row("C", "2026-03-02T10:30:00Z", "form", size=10),
        _row("D", "2026-03-02T10:59:00Z", "form", rep="ann"),
    ]
    report = _run(rows, as_of=1772449200)  # 2026-03-02T11:00:00Z
    statuses = {c["status"] for c in report["clocks"]}
    assert {"at_risk", "pending", "missed"} <= statuses


def test_lead_ids_json_escapes_or_keeps_as_the_report_encoder_does() -> None:
    """Quotes, backslashes and control characters escaped; other text (é, emoji, U+2028)
    written as it is, since the report keeps non-ASCII text readable."""
    leads = [
        'say "hi"',
        "back\\slash",
        "tab\there",
        "caf\u00e9 \U0001f600",
        "line\u2028sep",
        "\x01",
    ]
    rows = []
    for lead in leads:
        rows.append(_row(lead, "2026-03-02T09:00:00Z", "form", size=10))
        rows.append(_row(lead, "2026-03-02T12:00:00Z", "touch"))
    report = _run(rows)
    assert {s["lead_id"] for s in report["stages"]} == set(leads)


ROUNDING = POLICY.replace(
    "stage lead on form",
    "score fit {\n  +10 when round(size / 8, 1) = 1.6\n  +5 when round(size * 0.125) >= 2\n}\n"
    "stage lead on form\nstage hot when fit >= 10",
)


def test_round_in_a_rule_compiled_by_numba() -> None:
    """Ties as written (12.5 / 8 = 1.5625 → 1.6; 0.625 → 1), through the kernel's
    machine code."""
    rows = []
    for i, size in enumerate((12.5, 5, 16, 13, 0.5, -12.5)):
        rows.append(_row(f"L{i}", "2026-03-02T09:00:00Z", "form", size=size))
    report = _run(rows, policy=ROUNDING, jit=True)
    hot = {s["lead_id"] for s in report["stages"] if s["stage"] == "hot"}
    assert hot == {"L0", "L3"}


PAUSES = """\
agreement "Pauses" {
  timezone "UTC"
}
calendar office {
  timezone "UTC"
  open mon-fri 09:00-17:00
}
events form, hold, back, touch, quit
field size: number
stage lead on form
exit on quit
sla quick {
  start when entering lead
  stop on touch
  pause on hold
  resume on back, form
  within 1 hour when size > 5
}
sla office_hours {
  start when entering lead
  stop on touch
  pause on hold
  resume on back
  within 2 business hours using office
  warn at 50%
}
sla two_days {
  start when entering lead
  stop on touch
  pause on hold
  resume on back
  within 2 business days using office
}
"""


@pytest.mark.parametrize("chunk", [None, 1])
def test_pauses_and_resumes_judged_column_by_column(
    chunk: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clocks paused and resumed several times (a Friday pause over the weekend), a
    resume with no pause, a pause after the deadline (ignored), a clock stopped or
    cancelled while paused, one still paused at `as_of`, and exempt clocks that pause
    (no goal: wall-clock pauses): every deadline, status and paused time as the
    reference's own pause steps give them; also with the kernel's records cut into runs
    of a lead or two (`chunk`), whose clocks are judged together."""
    if chunk is not None:
        monkeypatch.setattr(kernel, "CHUNK", chunk)
    day = "2026-03-0{}T{}:00Z"  # 2026-03-02 is a Monday
    script = {
        "A": [
            (2, "09:00", "form"),
            (2, "09:20", "hold"),
            (2, "13:00", "back"),
            (2, "14:00", "touch"),
        ],
        "B": [
            (2, "10:00", "form"),
            (2, "10:10", "back"),
            (2, "10:30", "hold"),
            (2, "10:40", "back"),
            (2, "11:00", "hold"),
            (3, "09:30", "back"),
            (3, "10:05", "hold"),
            (3, "10:06", "back"),
        ],
        "C": [(2, "10:00", "form"), (2, "16:50", "hold"), (2, "17:30", "touch")],
        "D": [(2, "10:00", "form"), (2, "11:30", "hold"), (2, "12:00", "quit")],
        "E": [(6, "16:00", "form"), (6, "16:30", "hold"), (9, "10:00", "back")],
        "F": [(2, "12:00", "form"), (2, "12:30", "hold")],
        "G": [
            (2, "15:00", "form"),
            (2, "18:00", "hold"),
            (3, "08:00", "back"),
            (3, "08:30", "hold"),
            (3, "09:00", "form"),
            (3, "09:10", "hold"),
            (4, "09:00", "back"),
        ],
    }
    rows = []
    for lead, steps in script.items():
        size = 10 if lead in "ACE" else 1
        for date, clock, event in steps:
            rows.append(_row(lead, day.format(date, clock), event, size=size))
    report = _run(rows, as_of=1773144000, policy=PAUSES)  # 2026-03-10T12:00:00Z
    statuses = {c["status"] for c in report["clocks"]}
    assert {"met", "late", "missed", "pending", "cancelled", "exempt"} <= statuses
    assert any(c["paused"] for c in report["clocks"])
    assert any(c["paused_seconds"] for c in report["clocks"] if c["goal"] is None)
