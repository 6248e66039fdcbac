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

import functools
from collections.abc import Iterable, Iterator

import slalang.render.report.summary as s
from slalang.render.report.csv_rows import cell, quoted, record
from slalang.render.report.json_text import batches
from slalang.render.report.options import Options

STAGE_COLUMN = "slalang_stage"
FIELDS = ("status", "due_at", "late_minutes")


def columns(report: s.Report, id_column: str) -> list[str]:
    slas = [row["sla"] for row in report["slas"]]
    return [id_column, STAGE_COLUMN] + [f"slalang_{sla}_{name}" for sla in slas for name in FIELDS]


def render(report: s.Report, options: Options) -> Iterator[str]:
    """The header, then a row per lead in the lists' lead order, in pieces of a few
    thousand rows. The stages and clocks are walked side by side a lead at a time
    (`summary.by_lead`), so only one lead's entries are held: holding every lead's stage
    and latest clocks took 1.8 GB on 10M events."""
    slas = [row["sla"] for row in report["slas"]]
    yield record([cell(name) for name in columns(report, options.id_column)])
    lists = [_in_lead_order(report[name]) for name in ("stages", "clocks")]
    rows = (_row(stages, clocks, slas) for stages, clocks in s.by_lead(*lists))
    yield from map("".join, batches(rows))


def _in_lead_order(entries: Iterable[s.Row]) -> Iterable[s.Row]:
    """A list of a report in lead order: an engine's lists are (RUNNER §3); one put
    together by hand is sorted, each lead's entries kept in their order."""
    if isinstance(entries, list):
        return sorted(entries, key=s.lead_order)
    return entries


def _row(stages: list[s.Row], clocks: list[s.Row], slas: list[str]) -> str:
    """One lead's row: its last stage entered (empty if it only skipped stages) and, per
    SLA, its latest clock (they come per lead in (start, sla, cycle) order). Each cell is
    `csv_rows.record`'s; the few distinct stages and statuses are made cells once."""
    lead = (stages or clocks)[0]["lead_id"]
    stage = ""
    for entry in stages:
        if entry["kind"] == "entered":
            stage = entry["stage"]
    latest = {clock["sla"]: clock for clock in clocks}
    cells = [quoted(cell(lead)), _word(stage)]
    for sla in slas:
        clock = latest.get(sla)
        if clock is None:
            cells.append(",,")  # three empty cells
            continue
        late = clock["late_by_seconds"]
        status = _word("paused" if clock.get("paused") else clock["status"])
        due = quoted(cell(clock["due_at"]))
        cells.append(f"{status},{due},{'' if late is None else quoted(cell(late // 60))}")
    return ",".join(cells) + "\n"


@functools.lru_cache(maxsize=256)
def _word(value: object) -> str:
    """The cell of a stage or a status (a few distinct values, on every row)."""
    return quoted(cell(value))
