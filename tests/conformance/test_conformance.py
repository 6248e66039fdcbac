"""Evaluator conformance: table-driven cases (policy, events, as_of, expected report
fragments), one YAML file each, with the expected instants worked out by hand in the
case's comments. Each case runs the whole pipeline: check, compile, read, replay, reduce."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from slalang import expect
from slalang.check import check
from slalang.data import EventLog, read_events, read_metrics
from slalang.diagnostics import Level
from slalang.evaluate.run import Span, evaluate, field_specs
from slalang.evaluate.schema import validate_report
from slalang.load import load
from slalang.plan import compile_program

CASES = sorted((Path(__file__).parent / "cases").glob("*.yaml"))


def _instant(value: Any) -> int | None:
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _rows(case: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [dict(row) for row in case.get("events", [])]
    for b, batch in enumerate(case.get("lead_batches", [])):
        for i in range(batch["count"]):
            rows.append(
                {"lead_id": f"B{b}-{i}", "timestamp": batch["timestamp"], "event": batch["event"]}
            )
    for row in rows:
        row["timestamp"] = expect.normalise(row["timestamp"])
    return rows


@dataclass(frozen=True)
class Prepared:
    """A case read and compiled: what any engine evaluates."""

    plan: dict[str, Any]
    log: EventLog
    as_of: int | None
    span: Span
    metrics: dict[tuple[str, str], float] | None


def prepare_case(case: dict[str, Any], tmp_path: Path) -> Prepared:
    policy = tmp_path / "policy.sla"
    policy.write_text(case["policy"], encoding="utf-8")
    program = load(policy)
    errors = [d for d in check(program) if d.level is Level.ERROR]
    assert not errors, [f"{d.span.line}: {d.code} {d.message}" for d in errors]
    plan = compile_program(program)
    events = tmp_path / "events.jsonl"
    events.write_text(
        "".join(json.dumps(row, default=str) + "\n" for row in _rows(case)), encoding="utf-8"
    )
    metrics = None
    if "metrics" in case:
        metrics_path = tmp_path / "metrics.csv"
        with metrics_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["metric", "period", "value"])
            for row in case["metrics"]:
                writer.writerow([row["metric"], row["period"], row["value"]])
        metrics = read_metrics(metrics_path)
    as_of = _instant(case.get("as_of"))
    log = read_events(
        [str(events)],
        field_specs(plan),
        plan["events"],
        as_of=None if as_of is None else datetime.fromtimestamp(as_of).astimezone(),
    )
    span = Span(_instant(case.get("from")), _instant(case.get("to")))
    return Prepared(plan, log, as_of, span, metrics)


def run_case(case: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    p = prepare_case(case, tmp_path)
    report = evaluate(p.plan, p.log, as_of=p.as_of, span=p.span, metrics=p.metrics)
    validate_report(report)
    return report


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, tmp_path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    report = run_case(case, tmp_path)
    failures = expect.check(case["expect"], report)
    assert not failures, "\n\n".join(f.describe() for f in failures)


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40
