"""`pause` / `resume` in an sla (LANGUAGE §14.1): both halves, once each, names and types."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from slalang.diagnostics import PolicyError

if TYPE_CHECKING:
    from tests.check.conftest import Checker

HEAD = """\
events form_submitted, sales_touch, callback_requested, callback_due, lead_replied
field return_date: date
stage mql on form_submitted
"""


def sla(*lines: str) -> str:
    body = "\n".join(f"  {line}" for line in lines)
    return HEAD + (
        f"sla first_touch {{\n  start when entering mql\n  stop on sales_touch\n{body}\n"
        "  within 4 hours\n}\n"
    )


def codes(diagnose: Checker, text: str) -> list[str]:
    return [d.code for d in diagnose(text) if d.code != "SLA219"]


def test_pause_and_resume_together_pass(diagnose: Checker) -> None:
    text = sla(
        "pause on callback_requested where return_date is present",
        "resume on callback_due, lead_replied",
    )
    assert diagnose(text) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("pause on callback_requested", "sla `first_touch` has `pause` but no `resume`"),
        ("resume on callback_due", "sla `first_touch` has `resume` but no `pause`"),
    ],
)
def test_each_half_needs_the_other(diagnose: Checker, line: str, message: str) -> None:
    found = [d for d in diagnose(sla(line)) if d.code != "SLA219"]
    assert [(d.code, d.message) for d in found] == [("SLA318", message)]
    assert found[0].span.line == 7 and found[0].span.end_column - found[0].span.column == len(
        line.split()[0]
    )


def test_one_line_each(diagnose: Checker) -> None:
    text = sla(
        "pause on callback_requested",
        "resume on callback_due",
        "resume on lead_replied",
    )
    found = [d for d in diagnose(text) if d.code != "SLA219"]
    assert [(d.code, d.message, d.span.line) for d in found] == [
        ("SLA216", "`resume` is already set on line 8", 9)
    ]


def test_an_event_twice_on_the_line(diagnose: Checker) -> None:
    text = sla("pause on callback_requested, callback_requested", "resume on lead_replied")
    assert codes(diagnose, text) == ["SLA217"]


def test_unknown_events_and_fields_are_named(diagnose: Checker) -> None:
    text = sla("pause on callback_request where retrun_date is present", "resume on lead_replied")
    found = [d for d in diagnose(text) if d.code != "SLA219"]
    assert [(d.code, d.label) for d in found] == [
        ("SLA201", "did you mean `callback_requested`?"),
        ("SLA203", "did you mean `return_date`?"),
    ]


def test_where_must_be_a_condition(diagnose: Checker) -> None:
    text = sla("pause on callback_requested where return_date", "resume on lead_replied")
    assert codes(diagnose, text) == ["SLA223"]


def test_a_pause_event_that_also_stops_is_a_warning(diagnose: Checker) -> None:
    text = sla("pause on sales_touch, callback_requested", "resume on lead_replied")
    found = [d for d in diagnose(text) if d.code != "SLA219"]
    assert [(d.code, d.level.value, d.message) for d in found] == [
        ("SLA319", "warning", "`sales_touch` also stops the clock, so it never pauses it")
    ]


def test_a_stop_with_where_may_leave_the_pause_to_its_event(diagnose: Checker) -> None:
    text = HEAD + (
        "sla first_touch {\n  start when entering mql\n"
        "  stop on callback_requested where return_date is missing\n"
        "  pause on callback_requested\n  resume on lead_replied\n  within 4 hours\n}\n"
    )
    assert codes(diagnose, text) == []


def test_pause_and_resume_are_reserved_words(diagnose: Checker) -> None:
    with pytest.raises(PolicyError) as raised:
        diagnose("events pause, resume\n")
    assert [d.code for d in raised.value.diagnostics] == ["SLA106", "SLA106"]
