"""The kernel's per-value predicate tables give the reference predicate's answer for every
dictionary value, whichever way they are computed (one by one, or `matches` in bulk)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from slalang.data.log import InputStats
from slalang.engine.batch import Batch, Column
from slalang.engine.kernel import _table
from slalang.evaluate.runtime import compile_expr

VALUES = (
    "ana@gmail.com",
    "ANA@GMAIL.COM",
    "bo@gmail.co",
    "bo@gmailXcom",
    "VP of Sales",
    "vice  president",
    "svp",
    "Head Of Growth",
    "multi\nline vp",
    "\u212a",  # KELVIN SIGN: folds to k under (?i)
    "\u017f",  # LATIN SMALL LETTER LONG S: folds to s under (?i)
    "é@gmail.com",
    "émile",
    "a\x00b",
    "ab",
    "a.b",
    " ",
    *(f"lead{i}@example.com" for i in range(80)),
)

PATTERNS = (
    r"(?i)@(gmail|yahoo|hotmail|outlook)\.",
    r"(?i)\b(vp|vice president|director|head of)\b",
    r"(?i)k",
    r"(?i)s",
    r"^a.b$",
    r"(?s)line.vp$",
    r"\pL\d",
    r"é",
    r"^$",
)


def batch_of(values: tuple[str, ...], kind: Any) -> Batch:
    codes = np.arange(len(values), dtype=np.int32)
    column = Column(kind, codes, values)
    zeros = np.zeros(len(values), np.int64)
    offsets = np.array([0, len(values)], np.int64)
    return Batch(
        ("L",), offsets, zeros, zeros, zeros.astype(np.int32), ("e",), {"f": column}, InputStats()
    )


@pytest.mark.parametrize("kind", ["text", "one_of"])
@pytest.mark.parametrize("pattern", PATTERNS)
def test_matches_table_is_the_reference_search(pattern: str, kind: Any) -> None:
    node = {"op": "matches", "arg": {"field": "f", "type": kind}, "pattern": pattern}
    predicate = compile_expr(node)
    expected = [predicate({}, {}), *(predicate({"f": value}, {}) for value in VALUES)]
    assert _table(batch_of(VALUES, kind), "f", node).astype(bool).tolist() == expected


def test_a_few_values_and_other_predicates_go_one_by_one() -> None:
    node = {"op": "in", "arg": {"field": "f", "type": "text"}, "values": ["ab", "émile"]}
    table = _table(batch_of(VALUES, "text"), "f", node)
    assert np.flatnonzero(table).tolist() == [VALUES.index("émile") + 1, VALUES.index("ab") + 1]
    few = VALUES[:5]
    node = {"op": "matches", "arg": {"field": "f", "type": "text"}, "pattern": "(?i)gmail"}
    assert _table(batch_of(few, "text"), "f", node).tolist() == [0, 1, 1, 1, 1, 0]
