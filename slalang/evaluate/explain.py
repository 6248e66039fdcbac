"""`slalang explain`: one lead's replay as a timeline a person can follow, each step with
the policy line that caused it. The same pure replay the report uses, run with tracing."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from slalang import numbers as n
from slalang.evaluate.model import ClockRecord, Runtime, Step, iso
from slalang.evaluate.replay import EventLike, replay
from slalang.evaluate.runtime import build_runtime


@dataclass(frozen=True, slots=True)
class Explanation:
    lead_id: str
    as_of: int
    timezone: str
    steps: tuple[Step, ...]
    clocks: tuple[ClockRecord, ...]
    events: tuple[tuple[int, str, str, int], ...]  # (ts, type, file, line) per event


def explain(
    plan: Mapping[str, Any],
    lead_id: str,
    events: Sequence[EventLike],
    as_of: int,
    runtime: Runtime | None = None,
) -> Explanation:
    """One lead's traced replay; pass the plan's `runtime` when explaining many leads, so
    it is built once."""
    result = replay(runtime or build_runtime(plan), lead_id, events, as_of, trace=True)
    return Explanation(
        lead_id,
        as_of,
        plan["policy"]["timezone"],
        tuple(result.steps),
        tuple(result.clocks),
        tuple((e.ts, e.type, getattr(e, "file", ""), getattr(e, "line", 0)) for e in events),
    )


def render_explanation(explanation: Explanation, fmt: str, sources: Mapping[str, str]) -> str:
    if fmt == "json":
        return _json(explanation)
    return _text(explanation, sources)


def _local(ts: int, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(ts, UTC).astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


def _policy_line(step: Step, sources: Mapping[str, str]) -> str | None:
    if step.source is None:
        return None
    where = f"{step.source.file}:{step.source.line}"
    text = sources.get(step.source.file)
    if text is None:
        return where
    lines = text.splitlines()
    if 1 <= step.source.line <= len(lines):
        return f"{where}  {lines[step.source.line - 1].strip()}"
    return where


def _text(explanation: Explanation, sources: Mapping[str, str]) -> str:
    zone = ZoneInfo(explanation.timezone)
    out = [
        f"lead {explanation.lead_id}: {len(explanation.events)} events, "
        f"judged as of {iso(explanation.as_of)} ({_local(explanation.as_of, zone)})",
        "",
    ]
    origin = {(ts, kind): (file, line) for ts, kind, file, line in explanation.events}
    for step in explanation.steps:
        if step.what == "event":
            file, line = origin.get((step.at, step.detail), ("", 0))
            where = f"  ({file}:{line})" if file else ""
            out.append(f"{iso(step.at)}  {_local(step.at, zone)}  {step.detail}{where}")
            continue
        out.append(f"    {step.what:<8} {step.detail}")
        behind = _policy_line(step, sources)
        if behind:
            out.append(f"             ← {behind}")
    out.append("")
    out.append("clocks:")
    if not explanation.clocks:
        out.append("  none")
    for clock in explanation.clocks:
        text = f"  {clock.sla} #{clock.cycle}: {clock.status}, started {iso(clock.started_at)}"
        if clock.due_at is not None:
            text += f", due {iso(clock.due_at)}"
        if clock.stopped_at is not None:
            text += f", stopped {iso(clock.stopped_at)}"
        text += f", elapsed {n.short_duration(clock.elapsed_seconds)}"
        if clock.paused_seconds:
            text += f", paused {n.short_duration(clock.paused_seconds)}"
        if clock.paused:
            text += " (paused now)"
        if clock.late_by_seconds:
            text += f", late by {n.short_duration(clock.late_by_seconds)}"
        out.append(text)
    return "\n".join(out) + "\n"


def _json(explanation: Explanation) -> str:
    document = {
        "lead_id": explanation.lead_id,
        "as_of": iso(explanation.as_of),
        "steps": [
            {
                "at": iso(step.at),
                "what": step.what,
                "detail": step.detail,
                "source": None
                if step.source is None
                else {"file": step.source.file, "line": step.source.line},
            }
            for step in explanation.steps
        ],
        "clocks": [
            {
                "sla": c.sla,
                "cycle": c.cycle,
                "goal": c.goal,
                "status": c.status,
                "started_at": iso(c.started_at),
                "due_at": None if c.due_at is None else iso(c.due_at),
                "stopped_at": None if c.stopped_at is None else iso(c.stopped_at),
                "elapsed_seconds": c.elapsed_seconds,
                "late_by_seconds": c.late_by_seconds,
                "paused_seconds": c.paused_seconds,
                "paused": c.paused,
            }
            for c in explanation.clocks
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
