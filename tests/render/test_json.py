"""The `json` and `jsonl` formats: the report as the contract, and the violations a line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from slalang.evaluate.schema import validate_report
from slalang.render.report import render_report

Report = dict[str, Any]


def test_json_round_trips_and_keeps_the_contract(acme: Report) -> None:
    text = render_report(acme, "json")
    assert text.endswith("}\n")
    back = json.loads(text)
    assert back == acme
    assert list(back) == list(acme)
    validate_report(back)
    assert render_report(back, "json") == text


def test_json_writes_text_as_is(hand: Report) -> None:
    hand["policy"]["name"] = "Équipe Ventes"
    assert '"name": "Équipe Ventes"' in render_report(hand, "json")


def test_json_refuses_nan(hand: Report) -> None:
    hand["targets"][0]["value"] = float("nan")
    with pytest.raises(ValueError):
        render_report(hand, "json")


def test_jsonl_is_one_violation_a_line_in_report_key_order(acme: Report) -> None:
    text = render_report(acme, "jsonl")
    lines = text.splitlines()
    assert text.endswith("\n")
    assert len(lines) == len(acme["violations"])
    for line, violation in zip(lines, acme["violations"], strict=True):
        parsed = json.loads(line)
        assert parsed == violation
        assert list(parsed) == list(violation)
        assert ": " not in line.replace(violation["message"], "")  # compact


def test_jsonl_with_no_violations_is_empty(hand: Report) -> None:
    hand["violations"] = []
    assert render_report(hand, "jsonl") == ""
