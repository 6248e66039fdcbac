"""Reports for renderer tests: one written by hand (small, every kind of row, hostile text in
the places data can reach) and one built by the real pipeline from policies/acme.sla.

Both are checked against the report schema before any test sees them: every report a test
renders must keep the contract."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from slalang.data import read_events
from slalang.evaluate.run import evaluate, field_specs
from slalang.evaluate.schema import validate_report
from slalang.load import load
from slalang.plan import compile_program

REPO = Path(__file__).resolve().parents[2]
ACME_AS_OF = datetime(2026, 3, 5, 12, tzinfo=UTC)
INJECTION = "=cmd|' /C calc'!A0"
HANDOFF_FIELDS = {"name": "Ana", "company": "Initech", "product_interest": "crm"}


def _mql(lead: str, at: str, **fields: Any) -> list[dict[str, Any]]:
    """A form from a VP of a 500-person company, then a demo request a minute later: fit 25
    + engagement 30 makes the lead an MQL then."""
    demo_at = datetime.fromisoformat(at) + timedelta(minutes=1)
    form: dict[str, Any] = {"lead_id": lead, "timestamp": at, "event": "form_submitted"}
    form |= {"company_size": 500, "title": "VP Sales", **fields}
    demo = {"lead_id": lead, "timestamp": demo_at.strftime("%Y-%m-%dT%H:%M:%SZ")}
    return [form, demo | {"event": "demo_request"}]


# February 2026 is covered whole (the first event is at its first instant, New York time)
# and judged at 2026-03-05 12:00Z; March is in progress.
ACME_EVENTS: list[dict[str, Any]] = [
    {"lead_id": "P0", "timestamp": "2026-02-01T05:00:00Z", "event": "page_view"},
    # Friday-evening enterprise MQL, due Monday 2026-02-09 18:00Z, touched Tuesday: late 21h.
    *_mql("L1", "2026-02-06T22:30:00Z", segment="enterprise", **HANDOFF_FIELDS),
    {"lead_id": "L1", "timestamp": "2026-02-10T15:00:00Z", "event": "sales_touch"},
    # Accepted within the hour by a rep whose name a spreadsheet would run as a formula.
    *_mql("L2", "2026-02-09T14:00:00Z", segment="smb", **HANDOFF_FIELDS),
    {
        "lead_id": "L2",
        "timestamp": "2026-02-09T15:00:00Z",
        "event": "sales_accepted",
        "rep": "@SUM(1+1)",
    },
    # Never touched: missed. Handed over without name, company or interest.
    *_mql("L3", "2026-02-12T14:00:00Z", segment="mid"),
    # A hostile lead id, handed over incomplete, then rejected: feedback still pending.
    *_mql(INJECTION, "2026-03-02T14:00:00Z", segment="smb"),
    {"lead_id": INJECTION, "timestamp": "2026-03-02T15:00:00Z", "event": "sales_rejected"},
]


def build_acme_report(directory: Path, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The report `slalang evaluate policies/acme.sla` writes for `rows`, judged at
    ACME_AS_OF: check, compile, read, replay, reduce, build."""
    plan = compile_program(load(REPO / "policies" / "acme.sla", root=REPO))
    events = directory / "events.jsonl"
    events.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    log = read_events([str(events)], field_specs(plan), plan["events"], as_of=ACME_AS_OF)
    report = evaluate(plan, log, as_of=int(ACME_AS_OF.timestamp()))
    validate_report(report)
    return report


@pytest.fixture(scope="session")
def acme_built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return build_acme_report(tmp_path_factory.mktemp("acme"), ACME_EVENTS)


@pytest.fixture
def acme(acme_built: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of the pipeline-built report, free to change."""
    return copy.deepcopy(acme_built)


def _source(line: int) -> dict[str, Any]:
    return {"file": "policies/demo.sla", "line": line}


def hand_report() -> dict[str, Any]:
    """A month judged at its last evening: first_touch late once (3h) and missed once (2d),
    an incomplete handoff whose message a spreadsheet would run, two targets missed (one
    below zero), a share target met, a weekly target in progress for one rep."""
    return {
        "format_version": "1.0",
        "policy": {
            "name": "Demo | `ops` agreement",
            "version": "2026.1",
            "digest": "sha256:" + "ab" * 32,
            "files": ["policies/demo.sla"],
            "timezone": "UTC",
        },
        "as_of": "2026-03-31T22:00:00Z",
        "input": {
            "rows": 14,
            "events": 10,
            "leads": 3,
            "rejected": {"bad_timestamp": 2},
            "duplicates": 1,
            "unknown_events": {"webinar": 1},
            "after_as_of": 0,
        },
        "stages": [
            {"lead_id": "L1", "stage": "mql", "kind": "entered", "at": "2026-03-02T09:00:00Z"},
            {"lead_id": "L2", "stage": "mql", "kind": "entered", "at": "2026-03-03T09:00:00Z"},
            {"lead_id": "L3", "stage": "mql", "kind": "entered", "at": "2026-03-04T09:00:00Z"},
        ],
        "clocks": [
            {
                "sla": "first_touch",
                "lead_id": "L1",
                "cycle": 1,
                "goal": "4 hours",
                "started_at": "2026-03-02T09:00:00Z",
                "due_at": "2026-03-02T13:00:00Z",
                "stopped_at": "2026-03-02T16:00:00Z",
                "status": "late",
                "elapsed_seconds": 25200,
                "late_by_seconds": 10800,
                "paused_seconds": 0,
                "paused": False,
            },
            {
                "sla": "first_touch",
                "lead_id": "L2",
                "cycle": 1,
                "goal": "4 hours",
                "started_at": "2026-03-03T09:00:00Z",
                "due_at": "2026-03-03T13:00:00Z",
                "stopped_at": None,
                "status": "missed",
                "elapsed_seconds": 190800,
                "late_by_seconds": 172800,
                "paused_seconds": 0,
                "paused": False,
            },
            {
                "sla": "first_touch",
                "lead_id": "L3",
                "cycle": 1,
                "goal": "4 hours",
                "started_at": "2026-03-04T09:00:00Z",
                "due_at": "2026-03-04T13:00:00Z",
                "stopped_at": "2026-03-04T10:00:00Z",
                "status": "met",
                "elapsed_seconds": 3600,
                "late_by_seconds": None,
                "paused_seconds": 0,
                "paused": False,
            },
            {
                "sla": "feedback",
                "lead_id": "L3",
                "cycle": 1,
                "goal": "3 days",
                "started_at": "2026-03-29T12:00:00Z",
                "due_at": "2026-04-01T12:00:00Z",
                "stopped_at": None,
                "status": "at_risk",
                "elapsed_seconds": 208800,
                "late_by_seconds": None,
                "paused_seconds": 0,
                "paused": False,
            },
        ],
        "violations": [
            {
                "kind": "sla_breach",
                "rule": "first_touch",
                "owner": "sales",
                "severity": "error",
                "lead_id": "L1",
                "period": None,
                "group": None,
                "at": "2026-03-02T13:00:00Z",
                "message": "stopped 3 hours late (goal 4 hours)",
                "details": {
                    "status": "late",
                    "cycle": 1,
                    "due_at": "2026-03-02T13:00:00Z",
                    "stopped_at": "2026-03-02T16:00:00Z",
                    "late_by_seconds": 10800,
                },
                "source": _source(20),
            },
            {
                "kind": "sla_breach",
                "rule": "first_touch",
                "owner": "sales",
                "severity": "error",
                "lead_id": "L2",
                "period": None,
                "group": None,
                "at": "2026-03-03T13:00:00Z",
                "message": "not stopped by the deadline: 2 days late (goal 4 hours)",
                "details": {
                    "status": "missed",
                    "cycle": 1,
                    "due_at": "2026-03-03T13:00:00Z",
                    "stopped_at": None,
                    "late_by_seconds": 172800,
                },
                "source": _source(20),
            },
            {
                "kind": "handoff_incomplete",
                "rule": "mql",
                "owner": "marketing",
                "severity": "warning",
                "lead_id": "L3",
                "period": None,
                "group": None,
                "at": "2026-03-04T09:00:00Z",
                "message": INJECTION,
                "details": {"missing": ["company", "title"], "failed": []},
                "source": _source(12),
            },
            {
                "kind": "target_missed",
                "rule": "mql_volume",
                "owner": "marketing",
                "severity": "error",
                "lead_id": None,
                "period": "2026-03",
                "group": None,
                "at": "2026-04-01T00:00:00Z",
                "message": "48 where the goal is >= 56.25 (count(entering mql) >= 56.25)",
                "details": {"value": 48, "goal": 56.25},
                "source": _source(30),
            },
            {
                "kind": "target_missed",
                "rule": "net_growth",
                "owner": None,
                "severity": "error",
                "lead_id": None,
                "period": "2026-03",
                "group": "a|b",
                "at": "2026-04-01T00:00:00Z",
                "message": "-3 where the goal is >= 0 (count(entering sql) - count(exit) >= 0)",
                "details": {"value": -3, "goal": 0},
                "source": _source(33),
            },
        ],
        "slas": [
            {
                "sla": "first_touch",
                "cycles": 3,
                "met": 1,
                "late": 1,
                "missed": 1,
                "pending": 0,
                "at_risk": 0,
                "cancelled": 0,
                "exempt": 0,
                "compliance": 0.333333,
                "elapsed_p50_seconds": 3600,
                "elapsed_p90_seconds": 25200,
            },
            {
                "sla": "feedback",
                "cycles": 1,
                "met": 0,
                "late": 0,
                "missed": 0,
                "pending": 0,
                "at_risk": 1,
                "cancelled": 0,
                "exempt": 0,
                "compliance": None,
                "elapsed_p50_seconds": None,
                "elapsed_p90_seconds": None,
            },
        ],
        "targets": [
            _target("mql_volume", "marketing", "2026-03", None, 48, 56.25, "missed"),
            _target("lead_to_mql", "marketing", "2026-03", None, 0.153, 0.15, "met"),
            _target("net_growth", None, "2026-03", "a|b", -3, 0, "missed"),
            {
                **_target("rep_pipeline", "sales", "2026-W14", "ann", 1, 2, "in_progress"),
                "period_start": "2026-03-30T00:00:00Z",
                "period_end": "2026-04-06T00:00:00Z",
                "pace": 3.5,
            },
        ],
    }


def _target(
    name: str,
    owner: str | None,
    period: str,
    group: str | None,
    value: float,
    goal: float,
    status: str,
) -> dict[str, Any]:
    return {
        "target": name,
        "owner": owner,
        "period": period,
        "period_start": "2026-03-01T00:00:00Z",
        "period_end": "2026-04-01T00:00:00Z",
        "group": group,
        "value": value,
        "goal": goal,
        "op": ">=",
        "status": status,
        "pace": None,
    }


@pytest.fixture
def hand() -> dict[str, Any]:
    report = hand_report()
    validate_report(report)
    return report
