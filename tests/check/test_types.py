"""Types pass (and `infer`): comparisons, `one of` sets, conditions and arithmetic."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.check.conftest import Checker

BASE = """\
events form_submitted, demo_request
field title: text
field company_size: number
field segment: one of "smb", "mid", "enterprise"
field is_partner: bool
field signed_on: date
let floor = 10
score engagement { +30 per demo_request }
stage lead on form_submitted
stage mql when {condition}
"""


def policy(condition: str) -> str:
    return BASE.replace("{condition}", condition)


def column_of(condition: str, part: str) -> int:
    """The 1-based column of `part` in the condition on line 10."""
    return len("stage mql when ") + condition.index(part) + 1


CLEAN = [
    'title = "VP" and company_size >= 200 and segment != "smb" and is_partner = true',
    'signed_on >= 2026-01-01 and signed_on < 2027-01-01 and segment in ("smb", "mid")',
    'title matches "(?i)\\bvp\\b" and segment matches "^ent" and title is present',
    "engagement + company_size * 2 - floor / 4 >= 50% and not (company_size is missing)",
    "company_size not in (1, 2, 3) or -engagement < floor",
    '(title = "x" or title = "y") and 200 <= company_size and floor < engagement',
]


@pytest.mark.parametrize("condition", CLEAN)
def test_well_typed_conditions_pass(diagnose: Checker, condition: str) -> None:
    # every declaration is used by at least one of the conditions; ignore unused here
    assert [d for d in diagnose(policy(condition)) if d.code != "SLA219"] == []


@pytest.mark.parametrize(
    ("condition", "part", "code", "message", "help"),
    [
        (
            'company_size >= "200"',
            '"200"',
            "SLA220",
            'cannot compare the number field `company_size` with the text `"200"`',
            "write the number without quotes: `200`",
        ),
        (
            'signed_on >= "2026-01-01"',
            '"2026',
            "SLA220",
            'cannot compare the date field `signed_on` with the text `"2026-01-01"`',
            "write the date without quotes: `2026-01-01`",
        ),
        (
            'is_partner = "true"',
            '"true"',
            "SLA220",
            'cannot compare the bool field `is_partner` with the text `"true"`',
            "write `true` without quotes",
        ),
        (
            "title = 5",
            "5",
            "SLA220",
            "cannot compare the text field `title` with the number `5`",
            None,
        ),
        (
            "segment = floor",
            "segment",
            "SLA220",
            "cannot compare the `one of` field `segment` with the let `floor`",
            None,
        ),
        (
            'segment = "enterprize"',
            '"enterprize"',
            "SLA221",
            '`"enterprize"` is not one of the values of `segment`',
            '`segment` is one of "smb", "mid", "enterprise"',
        ),
        (
            'segment in ("smb", "large")',
            '"large"',
            "SLA221",
            '`"large"` is not one of the values of `segment`',
            '`segment` is one of "smb", "mid", "enterprise"',
        ),
        (
            'company_size matches "^[0-9]+$"',
            "company_size",
            "SLA222",
            "`matches` needs a text field, found the number field `company_size`",
            "use `matches` on `text` fields; compare numbers with `<`, `>=`, ...",
        ),
        (
            "engagement + 10",
            "engagement",
            "SLA223",
            "expected a condition, found a number",
            "compare it, e.g. `engagement + 10 >= 10`",
        ),
        (
            "is_partner",
            "is_partner",
            "SLA223",
            "expected a condition, found the bool field `is_partner`",
            "write `is_partner = true`",
        ),
        (
            "engagement > 1 and title",
            "title",
            "SLA223",
            "expected a condition, found the text field `title`",
            'compare it, e.g. `title = "..."` or `title is present`',
        ),
        (
            "engagement + title >= 50",
            "title",
            "SLA224",
            "expected a number, found the text field `title`",
            "`+` works on numbers: fields of type `number`, scores and lets",
        ),
        (
            'title < "m"',
            "title",
            "SLA225",
            "`<` needs numbers or dates, found the text field `title`",
            "text, `one of` and bool values can only be tested with `=`, `!=` or `in (...)`",
        ),
        (
            "engagement is present",
            "engagement",
            "SLA226",
            "`is present` tests a field, found the score `engagement`",
            "scores and lets always have a value; only a lead's fields can be missing",
        ),
        (
            "(engagement > 1) = true",
            "(engagement",
            "SLA220",
            "cannot compare a condition with a value",
            "join conditions with `and` or `or`",
        ),
    ],
)
def test_type_errors(
    diagnose: Checker, condition: str, part: str, code: str, message: str, help: str | None
) -> None:
    found = [d for d in diagnose(policy(condition)) if d.code != "SLA219"]
    assert [(d.code, d.message) for d in found] == [(code, message)]
    assert (found[0].span.line, found[0].span.column) == (10, column_of(condition, part))
    assert found[0].help == help


def test_a_value_outside_a_set_suggests_the_closest(diagnose: Checker) -> None:
    found = diagnose(policy('segment = "enterprize"'))
    assert found[-1].label == "did you mean `enterprise`?"


def test_each_wrong_value_of_a_list_is_reported(diagnose: Checker) -> None:
    condition = 'company_size in ("small", 5, "large")'
    found = [d for d in diagnose(policy(condition)) if d.code != "SLA219"]
    assert [(d.code, d.span.column) for d in found] == [
        ("SLA220", column_of(condition, '"small"')),
        ("SLA220", column_of(condition, '"large"')),
    ]


def test_an_unknown_name_gives_one_diagnostic_not_a_cascade(diagnose: Checker) -> None:
    found = [d for d in diagnose(policy('titel = 5 and titel matches "x"')) if d.code != "SLA219"]
    assert [d.code for d in found] == ["SLA203", "SLA203"]


def test_where_and_goal_conditions_are_typed_too(diagnose: Checker) -> None:
    text = policy("engagement >= 30") + (
        "sla s {\n"
        "  start on demo_request where company_size\n"
        "  stop on form_submitted\n"
        '  within 1 day when segment = "big"\n'
        "  within 2 days otherwise\n"
        "}\n"
    )
    found = [d for d in diagnose(text) if d.code != "SLA219"]
    assert [(d.code, d.span.line, d.span.column) for d in found] == [
        ("SLA223", 12, 31),
        ("SLA221", 14, 31),
    ]


def test_require_takes_fields_or_conditions(diagnose: Checker) -> None:
    text = policy("engagement >= 30") + (
        "handoff mql { require title, company_size > 0, engagement, floor + 1 }\n"
    )
    found = [d for d in diagnose(text) if d.code != "SLA219"]
    assert [(d.code, d.span.column, d.message) for d in found] == [
        ("SLA223", 48, "`require` takes fields or conditions, found the score `engagement`"),
        ("SLA223", 60, "`require` takes fields or conditions, found a number"),
    ]


@pytest.mark.parametrize(
    ("lets", "condition", "help"),
    [
        ("", "engagement / 0 > 1", None),
        ("let none = floor - 10\n", "engagement / none > 1", "this divisor works out to 0"),
        ("", "engagement / 0% > 1", None),
    ],
)
def test_division_by_zero(diagnose: Checker, lets: str, condition: str, help: str | None) -> None:
    column = column_of(condition, condition.split(" / ")[1].split()[0])
    found = [d for d in diagnose(lets + policy(condition)) if d.code != "SLA219"]
    assert [(d.code, d.message, d.span.column, d.help) for d in found] == [
        ("SLA233", "division by zero", column, help)
    ]
