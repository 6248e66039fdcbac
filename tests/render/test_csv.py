"""The `csv` format: the violations, one a row, that no spreadsheet runs as a formula."""

from __future__ import annotations

import csv
from io import StringIO
from typing import Any

import pytest

from slalang.render.report import render_report
from slalang.render.report.csv_rows import HEADER, cell

Report = dict[str, Any]
EXPECTED_HEADER = (
    "kind,rule,owner,severity,lead_id,period,group,at,message,late_by_seconds,missing,"
    "value,goal,source_file,source_line"
)


def parse(report: Report) -> list[dict[str, str]]:
    text = render_report(report, "csv")
    rows = list(csv.reader(StringIO(text, newline="")))
    assert ",".join(rows[0]) == EXPECTED_HEADER
    return [dict(zip(HEADER, row, strict=True)) for row in rows[1:]]


def test_one_row_per_violation_in_report_order(acme: Report) -> None:
    rows = parse(acme)
    assert len(rows) == len(acme["violations"])
    for row, violation in zip(rows, acme["violations"], strict=True):
        assert (row["kind"], row["rule"], row["at"]) == (
            violation["kind"],
            violation["rule"],
            violation["at"],
        )
        assert row["source_line"] == str(violation["source"]["line"])


def test_each_kind_fills_its_own_columns(hand: Report) -> None:
    late, missed, handoff, target, below_zero = parse(hand)
    assert (late["late_by_seconds"], late["missing"], late["value"]) == ("10800", "", "")
    assert missed["late_by_seconds"] == "172800"
    assert handoff["missing"] == "company;title"
    assert (target["value"], target["goal"], target["lead_id"]) == ("48", "56.25", "")
    assert (target["period"], target["group"]) == ("2026-03", "")
    assert (below_zero["owner"], below_zero["group"]) == ("", "a|b")


def test_formulas_in_data_are_defused(hand: Report, acme: Report) -> None:
    handoff = parse(hand)[2]
    assert handoff["message"] == "'=cmd|' /C calc'!A0"
    from_pipeline = parse(acme)
    assert {row["lead_id"] for row in from_pipeline} >= {"'=cmd|' /C calc'!A0"}
    assert {row["group"] for row in from_pipeline} >= {"'@SUM(1+1)"}


def test_negative_numbers_are_quoted_too(hand: Report) -> None:
    below_zero = parse(hand)[4]
    assert below_zero["value"] == "'-3"
    assert below_zero["goal"] == "0"
    assert below_zero["message"].startswith("'-3 where")


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("a=1", "a=1"),
        ("", ""),
        (None, ""),
        (0, "0"),
        (56.25, "56.25"),
        (-2.5, "'-2.5"),
    ],
)
def test_cell(value: Any, written: str) -> None:
    assert cell(value) == written


def test_no_violations_is_the_header_alone(hand: Report) -> None:
    hand["violations"] = []
    assert render_report(hand, "csv") == EXPECTED_HEADER + "\n"


def test_newlines_in_a_message_stay_inside_one_cell(hand: Report) -> None:
    hand["violations"][0]["message"] = 'line one\nline two, with "quotes"'
    assert parse(hand)[0]["message"] == 'line one\nline two, with "quotes"'
