"""The report: reduced totals → the versioned JSON contract of RUNNER §3.

Every renderer (table, markdown, csv, junit …) reads this one dict, so all formats say the
same thing. Lists are in a fixed order (lead, then time, then rule) and instants are UTC
ISO-8601 to the second, so the same input always gives the same bytes.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

from slalang import numbers as n
from slalang.calendar import Calendar
from slalang.evaluate.aggregate import TargetResult, Totals, sla_summaries, target_results
from slalang.evaluate.model import iso as instant
from slalang.evaluate.runtime import build_calendar

FORMAT_VERSION = "1.0"
SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}


def iso(ts: int | None) -> str | None:
    return None if ts is None else instant(ts)


def number(value: float | None) -> int | float | None:
    """Integral values as integers, others rounded to 6 places: stable, readable JSON."""
    if value is None:
        return None
    rounded = round(value, 6)
    return int(rounded) if rounded == int(rounded) else rounded


def build_report(
    plan: Mapping[str, Any],
    totals: Totals,
    input_stats: Mapping[str, Any],
    as_of: int,
    metrics: Mapping[tuple[str, str], float],
    cover: tuple[int, int],
    listed: tuple[int, int] | None,
) -> dict[str, Any]:
    """The whole report. `cover` is the span the data covers (for `partial` periods),
    `listed` the span whose periods are listed (None when there are no events)."""
    stages, clocks, violations = lead_entries(plan, totals)
    results = target_results(plan, totals, metrics, as_of, cover, listed)
    violations.extend(_target_missed(r) for r in results if r.status == "missed")
    violations.sort(key=lambda v: (v["lead_id"] is None, v["lead_id"] or "", v["at"], v["rule"]))
    policy = plan["policy"]
    return {
        "format_version": FORMAT_VERSION,
        "policy": {
            "name": policy["name"],
            "version": policy["version"],
            "digest": plan["digest"],
            "files": policy["files"],
            "timezone": policy["timezone"],
        },
        "as_of": iso(as_of),
        "input": dict(input_stats),
        "stages": stages,
        "clocks": clocks,
        "violations": violations,
        "slas": sla_summaries(plan, totals),
        "targets": [_target(r) for r in results],
    }


Entries = list[dict[str, Any]]


def lead_entries(plan: Mapping[str, Any], totals: Totals) -> tuple[Entries, Entries, Entries]:
    """The report's stage, clock and violation entries of the leads in `totals`, each list
    in report order (lead, then time, then rule); target violations are not lead entries.
    An engine that reduces leads in parts (the columnar engine's partitions, each holding
    all of some leads' records) builds each part's entries here and merges them by lead."""
    slas = {s["name"]: s for s in plan["slas"]}
    # a lead's records are contiguous and in replay order (time, then stage order), so a
    # stable sort by lead is the whole order
    stages = sorted(totals.stages, key=itemgetter(0))
    clocks = sorted(totals.clocks, key=lambda r: (r[0], r[1].started_at, r[1].sla, r[1].cycle))
    violations: Entries = []
    lateness = Lateness(plan)
    for lead, clock in clocks:
        if clock.status in ("late", "missed"):
            violations.append(breach_entry(slas[clock.sla], lead, clock, lateness.words(clock)))
    handoffs = {s["name"]: s["handoff"] for s in plan["stages"] if s["handoff"]}
    for lead, record in totals.handoffs:
        violations.append(handoff_entry(handoffs[record.stage], lead, record))
    violations.sort(key=lambda v: (v["lead_id"], v["at"], v["rule"]))
    stage_entries = [
        {"lead_id": lead, "stage": r.stage, "kind": r.kind, "at": iso(r.at)} for lead, r in stages
    ]
    return stage_entries, [clock_entry(lead, c) for lead, c in clocks], violations


def clock_entry(lead: str, clock: Any) -> dict[str, Any]:
    """A judged clock as the report lists it (every engine builds its entries here)."""
    return {
        "sla": clock.sla,
        "lead_id": lead,
        "cycle": clock.cycle,
        "goal": clock.goal,
        "started_at": iso(clock.started_at),
        "due_at": iso(clock.due_at),
        "stopped_at": iso(clock.stopped_at),
        "status": clock.status,
        "elapsed_seconds": clock.elapsed_seconds,
        "late_by_seconds": clock.late_by_seconds,
        "paused_seconds": clock.paused_seconds,
        "paused": clock.paused,
    }


def _source(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {"file": entry["source"]["file"], "line": entry["source"]["line"]}


class Lateness:
    """How late a breached clock is, in its goal's own unit (RUNNER §6.7): business time on
    the goal's calendar for a business goal, then the wall-clock time; wall-clock alone for
    a calendar goal. The report keeps `late_by_seconds` in wall-clock seconds; the words are
    for people. Calendars are built once, on the first breach that needs one."""

    def __init__(self, plan: Mapping[str, Any]) -> None:
        self._plan_calendars = plan["calendars"]
        self._calendars: dict[str, Calendar] = {}
        self._durations = {
            (sla["name"], goal["duration"]["text"]): goal["duration"]
            for sla in plan["slas"]
            for goal in sla["goals"]
        }

    def business(self, sla: str, goal: str | None) -> tuple[str, Calendar] | None:
        """The kind (`business_seconds`, `business_days`) and calendar a breach of this
        goal is counted on; None for a wall-clock goal (or none)."""
        duration = self._durations.get((sla, goal or ""))
        if duration is None or duration["kind"] == "calendar":
            return None
        name = duration["calendar"]
        calendar = self._calendars.get(name)
        if calendar is None:
            calendar = self._calendars[name] = build_calendar(self._plan_calendars[name])
        return duration["kind"], calendar

    def words(self, clock: Any) -> str:
        wall = clock.late_by_seconds or 0
        found = self.business(clock.sla, clock.goal)
        if found is None or clock.due_at is None:
            return n.lateness(wall)
        kind, calendar = found
        due, end = clock.due_at, clock.due_at + wall
        days, since = 0, due
        if kind == "business_days":
            # a business-days deadline is a day's close: count the closes passed since
            close = calendar.add_business_days_epoch(due, 0)
            while close <= end:
                days, since = days + 1, close
                close = calendar.add_business_days_epoch(due, days)
        return n.lateness(wall, (days, calendar.business_seconds_epoch(since, end)))


def breach_entry(sla: Mapping[str, Any], lead: str, clock: Any, late: str) -> dict[str, Any]:
    """The violation of a late or missed clock; `late` is `Lateness.words` of it."""
    return {
        "kind": "sla_breach",
        "rule": sla["name"],
        "owner": sla["owner"],
        "severity": sla["severity"],
        "lead_id": lead,
        "period": None,
        "group": None,
        "at": iso(clock.due_at),
        "message": breach_message(clock.status, clock.goal, clock.paused_seconds, late),
        "details": {
            "status": clock.status,
            "cycle": clock.cycle,
            "due_at": iso(clock.due_at),
            "stopped_at": iso(clock.stopped_at),
            "late_by_seconds": clock.late_by_seconds,
        },
        "source": _source(sla),
    }


def breach_message(status: str, goal: str | None, paused_seconds: int, late: str) -> str:
    """What a breach's violation says: how late (`late`, `Lateness.words`) under which goal."""
    terms = f"goal {goal}"
    if paused_seconds:  # on the goal's own clock, as the goal is counted
        terms += f", paused {n.short_duration(paused_seconds)}"
    if status == "late":
        return f"stopped {late} ({terms})"
    return f"not stopped by the deadline: {late} ({terms})"


def handoff_entry(handoff: Mapping[str, Any], lead: str, record: Any) -> dict[str, Any]:
    """The violation of a handoff that lacked a required field or failed a check."""
    parts = []
    if record.missing:
        parts.append("missing " + ", ".join(record.missing))
    if record.failed:
        parts.append("failed " + ", ".join(f"`{text}`" for text in record.failed))
    return {
        "kind": "handoff_incomplete",
        "rule": record.stage,
        "owner": handoff["owner"],
        "severity": handoff["severity"],
        "lead_id": lead,
        "period": None,
        "group": None,
        "at": iso(record.at),
        "message": f"handed over to {record.stage} " + " and ".join(parts),
        "details": {"missing": list(record.missing), "failed": list(record.failed)},
        "source": _source(handoff),
    }


def _group(result: TargetResult) -> str | None:
    group = result.group
    if group is None:
        return None
    if isinstance(group, bool):
        return "true" if group else "false"
    if isinstance(group, float):
        return str(number(group))
    return str(group)


def _target(result: TargetResult) -> dict[str, Any]:
    target = result.target
    return {
        "target": target["name"],
        "owner": target["owner"],
        "period": result.period.key,
        "period_start": iso(result.period.start),
        "period_end": iso(result.period.end),
        "group": _group(result),
        "value": None if result.status == "no_data" else number(result.value),
        "goal": number(result.goal),
        "op": target["goal"]["op"],
        "status": result.status,
        "pace": number(result.pace),
    }


def _target_missed(result: TargetResult) -> dict[str, Any]:
    target = result.target
    value, goal = number(result.value), number(result.goal)
    show = n.percent if n.reads_as_share(value, goal) else n.amount
    op = target["goal"]["op"]
    return {
        "kind": "target_missed",
        "rule": target["name"],
        "owner": target["owner"],
        "severity": target["severity"],
        "lead_id": None,
        "period": result.period.key,
        "group": _group(result),
        "at": iso(result.period.end),
        "message": f"{show(value)} where the goal is {op} {show(goal)} ({target['text']})",
        "details": {"value": value, "goal": goal},
        "source": _source(target),
    }
