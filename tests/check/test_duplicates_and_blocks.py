"""Duplicates and blocks passes: one definition per name, one of each setting per block,
nothing missing that a block cannot work without."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.check.conftest import Checker

BASE = """\
events form_submitted, sales_touch
field email: text
stage lead on form_submitted
handoff lead { require email }
sla first_touch {
  start when entering lead
  stop on sales_touch
  within 1 day
}
target leads { monthly: count(entering lead) >= 10 }
"""


def test_the_base_policy_is_clean(diagnose: Checker) -> None:
    assert diagnose(BASE) == []


@pytest.mark.parametrize(
    ("extra", "message", "column"),
    [
        ("field email: text\n", "field `email` is already declared at p.sla:2", 7),
        ("events sales_touch\n", "event `sales_touch` is already declared at p.sla:1", 8),
        ("stage lead on sales_touch\n", "stage `lead` is already declared at p.sla:3", 7),
        (
            "sla first_touch { start on sales_touch\n stop on form_submitted\n within 1 day }\n",
            "sla `first_touch` is already defined at p.sla:5",
            5,
        ),
        (
            "target leads { monthly: count(entering lead) >= 1 }\n",
            "target `leads` is already defined at p.sla:10",
            8,
        ),
        (
            "handoff lead { require email }\n",
            "stage `lead` already has a handoff at p.sla:4",
            9,
        ),
    ],
)
def test_a_second_definition_names_the_first(
    diagnose: Checker, extra: str, message: str, column: int
) -> None:
    found = diagnose.one(BASE + extra, "SLA214")
    assert found.message == message
    assert (found.span.line, found.span.column) == (11, column)


def test_a_second_agreement_and_a_repeated_party(diagnose: Checker) -> None:
    text = (
        'agreement "A" {\n  party sales "Sales"\n  party sales "Sales team"\n}\n'
        'agreement "B" { version "2" }\n' + BASE
    )
    found = diagnose(text)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("SLA214", 3, 9, "party `sales` is already declared at p.sla:2"),
        ("SLA214", 5, 1, "a policy has one agreement, and one already starts at p.sla:1"),
    ]
    assert found[1].span.end_column == 10  # the keyword, not the whole block


def test_the_builtin_calendar_cannot_be_redefined(diagnose: Checker) -> None:
    text = BASE.replace("within 1 day", "within 1 business day using always")
    found = diagnose.one(text + "calendar always { open mon 09:00-17:00 }\n", "SLA214")
    assert found.message == "`always` is the built-in calendar and cannot be redefined"


def test_fields_scores_and_lets_share_one_namespace(diagnose: Checker) -> None:
    text = BASE + "let email = 5\nscore email { +1 per sales_touch }\n"
    found = diagnose(text)
    assert [(d.code, d.span.line, d.message) for d in found] == [
        ("SLA215", 11, "let `email` has the same name as the field at p.sla:2"),
        ("SLA215", 12, "score `email` has the same name as the field at p.sla:2"),
    ]


def test_an_sla_may_share_its_name_with_an_event(diagnose: Checker) -> None:
    assert diagnose(BASE.replace("sla first_touch", "sla sales_touch")) == []


def test_values_listed_twice(diagnose: Checker) -> None:
    text = BASE.replace("stop on sales_touch", "stop on sales_touch, sales_touch")
    text = text.replace("require email", "require email, email")
    text += 'field segment: one of "smb", "mid", "mid", ""\n'
    text += 'target big { monthly: count(entering lead where segment = "smb") > 1 }\n'
    found = diagnose(text)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("SLA217", 4, 31, "field `email` is listed twice"),
        ("SLA217", 7, 24, "event `sales_touch` is listed twice"),
        ("SLA217", 11, 37, 'value `"mid"` is listed twice'),
        ("SLA218", 11, 44, "an empty text cannot be one of the values of `segment`"),
    ]


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("  start when entering lead\n", "", 5, "sla `first_touch` has no `start` line"),
        ("  stop on sales_touch\n", "", 5, "sla `first_touch` has no `stop` line"),
        ("  within 1 day\n", "", 5, "sla `first_touch` has no `within` goal"),
        ("monthly: count(entering lead) >= 10 ", "owner sales ", 10, "target `leads` has no goal"),
        (
            "{ require email }",
            "{ owner marketing }",
            4,
            "the handoff of `lead` has no `require` line",
        ),
    ],
)
def test_a_block_missing_what_it_cannot_work_without(
    diagnose: Checker, old: str, new: str, line: int, message: str
) -> None:
    assert old in BASE
    found = [d for d in diagnose(BASE.replace(old, new)) if d.code == "SLA300"]
    assert [(d.span.line, d.message) for d in found] == [(line, message)]


def test_a_score_without_rules(diagnose: Checker) -> None:
    text = BASE + "score empty { limit 10 }\nstage mql when empty > 1\n"
    found = diagnose.one(text, "SLA300")
    assert (found.span.line, found.span.column, found.message) == (
        11,
        7,
        "score `empty` has no rule",
    )


def test_settings_given_twice(diagnose: Checker) -> None:
    text = BASE.replace(
        "  within 1 day\n",
        "  within 1 day\n  owner sales\n  warn at 50%\n  owner marketing\n  warn at 60%\n",
    )
    text = text.replace("{ monthly:", "{ weekly: count(entering lead) >= 2  monthly:")
    text = 'agreement "A" {\n  version "1"\n  version "2"\n}\n' + text
    found = diagnose(text)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("SLA216", 3, 3, "`version` is already set on line 2"),
        ("SLA216", 15, 3, "`owner` is already set on line 13"),
        ("SLA216", 16, 3, "`warn at` is already set on line 14"),
        ("SLA216", 18, 51, "a target has one goal, and it is already set on line 18"),
    ]
