"""The `leads` format: one CSV row per lead for import into the CRM, read back with the
csv module."""

from __future__ import annotations

import csv
import io
from typing import Any

from slalang.render.report import render_report

Report = dict[str, Any]


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_columns_and_round_trip(acme_built: Report) -> None:
    text = render_report(acme_built, "leads", id_column="Record ID")
    header = next(csv.reader(io.StringIO(text)))
    slas = [row["sla"] for row in acme_built["slas"]]
    assert header == ["Record ID", "slalang_stage"] + [
        f"slalang_{sla}_{name}" for sla in slas for name in ("status", "due_at", "late_minutes")
    ]
    found = {row["Record ID"]: row for row in rows(text)}
    # L1: touched 21 hours after its deadline; L3 never touched, missed as of 2026-03-05 12:00Z
    assert found["L1"]["slalang_first_touch_status"] == "late"
    assert found["L1"]["slalang_first_touch_due_at"] == "2026-02-09T18:00:00Z"
    assert found["L1"]["slalang_first_touch_late_minutes"] == "1260"
    assert found["L3"]["slalang_first_touch_status"] == "missed"
    assert found["L3"]["slalang_first_touch_late_minutes"] == str(1692000 // 60)
    assert found["L2"]["slalang_stage"] == "sql"
    assert found["L2"]["slalang_first_touch_late_minutes"] == ""
    # a lead with no clock of an SLA has empty cells for it, not a guess
    assert found["L1"]["slalang_rejection_feedback_status"] == ""


def test_one_row_per_lead_in_id_order_formula_safe(acme_built: Report) -> None:
    found = rows(render_report(acme_built, "leads"))
    ids = [row["lead_id"] for row in found]
    assert ids == sorted(ids) and len(ids) == len(set(ids))
    # the hostile id is written so a spreadsheet will not run it
    assert "'=cmd|' /C calc'!A0" in ids


def test_the_latest_cycle_is_reported(acme_built: Report) -> None:
    report = dict(acme_built)
    first = next(c for c in acme_built["clocks"] if c["lead_id"] == "L1")
    second = first | {
        "cycle": 2,
        "started_at": "2026-03-01T15:00:00Z",
        "status": "pending",
        "due_at": "2026-03-01T19:00:00Z",
        "stopped_at": None,
        "late_by_seconds": None,
    }
    report["clocks"] = [*acme_built["clocks"], second]
    found = {row["lead_id"]: row for row in rows(render_report(report, "leads"))}
    assert found["L1"]["slalang_first_touch_status"] == "pending"
    assert found["L1"]["slalang_first_touch_due_at"] == "2026-03-01T19:00:00Z"


def test_a_paused_clock_reads_paused(acme_built: Report) -> None:
    report = dict(acme_built)
    report["clocks"] = [
        c | {"paused": True} if c["lead_id"] == "L1" else c for c in acme_built["clocks"]
    ]
    found = {row["lead_id"]: row for row in rows(render_report(report, "leads"))}
    assert found["L1"]["slalang_first_touch_status"] == "paused"


def test_leads_are_walked_in_order_whatever_order_a_hand_made_list_is_in(
    acme_built: Report,
) -> None:
    """The rows come from walking the stages and clocks side by side a lead at a time: a
    lead only one list names still gets its row, one that only skipped stages an empty
    stage, and lists put together with their leads in another order (each lead's entries
    in their order) read as in the engine's lead order."""
    report = dict(acme_built)
    by_lead_down = {"key": lambda entry: entry["lead_id"], "reverse": True}  # stable
    report["stages"] = sorted(acme_built["stages"], **by_lead_down)
    report["stages"].append({"lead_id": "L0", "kind": "skipped"})
    report["clocks"] = sorted(acme_built["clocks"], **by_lead_down)
    report["clocks"].append(acme_built["clocks"][0] | {"lead_id": "L9"})
    found = rows(render_report(report, "leads"))
    ids = [row["lead_id"] for row in found]
    assert ids == sorted(ids)
    made = {row["lead_id"]: row for row in found}
    assert made.pop("L0")["slalang_stage"] == ""
    l9 = made.pop("L9")
    assert l9["slalang_stage"] == ""
    assert l9["slalang_first_touch_status"] == acme_built["clocks"][0]["status"]
    assert list(made.values()) == rows(render_report(acme_built, "leads"))


def test_every_cell_of_a_hand_edited_report_is_written_formula_safe(acme_built: Report) -> None:
    """A report read back from a file may hold anything: a stage, a status or a due time
    with a comma, a quote, a line end or a formula start is written as the `csv` format
    writes a cell, and reads back as `csv_rows.cell` gives it."""
    from slalang.render.report.csv_rows import cell

    report = dict(acme_built)
    hostile = {
        "stage": '=HYPERLINK("x"),1',
        "status": "-2+3\r",
        "due_at": '@due "soon"\n',
        "late_by_seconds": -120,
    }
    report["stages"] = [
        entry | {"stage": hostile["stage"]} if entry["kind"] == "entered" else entry
        for entry in acme_built["stages"]
    ]
    report["clocks"] = [
        c | {key: value for key, value in hostile.items() if key != "stage"}
        for c in acme_built["clocks"]
    ]
    found = {row["lead_id"]: row for row in rows(render_report(report, "leads"))}
    row = found["L1"]
    assert row["slalang_stage"] == cell(hostile["stage"])
    assert row["slalang_first_touch_status"] == cell(hostile["status"])
    assert row["slalang_first_touch_due_at"] == cell(hostile["due_at"])
    assert row["slalang_first_touch_late_minutes"] == cell(-2)
