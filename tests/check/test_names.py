"""Names pass: unknown names with suggestions, fixed vocabularies, unused declarations."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.check.conftest import Checker

BASE = """\
agreement "Acme" {
  party marketing "Marketing"
  party sales "Sales"
}
events form_submitted, sales_touch, closed_won
field segment: one of "smb", "enterprise"
field amount: number
metric visitors "Monthly unique visitors"
calendar office { open mon-fri 09:00-17:00 }
score fit { +10 when segment = "enterprise" }
stage lead on form_submitted
stage customer on closed_won
sla first_touch {
  owner sales
  start when entering lead
  stop on sales_touch
  within 4 business hours using office when fit >= 10
  within 1 day otherwise
}
target revenue { owner marketing  monthly: sum(amount, entering customer) / metric(visitors) >= 1 }
"""


def test_the_base_policy_is_clean(diagnose: Checker) -> None:
    assert diagnose(BASE) == []


@pytest.mark.parametrize(
    ("old", "new", "code", "message", "label"),
    [
        (
            "stop on sales_touch",
            "stop on sales_tuch",
            "SLA201",
            "unknown event `sales_tuch`",
            "sales_touch",
        ),
        ("entering lead\n", "entering leed\n", "SLA202", "unknown stage `leed`", "lead"),
        ("sum(amount,", "sum(amont,", "SLA203", "unknown field `amont`", "amount"),
        ("when segment =", "when segmnt =", "SLA203", "unknown field `segmnt`", "segment"),
        ("when fit >=", "when fitt >=", "SLA203", "unknown score `fitt`", "fit"),
        ("using office", "using ofice", "SLA204", "unknown calendar `ofice`", "office"),
        ("owner sales\n", "owner slaes\n", "SLA205", "unknown party `slaes`", "sales"),
        ("metric(visitors)", "metric(visitor)", "SLA206", "unknown metric `visitor`", "visitors"),
    ],
)
def test_an_unknown_name_suggests_the_closest_one(
    diagnose: Checker, old: str, new: str, code: str, message: str, label: str
) -> None:
    assert old in BASE
    text = BASE.replace(old, new, 1)
    found = diagnose.one(text, code)
    assert found.message == message
    assert found.label == f"did you mean `{label}`?"
    line = next(i for i, t in enumerate(text.splitlines(), 1) if new.strip() in t)
    assert found.span.line == line
    assert text.splitlines()[line - 1][found.span.column - 1 :].startswith(message.split("`")[1])


def test_an_unknown_name_with_nothing_close_says_how_to_declare_it(diagnose: Checker) -> None:
    unused, found = diagnose(BASE.replace("stop on sales_touch", "stop on qqq"))
    assert (found.code, unused.code, unused.message) == (
        "SLA201",
        "SLA219",
        "event `sales_touch` is declared but never used",
    )
    assert found.label is None
    assert found.help == "declare it in an `events` line"


def test_compliance_names_an_sla(diagnose: Checker) -> None:
    text = BASE + "target t { monthly: compliance(frist_touch) >= 95% }\n"
    found = diagnose.one(text, "SLA207")
    assert (found.span.line, found.span.column) == (21, 32)
    assert found.message == "unknown sla `frist_touch`"


def test_owners_are_free_text_when_the_agreement_lists_no_parties(diagnose: Checker) -> None:
    text = BASE.replace('  party marketing "Marketing"\n  party sales "Sales"\n', "")
    assert diagnose(text) == []


def test_an_unknown_party_with_no_suggestion_lists_the_parties(diagnose: Checker) -> None:
    found = diagnose.one(BASE.replace("owner sales\n", "owner finance\n"), "SLA205")
    assert found.help == "the agreement's parties are `marketing` and `sales`"


@pytest.mark.parametrize(
    ("written", "suggested"), [("txt", "text"), ("string", "text"), ("integer", "number")]
)
def test_an_unknown_field_type_is_suggested(
    diagnose: Checker, written: str, suggested: str
) -> None:
    found = diagnose.one(BASE.replace("amount: number", f"amount: {written}"), "SLA208")
    assert found.message == f"unknown field type `{written}`"
    assert found.label == f"did you mean `{suggested}`?"
    assert (found.span.line, found.span.column) == (7, 15)


def test_an_unknown_period_and_severity(diagnose: Checker) -> None:
    text = BASE.replace("monthly:", "montly:").replace(
        "owner sales\n", "owner sales\n  severity critical\n"
    )
    found = diagnose(text)
    assert [(d.code, d.message, d.label) for d in found] == [
        ("SLA210", "unknown severity `critical`", None),
        ("SLA209", "unknown period `montly`", "did you mean `monthly`?"),
    ]
    assert found[0].help == "severity is `error`, `warning` or `info`"


@pytest.mark.parametrize(
    ("extra", "kind", "name"),
    [
        ("events page_view\n", "event", "page_view"),
        ("field title: text\n", "field", "title"),
        ("calendar weekend { open sat-sun 10:00-14:00 }\n", "calendar", "weekend"),
        ('metric budget "Monthly budget"\n', "metric", "budget"),
        ("let goal = 50\n", "let", "goal"),
    ],
)
def test_a_declaration_nothing_uses_is_a_warning(
    diagnose: Checker, extra: str, kind: str, name: str
) -> None:
    found = diagnose.one(BASE + extra, "SLA219")
    assert found.level == "warning"
    assert found.message == f"{kind} `{name}` is declared but never used"
    assert found.span.line == 21


def test_the_only_calendar_is_used_by_a_business_duration_without_using(
    diagnose: Checker,
) -> None:
    assert diagnose(BASE.replace(" using office", "")) == []


def test_a_suggested_name_is_not_also_reported_unused(diagnose: Checker) -> None:
    # `sales_touch` is used only through the typo: one diagnostic, not two
    assert diagnose.codes(BASE.replace("stop on sales_touch", "stop on sales_tuch")) == ["SLA201"]
