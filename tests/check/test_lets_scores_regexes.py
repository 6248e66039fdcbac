"""Lets, scores and regexes passes: constants, rules, cycles and linear-time patterns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from slalang.check.regexes import compile_error
from slalang.diagnostics import Diagnostic

if TYPE_CHECKING:
    from tests.check.conftest import Checker

TAIL = """\
events form_submitted, page_view, demo_request
field title: text
field company_size: number
stage lead on form_submitted
target leads { monthly: count(entering lead) >= goal }
"""


def relevant(diagnose: Checker, text: str) -> list[Diagnostic]:
    """The diagnostics that matter here: the small policies leave declarations unused."""
    return [d for d in diagnose(text) if d.code != "SLA219"]


def test_lets_may_hold_numbers_percentages_and_other_lets(diagnose: Checker) -> None:
    text = "let base = 1_000\nlet goal = -(base * 60% + 2.5) / 2 - base\n" + TAIL
    assert relevant(diagnose, text) == []


@pytest.mark.parametrize(
    ("expr", "part", "message"),
    [
        ("company_size * 2", "company_size", "a let cannot read the field `company_size`"),
        ("fit + 1", "fit", "a let cannot read the score `fit`"),
        ("count(page_view)", "count", "a let cannot use `count(...)`"),
        ("metric(visitors) * 2", "metric", "a let cannot use `metric(...)`"),
        ('"fifty"', '"fifty"', "a let must be a number"),
        ("1 > 0", "1 > 0", "a let must be a number"),
    ],
)
def test_what_a_let_may_not_hold(diagnose: Checker, expr: str, part: str, message: str) -> None:
    text = (
        f"let goal = {expr}\n"
        + TAIL
        + 'metric visitors "v"\nscore fit { +1 when title is present\n+1 per page_view }\n'
        + "stage mql when fit > 1 and count_ok > 0\nlet count_ok = 1\n"
        + "target t { monthly: count(demo_request) >= metric(visitors) }\n"
    )
    found = [d for d in diagnose(text) if d.code == "SLA227"]
    assert [(d.message, d.span.line, d.span.column) for d in found] == [
        (message, 1, len("let goal = ") + expr.index(part) + 1)
    ]


def test_lets_defined_in_terms_of_each_other(diagnose: Checker) -> None:
    text = "let goal = a + 1\nlet a = b * 2\nlet b = a / 2\nlet c = c\n" + TAIL
    found = relevant(diagnose, text)
    assert [(d.code, d.span.line, d.span.column, d.message) for d in found] == [
        ("SLA228", 2, 5, "let `a` is defined in terms of itself: `a` → `b` → `a`"),
        ("SLA228", 4, 5, "let `c` is defined in terms of itself"),
    ]


def test_scores_reading_each_other_in_a_circle(diagnose: Checker) -> None:
    text = (
        "let goal = 1\n" + TAIL + "score fit { +10 when engagement > 5 }\n"
        "score engagement { +5 per page_view where fit > 0 }\n"
        "score solo { +1 when solo > 0 }\n"
        "stage mql when fit + engagement + solo > 10\n"
    )
    found = relevant(diagnose, text)
    assert [(d.code, d.span.line, d.message) for d in found] == [
        ("SLA228", 7, "score `fit` is defined in terms of itself: `fit` → `engagement` → `fit`"),
        ("SLA228", 9, "score `solo` is defined in terms of itself"),
    ]


def test_rule_points_and_caps(diagnose: Checker) -> None:
    text = (
        "let goal = 1\n" + TAIL + "score engagement {\n"
        "  +0 per page_view\n"
        "  +5 per demo_request, at most 0\n"
        "  -5 when title is missing\n"
        "  limit -10\n"
        "}\n"
        "stage mql when engagement > 10\n"
    )
    found = relevant(diagnose, text)
    assert [(d.code, d.level, d.span.line, d.span.column, d.message) for d in found] == [
        ("SLA317", "warning", 8, 3, "this rule adds 0 points"),
        ("SLA316", "error", 9, 32, "`at most` must be more than 0, found `0`"),
    ]


# ---- regular expressions -------------------------------------------------------------


@pytest.mark.parametrize(
    "pattern",
    [r"(?i)\b(vp|director|head)\b", r"@(gmail|yahoo|hotmail)\.", r"(?i:ceo)", r"^\d{3,}\s*$"],
)
def test_linear_time_patterns_pass(pattern: str) -> None:
    assert compile_error(pattern) is None


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        (r"(a)\1", "a backreference `\\1`"),
        (r"(?P<x>a)(?P=x)", "a backreference `(?P=...)`"),
        (r"^(?!.*@acme)", "a negative lookahead `(?!`"),
        (r"vp(?=\s)", "a lookahead `(?=`"),
        (r"(?<=@)acme", "a lookbehind `(?<=`"),
        (r"(?<!no)reply", "a negative lookbehind `(?<!`"),
    ],
)
def test_backtracking_constructs_are_named(pattern: str, words: str) -> None:
    assert compile_error(pattern) == (
        "SLA235",
        f"pattern uses {words}, which needs backtracking",
        "policy patterns run in linear time (RE2): no backreferences or lookaround; "
        "test the other case with `not` or a second condition instead",
    )


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(vp|director", "invalid regular expression: missing ) in `(vp|director`"),
        ("[z-a]", "invalid regular expression: invalid character class range in `z-a`"),
        (r"\Z", "invalid regular expression: invalid escape sequence in `\\Z`"),
        ("a**", "invalid regular expression: bad repetition operator in `**`"),
    ],
)
def test_invalid_patterns_give_the_engines_reason(pattern: str, message: str) -> None:
    found = compile_error(pattern)
    assert found is not None
    assert found[:2] == ("SLA234", message)


def test_a_bad_pattern_points_at_its_string_and_prints_nothing(
    diagnose: Checker, capfd: pytest.CaptureFixture[str]
) -> None:
    text = (
        "let goal = 1\n" + TAIL + 'stage mql when title matches "(vp|dir" or title matches "ok"\n'
    )
    (found,) = relevant(diagnose, text)
    assert found.code == "SLA234"
    assert (found.span.line, found.span.column, found.span.end_column) == (7, 30, 39)
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""  # RE2's own logging is switched off


def test_a_long_chain_of_lets_is_evaluated_without_recursion(diagnose: Checker) -> None:
    chain = "\n".join(["let l0 = 1", *(f"let l{i} = l{i - 1} + 1" for i in range(1, 1500))])
    text = chain + "\nevents e\nstage s on e\ntarget t { monthly: rate(s -> s) >= l1499 / 100 }\n"
    found = diagnose.one(text, "SLA232")  # 1500 / 100 = 1500%: the value was worked out
    assert found.message == "a rate is at most 100%, and this works out to 1500%"
