"""Report rendering: `leads`, one CSV row per lead for import back into the CRM (RUNNER
§6.7), so each record shows its SLA status where sales works.

Columns: the lead id under the export's own id column name (from the mapping, so the CRM's
import matches rows to existing records), the last stage the lead entered, then per SLA of
the report the latest cycle's `slalang_<sla>_status` (`paused` for a clock paused at
as-of), `slalang_<sla>_due_at` (UTC, ISO-8601) and `slalang_<sla>_late_minutes` (whole
wall-clock minutes past the deadline, empty when not late). Cells are written formula-safe
and quoted like the `csv` format's (`csv_rows.record`: a lone carriage return in an id is
quoted too, so it cannot end the record).
"""

from __future__ import annotations

from typing import Any

import slalang.render.report.summary as s
from slalang.render.report.csv_rows import cell, record
from slalang.render.report.options import Options

STAGE_COLUMN = "slalang_stage"
FIELDS = ("status", "due_at", "late_minutes")


def columns(report: s.Report, id_column: str) -> list[str]:
    slas = [row["sla"] for row in report["slas"]]
    return [id_column, STAGE_COLUMN] + [f"slalang_{sla}_{name}" for sla in slas for name in FIELDS]


def render(report: s.Report, options: Options) -> str:
    slas = [row["sla"] for row in report["slas"]]
    stages: dict[str, str] = {}
    for entry in report["stages"]:  # in replay order per lead: the last entry wins
        if entry["kind"] == "entered":
            stages[entry["lead_id"]] = entry["stage"]
        else:
            stages.setdefault(entry["lead_id"], "")
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for clock in report["clocks"]:  # per lead in (start, sla, cycle) order: the last wins
        latest[clock["lead_id"], clock["sla"]] = clock
    leads = dict.fromkeys(stages) | dict.fromkeys(lead for lead, _ in latest)
    out = [record([cell(name) for name in columns(report, options.id_column)])]
    for lead in sorted(leads):
        row: list[Any] = [lead, stages.get(lead, "")]
        for sla in slas:
            clock = latest.get((lead, sla))
            if clock is None:
                row += [None, None, None]
                continue
            late = clock["late_by_seconds"]
            status = "paused" if clock.get("paused") else clock["status"]
            row += [status, clock["due_at"], None if late is None else late // 60]
        out.append(record([cell(value) for value in row]))
    return "".join(out)
