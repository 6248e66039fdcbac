"""Sample generator test helpers: compiled example policies, and generated rows replayed
through the evaluator so tests can assert what the policy would see."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NamedTuple

from slalang.evaluate.model import LeadResult
from slalang.evaluate.replay import replay
from slalang.evaluate.runtime import build_runtime
from slalang.load import load
from slalang.plan import compile_program
from slalang.sample import generate

REPO = Path(__file__).resolve().parents[2]
POLICIES = REPO / "policies"
START = date(2026, 1, 5)

Plan = dict[str, Any]
Row = dict[str, str]


@functools.cache
def plan_of(relative: str) -> Plan:
    """The compiled plan of a policy under policies/ (compiled once per test run)."""
    return compile_program(load(POLICIES / relative))


@functools.cache
def rows_of(relative: str, leads: int = 400, seed: int = 7, months: int = 3) -> tuple[Row, ...]:
    """Generated rows for an example policy, cached: several tests read the same run."""
    plan = plan_of(relative)
    return tuple(generate(plan, leads=leads, seed=seed, start=START, months=months))


class Event(NamedTuple):
    ts: int
    type: str
    fields: dict[str, Any]


def typed(plan: Plan, name: str, text: str) -> Any:
    """A cell as the evaluator reads it, by the field's declared type."""
    kind = plan["fields"][name]["type"]
    if kind == "number":
        return float(text)
    if kind == "bool":
        return {"true": True, "false": False}[text]
    if kind == "date":
        return date.fromisoformat(text)
    return text


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def replayed(plan: Plan, rows: Iterable[Row]) -> dict[str, LeadResult]:
    """Every lead's replay result, reading rows as the evaluator would: repeated event ids
    and undeclared types dropped, each lead's events sorted by time (stable)."""
    declared, seen = set(plan["events"]), set()
    leads: dict[str, list[Event]] = {}
    for row in rows:
        if row["event"] not in declared or row["event_id"] in seen:
            continue
        seen.add(row["event_id"])
        fields = {n: typed(plan, n, row[n]) for n in plan["fields"] if row[n]}
        leads.setdefault(row["lead_id"], []).append(
            Event(epoch(row["timestamp"]), row["event"], fields)
        )
    runtime = build_runtime(plan)
    as_of = max(e.ts for events in leads.values() for e in events)
    return {
        lead: replay(runtime, lead, sorted(events, key=lambda e: e.ts), as_of)
        for lead, events in leads.items()
    }
