"""Durations, lifecycle and targets passes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from slalang.diagnostics import Diagnostic

if TYPE_CHECKING:
    from tests.check.conftest import Checker

BASE = """\
events form_submitted, sales_touch, sales_accepted, sales_rejected
field segment: one of "smb", "enterprise"
field amount: number
calendar office { open mon-fri 09:00-17:00 }
stage lead on form_submitted
stage contacted
stage sql on sales_accepted
recycle to lead on sales_rejected
sla first_touch {
  start when entering lead
  stop on sales_touch
  GOALS
}
target t { monthly: count(reaching contacted) + sum(amount, entering sql) >= 1 }
"""


def sla(*goals: str, extra: str = "") -> str:
    """The base policy with these SLA goal lines (line 12 onwards) and extra statements."""
    return BASE.replace("GOALS", "\n  ".join(goals)) + extra


def relevant(diagnose: Checker, text: str) -> list[Diagnostic]:
    """The diagnostics that matter here: the small policies leave declarations unused."""
    return [d for d in diagnose(text) if d.code != "SLA219"]


def one(diagnose: Checker, text: str, code: str) -> Diagnostic:
    found = relevant(diagnose, text)
    assert [d.code for d in found] == [code], [d.message for d in found]
    return found[0]


# ---- durations ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "goal",
    [
        "within 4 business hours using office",
        "within 4 business hours",  # the only calendar
        "within 90 business minutes using always",
        "within 1 business day using office",
        "within 2 weeks",
        "within 1.5 hours",
    ],
)
def test_valid_durations(diagnose: Checker, goal: str) -> None:
    assert relevant(diagnose, sla(goal)) == []


@pytest.mark.parametrize(
    ("goal", "code", "message"),
    [
        ("within 0 hours", "SLA303", "a duration must be more than zero, found `0 hours`"),
        (
            "within 1.5 business days using office",
            "SLA303",
            "business days are counted whole, found `1.5 business days`",
        ),
        (
            "within 1 business week using office",
            "SLA304",
            "business time is counted in minutes, hours or days, not weeks",
        ),
    ],
)
def test_bad_durations(diagnose: Checker, goal: str, code: str, message: str) -> None:
    found = one(diagnose, sla(goal), code)
    assert (found.span.line, found.span.column, found.message) == (12, 10, message)


def test_a_business_duration_needs_a_calendar_when_there_is_not_exactly_one(
    diagnose: Checker,
) -> None:
    goals = ('within 4 business hours using night when segment = "smb"', "within 4 business hours")
    text = sla(*goals, extra="calendar night { open mon 22:00-06:00 }\n")
    found = one(diagnose, text, "SLA305")
    assert (found.span.line, found.span.column) == (13, 10)
    assert found.message == "`4 business hours` needs a calendar"
    assert found.help == "add `using office` or `using night`"


def test_with_no_calendar_at_all(diagnose: Checker) -> None:
    text = sla("within 1 business day").replace(
        "calendar office { open mon-fri 09:00-17:00 }\n", ""
    )
    found = one(diagnose, text, "SLA305")
    assert found.message == "`1 business day` needs a calendar, and the policy defines none"
    assert found.help == "add `using always`, or define a `calendar` block"


def test_score_and_rate_windows_use_the_only_calendar(diagnose: Checker) -> None:
    extra = (
        "score engagement within 5 business days { +1 per sales_touch }\n"
        "stage won when engagement > 3\n"
        "target r { monthly: rate(lead -> sql within 2 business days) >= 10% }\n"
    )
    assert relevant(diagnose, sla("within 1 day", extra=extra)) == []
    two = extra + "calendar night { open mon 22:00-06:00 }\n"
    found = relevant(diagnose, sla("within 1 day using night", extra=two))
    assert [(d.code, d.span.line) for d in found if d.level == "error"] == [
        ("SLA305", 15),
        ("SLA305", 17),
    ]


def test_a_calendar_on_calendar_time_is_ignored(diagnose: Checker) -> None:
    found = one(diagnose, sla("within 3 days using office"), "SLA306")
    assert (found.level, found.span.line, found.span.column) == ("warning", 12, 23)
    assert found.message == "calendar `office` is ignored: `3 days` is calendar time"
    assert found.help == "write `3 business days` to count on the calendar"


# ---- lifecycle ---------------------------------------------------------------------


def test_uses_of_a_stage_that_is_never_entered(diagnose: Checker) -> None:
    extra = (
        "handoff contacted { require segment }\n"
        "sla s { start when entering contacted\n stop on sales_touch\n within 1 day }\n"
        "target c { monthly: count(entering contacted) >= 1 }\n"
    )
    found = relevant(diagnose, sla("within 1 day", extra=extra))
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("SLA311", 15, 9, "stage `contacted` is never entered, so a handoff on it never runs"),
        ("SLA311", 16, 29, "stage `contacted` is never entered, so this SLA's clock never starts"),
        (
            "SLA311",
            19,
            36,
            "stage `contacted` is never entered, so its count of entries is always 0",
        ),
    ]
    assert found[2].help == (
        "give the stage a trigger, e.g. `stage contacted on EVENT` (line 6), "
        "or count `reaching contacted`"
    )


def test_a_recycle_to_the_last_stage_never_happens(diagnose: Checker) -> None:
    found = one(
        diagnose, sla("within 1 day").replace("recycle to lead", "recycle to sql"), "SLA312"
    )
    assert (found.level, found.span.line, found.span.column) == ("warning", 8, 12)


@pytest.mark.parametrize(
    ("goals", "expected"),
    [
        (('within 4 hours when segment = "smb"', "within 1 day otherwise"), []),
        (('within 4 hours when segment = "smb"', "within 1 day"), []),
        (
            ('within 4 hours when segment = "smb"', 'within 1 day when segment = "enterprise"'),
            [("SLA313", 13)],
        ),
        (("within 1 day otherwise", 'within 4 hours when segment = "smb"'), [("SLA314", 13)]),
        (("within 1 day", 'within 4 hours when segment = "smb"'), [("SLA314", 13)]),
        (("within 1 day otherwise", "within 2 days otherwise"), [("SLA314", 13)]),
    ],
)
def test_the_order_of_goals(
    diagnose: Checker, goals: tuple[str, ...], expected: list[tuple[str, int]]
) -> None:
    found = relevant(diagnose, sla(*goals))
    assert [(d.code, d.span.line) for d in found] == expected


def test_goal_messages(diagnose: Checker) -> None:
    (after,) = relevant(diagnose, sla("within 1 day otherwise", "within 2 days otherwise"))
    assert after.message == "a second `otherwise` can never be chosen"
    assert after.help == (
        "goals are tried in order; the one at p.sla:12 matches every lead, so put it last"
    )
    (open_ended,) = relevant(diagnose, sla('within 4 hours when segment = "smb"'))
    assert open_ended.level == "warning"
    assert open_ended.message == (
        "sla `first_touch` has no `otherwise` goal, so leads matching no goal get no deadline"
    )


@pytest.mark.parametrize(
    ("share", "code", "message"),
    [
        ("75%", None, None),
        ("0%", "SLA315", "`warn at 0%` never helps: every clock would be at risk from its start"),
        (
            "100%",
            "SLA315",
            "`warn at 100%` never helps: a clock at 100% of its time is missed, never at risk",
        ),
        (
            "120%",
            "SLA232",
            "`warn at` is a share of the time allowed, at most 100%, found `120%`",
        ),
    ],
)
def test_warn_at(diagnose: Checker, share: str, code: str | None, message: str | None) -> None:
    found = relevant(diagnose, sla("within 1 day", f"warn at {share}"))
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == (
        [] if code is None else [(code, 13, 11, message)]
    )


# ---- targets -----------------------------------------------------------------------


def target(goal: str) -> str:
    return sla("within 1 day", extra=f'metric visitors "v"\ntarget x {{ monthly: {goal} }}\n')


@pytest.mark.parametrize(
    "goal",
    [
        "count(entering lead) / metric(visitors) >= 300%",  # a ratio may exceed 100%
        "rate(lead -> sql within 30 days) >= 15%",
        "compliance(first_touch) >= 95%",
        'count(sales_touch where segment = "smb") != metric(visitors) - 1',
    ],
)
def test_valid_target_goals(diagnose: Checker, goal: str) -> None:
    assert relevant(diagnose, target(goal)) == []


@pytest.mark.parametrize(
    ("goal", "code", "part", "message"),
    [
        (
            "count(entering lead)",
            "SLA230",
            "count",
            "a target's goal must compare what it measures with a number",
        ),
        (
            "metric(visitors) > 1 and count(entering lead) > 1",
            "SLA230",
            "metric",
            "a target's goal must compare what it measures with a number",
        ),
        (
            "5 >= metric_free",
            "SLA230",
            "5",
            "this goal measures nothing: it uses no count, sum, rate, compliance or metric",
        ),
        (
            "amount >= 10",
            "SLA236",
            "amount",
            "a target's goal cannot read the field `amount` of a lead",
        ),
        (
            "sum(segment, entering sql) >= 10",
            "SLA231",
            "segment",
            "`sum` needs a number field, found the `one of` field `segment`",
        ),
        ("rate(lead -> sql) >= 120%", "SLA232", "120%", "a rate is at most 100%, found `120%`"),
        (
            "compliance(first_touch) > 1.5",
            "SLA232",
            "1.5",
            "compliance is at most 100%, found `1.5`",
        ),
        (
            "rate(lead -> sql) >= too_much",
            "SLA232",
            "too_much",
            "a rate is at most 100%, and this works out to 150%",
        ),
        (
            "count(entering lead where count(sales_touch) > 1) >= 1",
            "SLA229",
            "count(sales",
            "`count(...)` can be used only in a target's goal, not in a `where`",
        ),
    ],
)
def test_bad_target_goals(diagnose: Checker, goal: str, code: str, part: str, message: str) -> None:
    text = target(goal) + "let metric_free = 3\nlet too_much = 3 / 2\n"
    found = relevant(diagnose, text)
    assert [(d.code, d.message) for d in found] == [(code, message)]
    line = text.splitlines()[found[0].span.line - 1]
    assert line[found[0].span.column - 1 :].startswith(part)


def test_aggregates_belong_in_target_goals_only(diagnose: Checker) -> None:
    text = sla("within 1 day when count(sales_touch) > 2", "within 2 days otherwise")
    found = one(diagnose, text, "SLA229")
    assert (found.span.line, found.span.column) == (12, 21)
    assert found.message == "`count(...)` can be used only in a target's goal"
