"""The checker as a whole: the reference policy, passes as data, sorting and the cap."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from slalang import check as check_package
from slalang.check import LIMIT, PASSES, check
from slalang.diagnostics import Level, PolicyError
from slalang.load import load, load_text

if TYPE_CHECKING:
    from tests.check.conftest import Checker

REPO = Path(__file__).resolve().parents[2]

CLEAN = """\
agreement "Acme" {
  timezone "Europe/Berlin"
  party sales "Sales"
}
events form_submitted, sales_touch
field segment: one of "smb", "enterprise"
stage lead on form_submitted
sla first_touch {
  owner sales
  start when entering lead
  stop on sales_touch
  within 4 hours when segment = "enterprise"
  within 1 day otherwise
}
"""


def test_the_reference_policy_has_no_errors_and_only_its_two_unused_fields() -> None:
    found = check(load(REPO / "policies" / "acme.sla"))
    assert not [d for d in found if d.level is Level.ERROR]
    # LANGUAGE §3 makes an unused field a warning; the spec's own example declares
    # `amount` and `source` without using them (see docs/checks.md, "Names")
    assert [(d.code, d.span.line, d.message) for d in found] == [
        ("SLA219", 31, "field `amount` is declared but never used"),
        ("SLA219", 32, "field `source` is declared but never used"),
    ]


def test_a_clean_policy_has_no_diagnostics(diagnose: Checker) -> None:
    assert diagnose(CLEAN) == []


def test_passes_are_listed_as_data_one_per_module() -> None:
    modules = [inspect.getmodule(p) for p in PASSES]
    assert all(p.__name__ == "check" for p in PASSES)
    assert len(set(modules)) == len(PASSES)
    assert all(m is not None and m.__name__.startswith("slalang.check.") for m in modules)
    assert check_package.check is check


def test_every_pass_reports_independently_and_all_are_sorted(diagnose: Checker) -> None:
    found = diagnose(
        """\
        events form_submitted
        stage lead on form_submited
        calendar office { timezone "Mars/Olympus" }
        let x = 1 / 0
        target t { monthly: count(entering lead) >= x }
        """
    )
    assert [(d.code, d.span.line, d.span.column) for d in found] == [
        ("SLA201", 2, 15),
        ("SLA219", 3, 10),
        ("SLA310", 3, 10),
        ("SLA212", 3, 28),
        ("SLA233", 4, 13),
    ]


def test_the_loaders_diagnostics_are_included(tmp_path: Path) -> None:
    entry = tmp_path / "main.sla"
    entry.write_text('import "missing.sla"\n' + CLEAN, encoding="utf-8")
    found = check(load(entry))
    assert [(d.code, d.span.line, d.span.column) for d in found] == [("SLA006", 1, 8)]


def test_too_many_diagnostics_are_cut_with_a_closing_note() -> None:
    lines = ["events form_submitted", "stage lead on form_submitted"]
    lines += [f"stage s{i} on nope{i}" for i in range(LIMIT + 50)]
    found = check(load_text("\n".join(lines), "p.sla"))
    assert len(found) == LIMIT + 1
    assert all(d.code == "SLA201" for d in found[:-1])
    note = found[-1]
    assert (note.code, note.level, note.message) == (
        "SLA399",
        Level.INFO,
        "50 more problems not shown",
    )
    assert note.span == found[-2].span


def test_the_cut_keeps_errors_before_warnings() -> None:
    names = [f"e{i}" for i in range(LIMIT + 10)]
    text = f"events {', '.join(names)}\nevents form_submitted\nstage lead on form_submited\n"
    found = check(load_text(text, "p.sla"))
    assert [d.code for d in found].count("SLA201") == 1  # the one error survives the cut
    assert found[-1].code == "SLA399"
    assert found[-1].message == "11 more problems not shown"


def test_a_very_long_expression_is_refused_before_any_stage_recurses_over_it() -> None:
    """20,000 terms nest 19,999 `+`s: the parser says so (SLA110) rather than the checker
    or a later stage running out of stack (tests/engine/test_deep_expressions.py)."""
    terms = " + ".join(["1"] * 20_000)
    text = f"events form_submitted\nlet big = {terms}\nstage lead on form_submitted\n"
    with pytest.raises(PolicyError) as caught:
        load_text(text, "p.sla")
    assert [(d.code, d.span.line, d.message) for d in caught.value.diagnostics] == [
        ("SLA110", 2, "expression nested 19,999 deep; the limit is 50")
    ]
