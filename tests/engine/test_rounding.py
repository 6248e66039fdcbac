"""`round(x, n)` in the compiled kernel equals the reference's (`round_text`: half away from
zero on the decimal text) to the bit: ties as written (2.675 → 2.68), near-ties, signs,
zeros, huge and tiny numbers, every digits count, compiled by numba and as plain Python."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import numba
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.engine.compile import rounding_source
from slalang.functions import round_text

DIGITS = [0, 1, 2, 3, 6, 10, 15]


def _rounders(digits: int) -> tuple[Callable[[float], float], Any]:
    namespace: dict[str, Any] = {}
    exec(
        "import math\nimport numpy as np\nimport numba\n"
        "from slalang.functions import round_text\n" + rounding_source(digits),
        namespace,
    )
    plain = namespace[f"round_{digits}"]
    return plain, numba.njit(plain)


ROUNDERS = {digits: _rounders(digits) for digits in DIGITS}


def _same(a: float, b: float) -> bool:
    return math.copysign(1, a) == math.copysign(1, b) and (a == b or (a != a and b != b))


def _check(x: float, digits: int) -> None:
    want = round_text(x, digits)
    plain, compiled = ROUNDERS[digits]
    for got in (plain(x), compiled(x)):
        assert _same(got, want), (x, digits, got, want)


def _ties(digits: int) -> list[float]:
    """Numbers written with a 5 just past the digits kept, and their float neighbours."""
    found = []
    for whole in (0, 1, 2, 7, 12, 99, 1234, 10**9):
        for tail in ("05", "15", "25", "45", "65", "75", "95", "5"):
            text = f"{whole}.{'0' * digits}{tail}" if tail != "5" else f"{whole}.{'4' * digits}5"
            x = float(Decimal(text).scaleb(0))
            found += [x, np.nextafter(x, math.inf), np.nextafter(x, -math.inf)]
            found.append(float(f"{whole}.{'9' * digits}5"))
    return [v for x in found for v in (x, -x)]


@pytest.mark.parametrize("digits", DIGITS)
def test_ties_and_their_neighbours(digits: int) -> None:
    for x in _ties(digits):
        _check(float(x), digits)


@pytest.mark.parametrize("digits", DIGITS)
def test_special_values(digits: int) -> None:
    for x in (
        0.0,
        -0.0,
        0.5,
        -0.5,
        2.675,
        1.005,
        2.5,
        -2.5,
        1e-300,
        5e-324,
        0.49999999999999994,
        4503599627370495.5,
        4503599627370496.0,
        1e16,
        1e300,
        -1e300,
        math.inf,
        -math.inf,
        math.nan,
        0.45,
        0.4500000000000001,
        123456.789,
        1e15 / 3,
    ):
        _check(x, digits)


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(DIGITS))
def test_any_float(x: float, digits: int) -> None:
    _check(x, digits)


@settings(max_examples=3000, derandomize=True, deadline=None)
@given(st.integers(-(10**12), 10**12), st.integers(0, 6), st.sampled_from(DIGITS))
def test_short_decimals(units: int, places: int, digits: int) -> None:
    """Numbers as people write them (a few decimals), where ties are common."""
    _check(float(Decimal(units).scaleb(-places)), digits)
