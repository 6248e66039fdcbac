"""`compare` on hand-built reports: what counts as added, removed and changed, and that
the order of every list is fixed, so the same two reports always give the same diff."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.diff import (
    _match_violations,
    _matched,
    compare,
    render_markdown,
    render_table,
    violation_identity,
)


def breach(lead: str, cycle: int = 1, rule: str = "first_touch", **extra: Any) -> dict[str, Any]:
    return {
        "kind": "sla_breach",
        "rule": rule,
        "owner": "sales",
        "severity": "error",
        "lead_id": lead,
        "period": None,
        "group": None,
        "at": "2026-02-02T19:00:00Z",
        "message": "stopped 2h after the deadline",
        "details": {"status": "late", "cycle": cycle},
        **extra,
    }


def missed_target(period: str, group: str | None = None) -> dict[str, Any]:
    return {
        "kind": "target_missed",
        "rule": "mql_volume",
        "owner": "marketing",
        "severity": "error",
        "lead_id": None,
        "period": period,
        "group": group,
        "at": "2026-03-01T00:00:00Z",
        "message": "40 where the goal is >= 56",
        "details": {"value": 40, "goal": 56},
    }


def sla(name: str, met: int, late: int) -> dict[str, Any]:
    counts = dict.fromkeys(("pending", "at_risk", "cancelled", "exempt", "missed"), 0)
    total = met + late
    return {
        "sla": name,
        "cycles": total,
        "met": met,
        "late": late,
        **counts,
        "compliance": round(met / total, 6) if total else None,
        "elapsed_p50_seconds": 0,
        "elapsed_p90_seconds": 0,
    }


def target(period: str, value: float, status: str, group: str | None = None) -> dict[str, Any]:
    return {
        "target": "mql_volume",
        "period": period,
        "group": group,
        "value": value,
        "goal": 56,
        "op": ">=",
        "status": status,
    }


def report(
    violations: list[dict[str, Any]],
    slas: list[dict[str, Any]] | None = None,
    targets: list[dict[str, Any]] | None = None,
    version: str = "1",
) -> dict[str, Any]:
    return {
        "format_version": "1.0",
        "policy": {"name": "Acme", "version": version, "digest": f"sha256:{version * 64}"},
        "as_of": "2026-03-31T00:00:00Z",
        "violations": violations,
        "slas": slas if slas is not None else [sla("first_touch", 9, 1)],
        "targets": targets or [],
    }


def test_identical_reports_have_no_changes() -> None:
    old = report(
        [breach("L1"), missed_target("2026-01")], targets=[target("2026-01", 40, "missed")]
    )
    diff = compare(old, old)
    assert diff["changed"] is False
    assert diff["summary"] == "no changes"
    assert diff["violations"] == {"added": [], "removed": [], "unchanged": 2}
    assert diff["targets"] == []
    assert diff["policy"]["differs"] == []


def test_violations_are_matched_by_identity_not_by_timing_or_message() -> None:
    old = report([breach("L1", message="late by 1h"), breach("L2")])
    new = report([breach("L1", message="late by 3h", at="2026-02-03T19:00:00Z"), breach("L3")])
    diff = compare(old, new)
    assert [v["lead_id"] for v in diff["violations"]["added"]] == ["L3"]
    assert [v["lead_id"] for v in diff["violations"]["removed"]] == ["L2"]
    assert diff["violations"]["unchanged"] == 1


def test_a_second_clock_cycle_is_a_different_violation() -> None:
    old = report([breach("L1", cycle=1)])
    new = report([breach("L1", cycle=1), breach("L1", cycle=2)])
    added = compare(old, new)["violations"]["added"]
    assert [v["details"]["cycle"] for v in added] == [2]
    assert violation_identity(breach("L1", 1)) != violation_identity(breach("L1", 2))


def test_target_violations_are_told_apart_by_period_and_group() -> None:
    old = report([missed_target("2026-01", "emea"), missed_target("2026-02", "emea")])
    new = report([missed_target("2026-01", "emea"), missed_target("2026-01", "amer")])
    diff = compare(old, new)
    assert [(v["period"], v["group"]) for v in diff["violations"]["added"]] == [("2026-01", "amer")]
    assert [(v["period"], v["group"]) for v in diff["violations"]["removed"]] == [
        ("2026-02", "emea")
    ]


def test_added_follow_the_new_report_and_removed_the_old_one() -> None:
    old = report([breach("L9"), breach("L5"), breach("L7")])
    new = report([breach("L4"), breach("L2"), breach("L8")])
    diff = compare(old, new)
    assert [v["lead_id"] for v in diff["violations"]["added"]] == ["L4", "L2", "L8"]
    assert [v["lead_id"] for v in diff["violations"]["removed"]] == ["L9", "L5", "L7"]
    assert compare(old, new) == diff


def test_sla_counts_and_compliance_before_and_after() -> None:
    old = report([], slas=[sla("first_touch", 9, 1), sla("feedback", 4, 0)])
    new = report(
        [], slas=[sla("first_touch", 7, 3), sla("feedback", 4, 0), sla("disposition", 1, 0)]
    )
    diff = compare(old, new)
    rows = {row["sla"]: row for row in diff["slas"]}
    assert [row["sla"] for row in diff["slas"]] == ["first_touch", "feedback", "disposition"]
    assert rows["first_touch"]["changed"] is True
    assert (rows["first_touch"]["before"]["late"], rows["first_touch"]["after"]["late"]) == (1, 3)
    assert rows["feedback"]["changed"] is False
    assert rows["disposition"]["before"] is None
    assert diff["changed"] is True
    assert diff["summary"] == "first_touch compliance 90% → 70%; new SLA disposition"


def test_an_sla_the_new_policy_drops_comes_last_with_no_after() -> None:
    old = report([], slas=[sla("gone", 1, 0), sla("first_touch", 9, 1)])
    new = report([], slas=[sla("first_touch", 9, 1)])
    diff = compare(old, new)
    assert [(row["sla"], row["after"]) for row in diff["slas"]][-1] == ("gone", None)
    assert diff["summary"] == "SLA gone removed"


def test_target_rows_listed_only_when_value_or_status_changes() -> None:
    old = report(
        [],
        targets=[
            target("2026-01", 60, "met"),
            target("2026-02", 40, "missed"),
            target("2026-03", 10, "in_progress"),
        ],
    )
    new = report(
        [],
        targets=[
            target("2026-01", 50, "missed"),
            target("2026-02", 40, "missed"),
            target("2026-03", 12, "in_progress"),
        ],
    )
    diff = compare(old, new)
    assert [(row["period"], row["status_changed"]) for row in diff["targets"]] == [
        ("2026-01", True),
        ("2026-03", False),
    ]
    assert diff["targets"][0]["before"] == {"value": 60, "goal": 56, "status": "met"}
    assert diff["summary"] == "1 target period changed status; 1 other target value changed"


def test_the_summary_leads_with_violations_and_notes_policy_differences() -> None:
    old = report([breach("L1")], slas=[sla("first_touch", 9, 1)])
    new = report(
        [breach("L1"), breach("L2"), breach("L3")],
        slas=[sla("first_touch", 8, 2)],
        version="2",
    )
    diff = compare(old, new)
    assert diff["summary"].startswith("2 violations added, 0 removed; first_touch compliance")
    assert diff["policy"]["differs"] == ["version", "digest"]
    assert "policies differ: version 1 → 2" in render_table(diff)


def test_long_lists_are_capped_in_the_human_forms_but_not_in_the_data() -> None:
    new = report([breach(f"L{n:03}") for n in range(60)])
    diff = compare(report([]), new)
    assert len(diff["violations"]["added"]) == 60
    assert "… and 10 more" in render_table(diff)
    text = render_markdown(diff)
    assert "… and 10 more" in text
    assert "L049" in text and "L050" not in text


def test_markdown_escapes_user_text() -> None:
    new = report([breach("L|1`x", message="a | b `c`")])
    text = render_markdown(compare(report([]), new))
    assert "L\\|1\\`x" in text
    assert "a \\| b \\`c\\`" in text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(["A", "B", "C", None]), st.integers(1, 3)), max_size=25),
    st.lists(st.tuples(st.sampled_from(["A", "B", "D", None]), st.integers(1, 3)), max_size=25),
)
def test_walking_the_lists_a_lead_at_a_time_matches_as_the_whole_lists_do(
    before: list[tuple[str | None, int]], after: list[tuple[str | None, int]]
) -> None:
    """The violations are matched a lead at a time, as the lists are read (the local
    engine gives them as iterators), with the result of matching the whole lists at once:
    repeated identities, leads only one side has, and violations of no lead included."""

    def violations(rows: list[tuple[str | None, int]]) -> list[dict[str, Any]]:
        made = [
            breach(lead, cycle) if lead else missed_target(f"2026-0{cycle}") for lead, cycle in rows
        ]
        for index, violation in enumerate(made):
            violation["message"] = f"entry {index}"  # tells repeated identities apart
        return sorted(made, key=lambda v: (v["lead_id"] is None, v["lead_id"] or ""))

    old, new = violations(before), violations(after)
    removed, added = _matched(old, new)
    assert _match_violations(iter(old), iter(new)) == (added, removed, len(new) - len(added))
