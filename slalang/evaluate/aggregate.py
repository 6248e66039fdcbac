"""The reduction: per-lead results → SLA summaries, target results by period and group,
and violations. `Totals` only adds and merges, so partial totals computed in different
processes (or machines) combine into the same report as one pass over every lead."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from slalang.evaluate.model import ClockRecord, HandoffRecord, LeadResult, StageRecord, Value
from slalang.evaluate.periods import Period, Periods
from slalang.evaluate.runtime import day_start, walk_aggregates
from slalang.functions import FUNCTIONS, evaluator

DECIDED = ("met", "late", "missed")
STATUSES = ("met", "late", "missed", "pending", "at_risk", "cancelled", "exempt")


@dataclass(frozen=True, slots=True)
class Window:
    """What is judged: records at or after `start` and at or before `end` (None: open)."""

    start: int | None
    end: int | None

    def holds(self, ts: int) -> bool:
        return (self.start is None or ts >= self.start) and (self.end is None or ts <= self.end)


@dataclass(slots=True)
class Totals:
    """Everything the report needs from the leads, in a form that merges by addition.

    `sums`, `cohorts` and `compliance` are keyed by (probe, period key, group); a cohort is
    [leads that first reached the source stage, of them those that reached the goal stage
    in time], a compliance bucket [decided clocks, of them met]. `statuses` counts clocks
    per SLA and status and `elapsed` lists the response times of stopped clocks, so the
    summaries need no record lists: an engine that streams the records out elsewhere (the
    columnar engine's partitions) merges these and nothing more.

    A sum is kept exactly, as the non-overlapping partials of Shewchuk's algorithm, and read
    with `math.fsum`: float addition is not associative, so a plain running sum would
    depend on how the leads were split (jobs, partitions, Spark tasks) and in which order
    the parts were merged, and the report bytes with it.
    """

    stages: list[tuple[str, StageRecord]] = field(default_factory=list)
    clocks: list[tuple[str, ClockRecord]] = field(default_factory=list)
    handoffs: list[tuple[str, HandoffRecord]] = field(default_factory=list)
    sums: dict[tuple[int, str, Value], list[float]] = field(default_factory=dict)
    cohorts: dict[tuple[int, str, Value], list[int]] = field(default_factory=dict)
    compliance: dict[tuple[int, str, Value], list[int]] = field(default_factory=dict)
    statuses: dict[tuple[str, str], int] = field(default_factory=dict)
    elapsed: dict[str, list[int]] = field(default_factory=dict)

    def merge(self, other: Totals) -> None:
        self.stages.extend(other.stages)
        self.clocks.extend(other.clocks)
        self.handoffs.extend(other.handoffs)
        self.merge_counts(other)

    def merge_counts(self, other: Totals) -> None:
        """Add everything but the record lists."""
        for key, partials in other.sums.items():
            exact = self.sums.setdefault(key, [])
            for amount in partials:
                add_exact(exact, amount)
        for mine, theirs in ((self.cohorts, other.cohorts), (self.compliance, other.compliance)):
            for key, (total, hits) in theirs.items():
                bucket = mine.setdefault(key, [0, 0])
                bucket[0] += total
                bucket[1] += hits
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        for sla, times in other.elapsed.items():
            self.elapsed.setdefault(sla, []).extend(times)


def add_exact(partials: list[float], amount: float) -> None:
    """Add `amount` to a sum kept as non-overlapping partials (Shewchuk; the recipe behind
    `math.fsum`): `math.fsum(partials)` is then the correctly rounded sum of every amount
    added, whatever the order they came in."""
    i = 0
    for other in partials:
        if abs(amount) < abs(other):
            amount, other = other, amount
        high = amount + other
        low = other - (high - amount)
        if low:
            partials[i] = low
            i += 1
        amount = high
    partials[i:] = [amount]


class Reducer:
    """Folds lead results into `Totals`, bucketing each counted thing into its target's
    period as it goes, so memory grows with periods and groups, not with events."""

    def __init__(self, plan: Mapping[str, Any], window: Window) -> None:
        zone = ZoneInfo(plan["policy"]["timezone"])
        kinds = {kind: Periods(kind, zone) for kind in {t["period"] for t in plan["targets"]}}
        aggregates = walk_aggregates(plan)
        self.periods = [kinds[plan["targets"][t]["period"]] for t, _ in aggregates]
        self.within = [
            None if node.get("within") is None else _duration_seconds(node["within"])
            for _, node in aggregates
        ]
        # per SLA: the compliance aggregates counting its clocks, with their `by` field
        self.compliance: dict[str, list[tuple[int, str | None]]] = {}
        for probe, (target, node) in enumerate(aggregates):
            if node["agg"] == "compliance":
                by = plan["targets"][target]["by"]
                self.compliance.setdefault(node["sla"], []).append((probe, by))
        self.window = window

    def add(self, totals: Totals, result: LeadResult) -> None:
        lead, holds = result.lead_id, self.window.holds
        totals.stages.extend((lead, s) for s in result.stages if holds(s.at))
        for clock in result.clocks:
            if holds(clock.started_at):
                totals.clocks.append((lead, clock))
                self.count_clock(totals, clock)
        totals.handoffs.extend((lead, h) for h in result.handoffs if holds(h.at))
        sums = totals.sums
        for fact in result.facts:
            if holds(fact.at):
                key = (fact.probe, self.periods[fact.probe].of(fact.at).key, fact.group)
                add_exact(sums.setdefault(key, []), fact.amount)
        for rate in result.rates:
            if not holds(rate.reached_source):
                continue
            key = (rate.probe, self.periods[rate.probe].of(rate.reached_source).key, rate.group)
            cohort = totals.cohorts.setdefault(key, [0, 0])
            cohort[0] += 1
            limit = self.within[rate.probe]
            if rate.reached_dest is not None and (
                limit is None or rate.reached_dest - rate.reached_source <= limit
            ):
                cohort[1] += 1

    def count_clock(self, totals: Totals, clock: ClockRecord) -> None:
        """Count a judged clock inside the window: its status, response time and the
        compliance buckets of its SLA (the columnar engine calls this per clock too)."""
        key = (clock.sla, clock.status)
        totals.statuses[key] = totals.statuses.get(key, 0) + 1
        if clock.status in ("met", "late"):
            totals.elapsed.setdefault(clock.sla, []).append(clock.elapsed_seconds)
        if clock.status not in DECIDED:
            return
        for probe, by in self.compliance.get(clock.sla, ()):
            group = dict(clock.groups).get(by) if by else None
            key3 = (probe, self.periods[probe].of(clock.started_at).key, group)
            bucket = totals.compliance.setdefault(key3, [0, 0])
            bucket[0] += 1
            bucket[1] += clock.status == "met"

    def reduce(self, results: Iterable[LeadResult]) -> Totals:
        totals = Totals()
        for result in results:
            self.add(totals, result)
        return totals


def sla_summaries(plan: Mapping[str, Any], totals: Totals) -> list[dict[str, Any]]:
    """Per SLA: cycles by status, compliance met ÷ decided, response-time percentiles over
    the clocks that stopped (met or late)."""
    counts = {
        sla["name"]: {status: totals.statuses.get((sla["name"], status), 0) for status in STATUSES}
        for sla in plan["slas"]
    }
    summaries = []
    for name, by_status in counts.items():
        decided = sum(by_status[s] for s in DECIDED)
        times = sorted(totals.elapsed.get(name, ()))
        summaries.append(
            {
                "sla": name,
                "cycles": sum(by_status.values()),
                **by_status,
                "compliance": round(by_status["met"] / decided, 6) if decided else None,
                "elapsed_p50_seconds": _percentile(times, 0.5),
                "elapsed_p90_seconds": _percentile(times, 0.9),
            }
        )
    return summaries


def _percentile(values: list[int], share: float) -> int | None:
    """Nearest-rank percentile: a value that occurred, never an interpolation."""
    if not values:
        return None
    return values[max(0, math.ceil(share * len(values)) - 1)]


class _NoData(Exception):
    """A zero denominator or a missing metric: the period's value cannot be computed."""


@dataclass(frozen=True, slots=True)
class TargetResult:
    target: dict[str, Any]
    period: Period
    group: Value
    value: float | None
    goal: float | None
    status: str
    pace: float | None


def target_results(
    plan: Mapping[str, Any],
    totals: Totals,
    metrics: Mapping[tuple[str, str], float],
    as_of: int,
    cover: tuple[int, int],
    listed: tuple[int, int] | None,
) -> list[TargetResult]:
    """Every target for every period from the first to the last listed instant, and for
    every group seen, with the status rules of LANGUAGE §13 applied in order."""
    zone = ZoneInfo(plan["policy"]["timezone"])
    aggregates = walk_aggregates(plan)
    probe_of = {id(node): probe for probe, (_, node) in enumerate(aggregates)}
    results: list[TargetResult] = []
    if listed is None:
        return results
    for index, target in enumerate(plan["targets"]):
        periods = Periods(target["period"], zone)
        judged = periods.between(*listed)
        judged = _within_effective(judged, plan, zone)
        own = [probe for probe, (t, _) in enumerate(aggregates) if t == index]
        buckets = _buckets(totals, own)
        groups: list[Value] = [None]
        if target["by"] is not None:
            seen = {g for (_, _, g) in buckets}
            groups = sorted(seen, key=_group_sort) or [None]
        for period in judged:
            for group in groups:
                results.append(
                    _judge(target, period, group, buckets, probe_of, metrics, as_of, cover)
                )
    return results


def _within_effective(
    periods: list[Period], plan: Mapping[str, Any], zone: ZoneInfo
) -> list[Period]:
    """Periods wholly outside `effective` are not listed (LANGUAGE §13)."""
    effective = plan["policy"].get("effective")
    if not effective:
        return periods
    start = day_start(effective["from"], zone, 0)
    end = day_start(effective.get("until"), zone, 1)
    return [
        p for p in periods if (start is None or p.end > start) and (end is None or p.start < end)
    ]


def _group_sort(group: Value) -> tuple[int, str]:
    return (1, "") if group is None else (0, str(group))


Bucket = dict[tuple[int, str, Value], Any]


def _buckets(totals: Totals, probes: list[int]) -> Bucket:
    """One target's sums, cohorts and compliance counts, keyed by (probe, period, group)."""
    wanted = set(probes)
    out: Bucket = {k: math.fsum(v) for k, v in totals.sums.items() if k[0] in wanted}
    out.update({k: tuple(v) for k, v in totals.cohorts.items() if k[0] in wanted})
    out.update({k: tuple(v) for k, v in totals.compliance.items() if k[0] in wanted})
    return out


def _duration_seconds(duration: Mapping[str, Any]) -> int:
    """A `rate … within` window: calendar time in seconds (business windows are read as
    their nominal length: a cohort window is a reporting horizon, not a response clock)."""
    if duration["kind"] == "business_days":
        return int(duration["days"]) * 86400
    return int(duration["seconds"])


def _judge(
    target: dict[str, Any],
    period: Period,
    group: Value,
    buckets: Bucket,
    probe_of: dict[int, int],
    metrics: Mapping[tuple[str, str], float],
    as_of: int,
    cover: tuple[int, int],
) -> TargetResult:
    goal_node = target["goal"]

    def value(node: dict[str, Any]) -> float:
        if "num" in node:
            return float(node["num"])
        agg = node.get("agg")
        if agg is None:
            args = [value(a) for a in node["args"]]
            if node["op"] in FUNCTIONS:
                return evaluator(node["op"], node.get("digits", 0))(args)
            if node["op"] == "neg":
                return -args[0]
            a, b = args
            if node["op"] == "/":
                if b == 0:
                    raise _NoData
                return a / b
            return {"+": a + b, "-": a - b, "*": a * b}[node["op"]]
        key = (probe_of[id(node)], period.key, group)
        if agg == "metric":
            found = metrics.get((node["metric"], period.key))
            if found is None:
                raise _NoData
            return float(found)
        if agg in ("rate", "compliance"):
            total, hits = buckets.get(key, (0, 0))
            if total == 0:
                raise _NoData
            return float(hits / total)
        return float(buckets.get(key, 0.0))

    try:
        left: float | None = value(goal_node["left"])
        right: float | None = value(goal_node["right"])
    except _NoData:
        left = right = None
    pace = None
    status: str
    if period.start <= as_of < period.end:
        status = "in_progress"
        if left is not None and goal_node["left"].get("agg", "").startswith(("count", "sum")):
            elapsed = max(1, as_of - period.start)
            pace = left * (period.end - period.start) / elapsed
    elif period.start < cover[0] or period.end - 1 > cover[1]:
        status = "partial"
    elif left is None or right is None:
        status = "no_data"
    elif _immature(goal_node, period, as_of):
        status = "immature"
    else:
        status = "met" if _COMPARE[goal_node["op"]](left, right) else "missed"
    return TargetResult(target, period, group, left, right, status, pace)


def _immature(node: dict[str, Any], period: Period, as_of: int) -> bool:
    """A cohort whose `within` window reaches past as_of cannot be judged yet."""
    pending = [node]
    while pending:
        current = pending.pop()
        within = current.get("within") if current.get("agg") == "rate" else None
        if within is not None and period.end + _duration_seconds(within) > as_of:
            return True
        pending.extend(current.get("args", []))
        pending.extend(current[k] for k in ("left", "right") if k in current)
    return False


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12),
    "!=": lambda a, b: not math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12),
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
