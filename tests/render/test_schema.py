"""The report's JSON Schema: the reports the pipeline builds keep it, broken ones are refused
with the path named, and its enums are the ones the evaluator writes."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator, ValidationError

from slalang.evaluate.aggregate import STATUSES
from slalang.evaluate.report import FORMAT_VERSION, SEVERITY_RANK
from slalang.evaluate.schema import REPORT_SCHEMA, validate_report

Report = dict[str, Any]


def test_the_schema_ships_in_the_package_and_is_draft_2020_12() -> None:
    shipped = resources.files("slalang.evaluate").joinpath("report.schema.json")
    assert json.loads(shipped.read_text(encoding="utf-8")) == REPORT_SCHEMA
    assert REPORT_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(REPORT_SCHEMA)


def test_the_schema_names_what_the_evaluator_writes() -> None:
    defs = REPORT_SCHEMA["$defs"]
    assert REPORT_SCHEMA["properties"]["format_version"] == {"const": FORMAT_VERSION}
    assert tuple(defs["clock_status"]["enum"]) == STATUSES
    assert set(defs["severity"]["enum"]) == set(SEVERITY_RANK)


def test_a_pipeline_report_with_every_kind_of_violation_validates(acme: Report) -> None:
    validate_report(acme)
    kinds = {v["kind"] for v in acme["violations"]}
    assert kinds == {"sla_breach", "handoff_incomplete", "target_missed"}


def test_a_report_with_no_events_judged_validates(acme: Report) -> None:
    for key in ("stages", "clocks", "violations", "targets"):
        acme[key] = []
    validate_report(acme)


def test_input_may_carry_counters_the_reader_adds(hand: Report) -> None:
    hand["input"]["rows_from_stdin"] = 3
    validate_report(hand)


def _set(path: str, value: Any) -> Callable[[Report], None]:
    def change(report: Report) -> None:
        *parents, last = path.split(".")
        target: Any = report
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _drop(path: str) -> Callable[[Report], None]:
    def change(report: Report) -> None:
        *parents, last = path.split(".")
        target: Any = report
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return change


BROKEN: dict[str, tuple[Callable[[Report], None], str]] = {
    "missing as_of": (_drop("as_of"), "$"),
    "missing input counter": (_drop("input.duplicates"), "$.input"),
    "missing violation details": (_drop("violations.0.details"), "$.violations[0]"),
    "unknown top-level key": (_set("verdict", "fine"), "$"),
    "bad clock status": (_set("clocks.0.status", "overdue"), "$.clocks[0].status"),
    "bad target status": (_set("targets.0.status", "failed"), "$.targets[0].status"),
    "bad violation kind": (_set("violations.0.kind", "breach"), "$.violations[0].kind"),
    "bad severity": (_set("violations.0.severity", "fatal"), "$.violations[0].severity"),
    "bad stage kind": (_set("stages.0.kind", "left"), "$.stages[0].kind"),
    "offset instead of Z": (_set("as_of", "2026-03-31T22:00:00+00:00"), "$.as_of"),
    "space instead of T": (_set("clocks.0.due_at", "2026-03-02 13:00:00Z"), "$.clocks[0]"),
    "fractional seconds": (_set("violations.1.at", "2026-03-03T13:00:00.5Z"), "$.violations"),
    "negative count": (_set("input.rows", -1), "$.input.rows"),
    "compliance over 1": (_set("slas.0.compliance", 1.5), "$.slas[0].compliance"),
    "met clock late by": (_set("clocks.2.late_by_seconds", 60), "$.clocks[2]"),
    "breach without late_by": (_drop("violations.0.details.late_by_seconds"), "$.violations"),
    "target miss naming a lead": (_set("violations.3.lead_id", "L1"), "$.violations[3]"),
    "bad period key": (_set("targets.0.period", "March 2026"), "$.targets[0].period"),
    "pace when not in progress": (_set("targets.0.pace", 2.0), "$.targets[0].pace"),
    "bad digest": (_set("policy.digest", "md5:abc"), "$.policy.digest"),
}


@pytest.mark.parametrize("change", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_report_is_refused_with_its_path(
    hand: Report, change: tuple[Callable[[Report], None], str]
) -> None:
    mutate, path = change
    broken = copy.deepcopy(hand)
    mutate(broken)
    with pytest.raises(ValidationError) as caught:
        validate_report(broken)
    message = str(caught.value)
    assert message.startswith(f"invalid report at `{path}"), message
    assert "\n" not in message


def test_a_huge_wrong_value_gives_a_short_message(hand: Report) -> None:
    hand["stages"] = {"lead": ["x" * 50] * 1000}
    with pytest.raises(ValidationError) as caught:
        validate_report(hand)
    assert len(str(caught.value)) < 400
