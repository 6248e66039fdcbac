"""The differential check: the compiled kernel's report against the reference replay's, byte
for byte, on the very same events; a mismatch names the first lead whose results differ."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slalang.data import EventLog
from slalang.engine.batch import Batch, from_event_log
from slalang.engine.kernel import load, supports
from slalang.engine.run import batch_report
from slalang.evaluate.model import LeadResult
from slalang.evaluate.replay import replay
from slalang.evaluate.run import Span, evaluate, frame
from slalang.evaluate.runtime import build_runtime
from slalang.render.report.json_text import pieces


def batch_of(plan: Mapping[str, Any], log: EventLog) -> Batch:
    types = {name: entry["type"] for name, entry in plan["fields"].items()}
    batch = from_event_log(log, types, plan["events"])
    batch.check()
    return batch


def assert_same_report(
    plan: Mapping[str, Any],
    log: EventLog,
    *,
    as_of: int | None = None,
    span: Span = Span(),  # noqa: B008 - a frozen value
    metrics: Mapping[tuple[str, str], float] | None = None,
    jit: bool = False,
    supported: bool = True,
) -> dict[str, Any]:
    """Both engines' reports are the same bytes; returns the report. `supported` says
    whether the kernel must run the plan itself (not fall back to the reference)."""
    reason = supports(plan)
    assert (reason is None) is supported, reason
    expected = evaluate(plan, log, as_of=as_of, span=span, metrics=metrics)
    batch = batch_of(plan, log)
    actual = batch_report(plan, batch, as_of=as_of, span=span, metrics=metrics, jit=jit)
    # the JSON report's very bytes: the kernel's entries are written as text, not dicts
    want, got = "".join(pieces(expected)), "".join(pieces(actual))
    if want != got:
        lead = first_differing_lead(plan, log, frame(log.stats, as_of, span).as_of, jit)
        lead = lead or first_differing_entry(json.loads(want), json.loads(got))
        raise AssertionError(f"reports differ; first differing lead: {lead}")
    report: dict[str, Any] = json.loads(got)
    return report


def first_differing_lead(
    plan: Mapping[str, Any], log: EventLog, as_of: int, jit: bool
) -> str | None:
    """The first lead (in report order) whose kernel result differs from the reference."""
    if supports(plan) is not None:
        return None
    runtime = build_runtime(plan)
    kernel = {r.lead_id: r for r in load(plan, jit=jit).results(batch_of(plan, log), as_of)}
    for lead in sorted(log.leads):
        want = replay(runtime, lead, log.leads[lead], as_of)
        got = kernel.get(lead, LeadResult(lead))
        if _records(want) != _records(got):
            return f"{lead}: expected {_records(want)}, got {_records(got)}"
    return None


def first_differing_entry(want: dict[str, Any], got: dict[str, Any]) -> str:
    """The lead of the first stage, clock or violation entry that differs (when every
    lead's records agree and the difference is in how they were counted or written)."""
    for section in ("stages", "clocks", "violations"):
        for mine, theirs in zip(want[section], got[section], strict=False):
            if mine != theirs:
                return f"{mine.get('lead_id')} ({section}): expected {mine}, got {theirs}"
        mine, theirs = want[section], got[section]
        if len(mine) != len(theirs):
            extra = (mine if len(mine) > len(theirs) else theirs)[min(len(mine), len(theirs))]
            side = "expected" if len(mine) > len(theirs) else "got"
            return f"{extra.get('lead_id')} ({section}): only {side} {extra}"
    changed = [key for key in want if want[key] != got.get(key)]
    return f"none; the entries agree, {', '.join(changed) or 'the bytes'} differ"


def _records(result: LeadResult) -> tuple[Any, ...]:
    return (result.stages, result.clocks, result.handoffs, result.facts, result.rates)
