"""Function calls (LANGUAGE §14.2): known names, arities, `round`'s decimals, number types."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from slalang.check.context import Context
from slalang.diagnostics import Diagnostic, PolicyError
from slalang.load import load_text

if TYPE_CHECKING:
    from pathlib import Path

    from tests.check.conftest import Checker

TAIL = """\
events form_submitted, demo_request
field title: text
field company_size: number
score fit { +10 when company_size >= 200 }
stage lead on form_submitted
target leads { monthly: count(entering lead) >= goal }
"""


def relevant(diagnose: Checker, text: str) -> list[Diagnostic]:
    """The diagnostics that matter here: the small policies leave declarations unused."""
    return [d for d in diagnose(text) if d.code != "SLA219"]


def one(diagnose: Checker, text: str, code: str) -> Diagnostic:
    found = relevant(diagnose, text)
    assert [d.code for d in found] == [code], [d.message for d in found]
    return found[0]


@pytest.mark.parametrize(
    "expr",
    [
        "ceil(56.25)",
        "floor(1_000 / 3)",
        "round(2.675, 2) + round(7)",
        "min(1, 2) + max(1, 2, 3, 4)",
        "abs(-(2 + 3))",
        "ceil(max(1, 2) / min(3, 4))",
    ],
)
def test_valid_calls_in_lets_pass(diagnose: Checker, expr: str) -> None:
    assert relevant(diagnose, f"let goal = {expr}\n" + TAIL) == []


def test_valid_calls_on_fields_scores_and_aggregates_pass(diagnose: Checker) -> None:
    text = (
        "events form_submitted\nfield company_size: number\n"
        "score fit { +10 when company_size >= 200 }\n"
        "stage lead on form_submitted\n"
        "stage mql when max(fit, company_size / 10) >= round(49.5) and abs(fit) < 100\n"
        "target t { monthly: ceil(count(entering mql) / 2) >= min(5, 6) }\n"
    )
    assert relevant(diagnose, text) == []


@pytest.mark.parametrize(
    ("expr", "message", "label"),
    [
        ("ciel(1)", "unknown function `ciel`", "did you mean `ceil`?"),
        ("rnd(1)", "unknown function `rnd`", "did you mean `round`?"),
        ("maximum(1, 2)", "unknown function `maximum`", "did you mean `max`?"),
        ("sqrt(4)", "unknown function `sqrt`", None),
    ],
)
def test_unknown_functions_suggest_the_closest(
    diagnose: Checker, expr: str, message: str, label: str | None
) -> None:
    found = one(diagnose, f"let goal = {expr}\n" + TAIL, "SLA237")
    assert found.message == message
    assert found.label == label
    assert found.span.column == len("let goal = ") + 1


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("ceil()", None),  # a syntax error: a call needs an argument
        ("ceil(1, 2)", "`ceil` takes 1 argument, found 2 arguments"),
        ("abs(1, 2, 3)", "`abs` takes 1 argument, found 3 arguments"),
        ("round(1, 2, 3)", "`round` takes 1 or 2 arguments, found 3 arguments"),
        ("min(1)", "`min` takes 2 or more arguments, found 1 argument"),
        ("max(1)", "`max` takes 2 or more arguments, found 1 argument"),
    ],
)
def test_arity(diagnose: Checker, expr: str, message: str | None) -> None:
    if message is None:
        with pytest.raises(PolicyError) as raised:
            diagnose(f"let goal = {expr}\n" + TAIL)
        assert [d.code for d in raised.value.diagnostics] == ["SLA101"]
        return
    assert one(diagnose, f"let goal = {expr}\n" + TAIL, "SLA238").message == message


@pytest.mark.parametrize(
    ("decimals", "found"),
    [("-1", "-1"), ("1.5", "1.5"), ("x", "x"), ("1 + 1", "1 + 1"), ("10%", "10%"), ("16", "16")],
)
def test_round_decimals_are_a_whole_literal(diagnose: Checker, decimals: str, found: str) -> None:
    found_diag = one(diagnose, f"let x = 2\nlet goal = round(x, {decimals})\n" + TAIL, "SLA239")
    assert found_diag.message.endswith(f"found `{found}`")


@pytest.mark.parametrize("decimals", ["0", "2", "1_0", "15"])
def test_round_accepts_whole_literals(diagnose: Checker, decimals: str) -> None:
    assert relevant(diagnose, f"let goal = round(2.5, {decimals})\n" + TAIL) == []


def test_arguments_must_be_numbers(diagnose: Checker) -> None:
    text = TAIL.replace(">= goal", ">= 1") + 'stage mql when max(title, 2) > 1 or abs("x") > 0\n'
    found = [d for d in relevant(diagnose, text)]
    assert [(d.code, d.message) for d in found] == [
        ("SLA224", "expected a number, found the text field `title`"),
        ("SLA224", 'expected a number, found the text `"x"`'),
    ]
    assert "`max` works on numbers" in (found[0].help or "")


def test_a_let_may_not_call_a_function_on_a_field(diagnose: Checker) -> None:
    found = one(diagnose, "let goal = ceil(company_size)\n" + TAIL, "SLA227")
    assert found.message == "a let cannot read the field `company_size`"


def test_a_call_result_is_a_number_not_a_condition(diagnose: Checker) -> None:
    text = TAIL.replace(">= goal", ">= 1") + "stage mql when max(fit, 1)\n"
    assert [d.code for d in relevant(diagnose, text)] == ["SLA223"]


def test_division_by_zero_inside_a_call_is_found(diagnose: Checker) -> None:
    found = one(diagnose, "let goal = ceil(10 / (2 - 2))\n" + TAIL, "SLA233")
    assert found.message == "division by zero"


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("ceil(90000 / 1600)", 57),
        ("floor(-0.5)", -1),
        ("round(2.5)", 3),
        ("round(-2.5)", -3),
        ("round(2.675, 2)", 2.68),
        ("min(3, 1, 2)", 1),
        ("max(3, 1, 2)", 3),
        ("abs(-4)", 4),
    ],
)
def test_the_checker_folds_calls_on_constants(tmp_path: Path, expr: str, value: float) -> None:
    program = load_text(f"let goal = {expr}\n" + TAIL, "p.sla", root=tmp_path)
    assert Context.build(program).let_values["goal"] == pytest.approx(value)
