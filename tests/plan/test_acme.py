"""The spec's full example (LANGUAGE §1) compiled: the values the evaluator will act on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from slalang.load import load
from slalang.plan import compile_program

REPO = Path(__file__).resolve().parents[2]
ACME = "policies/acme.sla"


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    # Named as the CLI names it when run from the repository root.
    return compile_program(load(REPO / ACME, display=ACME))


def by_name(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(item for item in items if item["name"] == name)


def test_header(plan: dict[str, Any]) -> None:
    assert plan["format_version"] == "1.1"
    assert plan["digest"].startswith("sha256:")
    policy = plan["policy"]
    assert policy["name"] == "Acme Marketing & Sales SLA"
    assert policy["version"] == "2026.1"
    assert policy["effective"] == {"from": "2026-01-01", "until": None}
    assert policy["timezone"] == "America/New_York"
    assert policy["parties"]["sales"] == {
        "label": "Sales Development",
        "contact": "sdr-leads@acme.example",
    }
    assert policy["files"] == [ACME]
    assert policy["entry"] == ACME


def test_fields_carry_types_for_the_reader(plan: dict[str, Any]) -> None:
    assert plan["fields"]["company_size"]["type"] == "number"
    assert plan["fields"]["segment"]["type"] == "one_of"
    assert plan["fields"]["segment"]["options"] == ["smb", "mid", "enterprise"]
    assert "options" not in plan["fields"]["name"]
    # `source` and `amount` are declared but nothing reads them: the reader may skip them.
    assert "amount" not in plan["fields_read"]
    assert {"segment", "rep", "rejection_reason", "company_size"} <= set(plan["fields_read"])


def test_office_calendar_is_normalised(plan: dict[str, Any]) -> None:
    office = plan["calendars"]["office"]
    assert office["timezone"] == "America/New_York"
    assert office["weekly"]["mon"] == [[540, 1020]]
    assert office["weekly"]["fri"] == [[540, 1020]]
    assert office["weekly"]["sat"] == office["weekly"]["sun"] == []
    assert office["closed_dates"] == ["2026-12-24"]
    assert office["holidays"] == [{"country": "US", "subdivision": None}]
    assert "always" not in plan["calendars"]  # not used by acme


def test_scores(plan: dict[str, Any]) -> None:
    fit = plan["scores"]["fit"]
    assert fit["window"] is None
    assert [r["points"] for r in fit["when_rules"]] == [15, 10, -20]
    assert fit["when_rules"][0]["when"] == {
        "op": ">=",
        "args": [{"field": "company_size", "type": "number"}, {"num": 200}],
    }
    assert fit["when_rules"][1]["when"] == {
        "op": "matches",
        "arg": {"field": "title", "type": "text"},
        "pattern": r"(?i)\b(vp|director|head)\b",
    }
    engagement = plan["scores"]["engagement"]
    assert engagement["window"] == {"kind": "calendar", "seconds": 7776000, "text": "90 days"}
    assert engagement["limit"] == 100
    page_view = engagement["per_rules"][0]
    assert (page_view["event"], page_view["points"], page_view["at_most"]) == ("page_view", 5, 25)
    assert engagement["per_rules"][2]["at_most"] is None


def test_stages_in_order_with_triggers(plan: dict[str, Any]) -> None:
    stages = plan["stages"]
    assert [(s["name"], s["index"]) for s in stages] == [
        ("lead", 0),
        ("mql", 1),
        ("sql", 2),
        ("opportunity", 3),
        ("customer", 4),
    ]
    assert stages[0]["trigger"] == {"on": ["form_submitted"], "where": None}
    assert stages[1]["trigger"] == {
        "when": {
            "op": ">=",
            "args": [{"op": "+", "args": [{"score": "fit"}, {"score": "engagement"}]}, {"num": 50}],
        }
    }
    handoff = stages[1]["handoff"]
    assert handoff["owner"] == "marketing"
    assert handoff["severity"] == "error"
    assert handoff["require_fields"] == [
        "name",
        "title",
        "company",
        "company_size",
        "product_interest",
    ]
    assert handoff["require_predicates"] == []
    assert handoff["source"] == {"file": ACME, "line": 58}
    assert stages[0]["handoff"] is None


def test_recycle_and_exit(plan: dict[str, Any]) -> None:
    assert plan["recycles"] == [
        {
            "to": "lead",
            "on": ["sales_rejected"],
            "where": None,
            "source": {"file": ACME, "line": 55},
        }
    ]
    assert plan["exits"] == [
        {"on": ["unsubscribed"], "where": None, "source": {"file": ACME, "line": 56}}
    ]


def test_first_touch_goals(plan: dict[str, Any]) -> None:
    sla = by_name(plan["slas"], "first_touch")
    assert sla["source"] == {"file": ACME, "line": 63}  # the `sla` keyword (RUNNER §5)
    assert (sla["owner"], sla["severity"], sla["label"]) == (
        "sales",
        "error",
        "Sales contacts every MQL",
    )
    assert sla["start"] == [{"entering": "mql", "source": {"file": ACME, "line": 66}}]
    assert sla["stop"][0]["on"] == ["sales_touch", "sales_accepted", "sales_rejected"]
    enterprise, otherwise = sla["goals"]
    assert enterprise["when"] == {
        "op": "=",
        "args": [{"field": "segment", "type": "one_of"}, {"str": "enterprise"}],
    }
    assert enterprise["duration"] == {
        "kind": "business_seconds",
        "seconds": 14400,
        "calendar": "office",
        "text": "4 business hours",
    }
    assert enterprise["source"]["line"] == 68
    assert otherwise["when"] is None
    assert otherwise["duration"] == {
        "kind": "business_days",
        "days": 1,
        "calendar": "office",
        "text": "1 business day",
    }
    assert sla["warn"] == 0.75


def test_rejection_feedback_clock(plan: dict[str, Any]) -> None:
    sla = by_name(plan["slas"], "rejection_feedback")
    assert sla["severity"] == "error"  # the default
    assert sla["start"][0]["on"] == ["sales_rejected"]
    assert sla["stop"][0]["where"] == {"op": "present", "field": "rejection_reason"}
    assert sla["goals"] == [
        {
            "when": None,
            "duration": {"kind": "calendar", "seconds": 259200, "text": "3 days"},
            "source": {"file": ACME, "line": 77},
        }
    ]
    assert sla["warn"] is None


def test_targets_fold_lets_and_percentages(plan: dict[str, Any]) -> None:
    targets = plan["targets"]
    mql_volume = by_name(targets, "mql_volume")
    assert mql_volume["goal"] == {
        "op": ">=",
        "left": {"agg": "count_entering", "stage": "mql", "where": None},
        "right": {"num": 56.25},  # 150000 * 60% / 1600
    }
    assert mql_volume["text"] == "count(entering mql) >= revenue_goal / mql_value"
    assert (mql_volume["period"], mql_volume["by"], mql_volume["owner"]) == (
        "monthly",
        None,
        "marketing",
    )
    assert by_name(targets, "visitor_to_lead")["goal"] == {
        "op": ">=",
        "left": {
            "op": "/",
            "args": [
                {"agg": "count_entering", "stage": "lead", "where": None},
                {"agg": "metric", "metric": "website_visitors"},
            ],
        },
        "right": {"num": 0.03},
    }
    assert by_name(targets, "lead_to_mql")["goal"]["left"] == {
        "agg": "rate",
        "from": "lead",
        "to": "mql",
        "within": None,
    }
    assert by_name(targets, "mql_to_sql")["goal"]["left"]["within"] == {
        "kind": "calendar",
        "seconds": 2592000,
        "text": "30 days",
    }
    assert by_name(targets, "first_touch_rate")["goal"]["left"] == {
        "agg": "compliance",
        "sla": "first_touch",
    }
    rep = by_name(targets, "rep_pipeline")
    assert rep["by"] == "rep"
    assert rep["source"] == {"file": ACME, "line": 92}


def test_event_index(plan: dict[str, Any]) -> None:
    events = plan["index"]["events"]
    assert list(events) == plan["events"]
    assert events["sales_rejected"] == {
        "stages": [],
        "score_rules": [],
        "recycles": [0],
        "exits": [],
        "sla_starts": [{"sla": "rejection_feedback", "trigger": 0}],
        "sla_stops": [{"sla": "first_touch", "trigger": 0}],
        "sla_pauses": [],
        "sla_resumes": [],
    }
    assert events["sales_accepted"]["stages"] == ["sql"]
    assert events["sales_accepted"]["sla_stops"] == [{"sla": "first_touch", "trigger": 0}]
    assert events["whitepaper_download"]["score_rules"] == [{"score": "engagement", "rule": 1}]
    assert events["unsubscribed"]["exits"] == [0]
    assert plan["index"]["entering"]["mql"] == {
        "sla_starts": [{"sla": "first_touch", "trigger": 0}]
    }
    assert plan["index"]["entering"]["sql"] == {"sla_starts": []}
