"""The number functions: folding on constants (Decimal) and evaluating on the run's numbers
(float) give the same answers, so a let and the same call on a lead's number agree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.functions import FUNCTIONS, evaluator, fold

NUMBERS = st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False)


@settings(derandomize=True, max_examples=300)
@given(x=NUMBERS, digits=st.integers(min_value=0, max_value=3))
def test_float_evaluation_agrees_with_exact_folding(x: Decimal, digits: int) -> None:
    for name in ("ceil", "floor", "abs"):
        assert evaluator(name)([float(x)]) == float(fold(name, [x]))
    assert evaluator("round", digits)([float(x)]) == float(fold("round", [x], digits))


@pytest.mark.parametrize(
    ("name", "args", "digits", "expected"),
    [
        ("round", [2.5], 0, 3.0),
        ("round", [-2.5], 0, -3.0),
        ("round", [0.125], 2, 0.13),
        ("round", [2.675], 2, 2.68),
        ("ceil", [-0.5], 0, 0.0),
        ("floor", [-0.5], 0, -1.0),
        ("min", [3.0, -1.0, 2.0], 0, -1.0),
        ("max", [3.0, -1.0, 2.0], 0, 3.0),
        ("abs", [-0.0], 0, 0.0),
    ],
)
def test_values(name: str, args: list[float], digits: int, expected: float) -> None:
    assert evaluator(name, digits)(args) == expected


def test_rounding_needs_no_more_precision_than_the_context_has() -> None:
    """Decimal's default 28 digits would refuse to quantize a 31-digit number."""
    huge = Decimal("1" + "0" * 30 + ".5")
    assert fold("ceil", [huge]) == Decimal("1" + "0" * 29 + "1")
    assert fold("round", [huge], 15) == huge
    assert evaluator("round", 15)([1e300]) == 1e300
    assert evaluator("ceil")([1e300]) == 1e300


def test_infinities_pass_through() -> None:
    for name in ("ceil", "floor", "round"):
        assert evaluator(name)([float("inf")]) == float("inf")


def test_arities_read_as_words() -> None:
    assert [FUNCTIONS[n].arity() for n in ("ceil", "round", "max")] == ["1", "1 or 2", "2 or more"]
