"""Report rendering: what people read, worked out once for the table and Markdown forms.

The terminal table and the Markdown comment say the same things in the same order; this
module decides those things (which violations are worst, what an owner owes, how a number
is written) so the two renderers only lay them out.
"""

from __future__ import annotations

import heapq
import itertools
import operator
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slalang import numbers as n
from slalang.evaluate.periods import Periods
from slalang.evaluate.report import SEVERITY_RANK

Report = Mapping[str, Any]
Row = Mapping[str, Any]

KINDS = ("sla_breach", "handoff_incomplete", "target_missed")
KIND_WORDS = {
    "sla_breach": ("SLA breach", "SLA breaches"),
    "handoff_incomplete": ("incomplete handoff", "incomplete handoffs"),
    "target_missed": ("missed target", "missed targets"),
}
SEVERITIES = ("error", "warning", "info")
SLA_COUNTS = ("met", "late", "missed", "pending", "at_risk", "cancelled", "exempt")
SLA_HEADINGS = {status: status.replace("_", " ").capitalize() for status in SLA_COUNTS}
NO_OWNER = "(no owner)"

# Lead ids, group values and messages come from the data: a stray escape sequence in a CRM
# export must not recolour or move the reader's terminal, so control characters are shown
# as escapes. Newlines and tabs stay (they only wrap).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters written as `\\xNN`."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def is_share(row: Row) -> bool:
    """Whether a target row reads as a percentage (see `numbers.reads_as_share`)."""
    return n.reads_as_share(row["value"], row["goal"])


@dataclass(frozen=True, slots=True)
class TargetCells:
    value: str
    goal: str
    pace: str


def target_cells(row: Row) -> TargetCells:
    """A target row's value, goal (with its operator) and pace, as people read them."""
    show = n.percent if is_share(row) else n.amount
    goal = n.ABSENT if row["goal"] is None else f"{row['op']} {show(row['goal'])}"
    pace = n.amount(row["pace"]) if row["pace"] is not None else ""
    return TargetCells(show(row["value"]), goal, pace)


def shown_targets(report: Report, hide_empty: bool) -> list[Row]:
    """The target rows to show: all, or with `hide_empty` those with a value (a grouped
    target lists every group in every period, and in a big team most have none)."""
    rows: list[Row] = report["targets"]
    return [r for r in rows if r["value"] is not None] if hide_empty else rows


def status_word(status: str) -> str:
    return status.replace("_", " ")


def policy_title(report: Report) -> str:
    policy = report["policy"]
    version = policy["version"]
    return str(policy["name"]) + (f" {version}" if version else "")


def short_digest(digest: str) -> str:
    return digest[: len("sha256:") + 12]


def input_line(inp: Mapping[str, Any]) -> str:
    """The input accounting in one line: what was read, what was not used and why."""
    used = (
        f"{n.plural(inp['rows'], 'row')} read, {n.plural(inp['events'], 'event')} "
        f"for {n.plural(inp['leads'], 'lead')}"
    )
    rejected = inp["rejected"]
    unknown = inp["unknown_events"]
    notes = [
        _with_breakdown(n.plural(sum(rejected.values()), "row"), "rejected", rejected),
        n.plural(inp["duplicates"], "duplicate"),
        _with_breakdown(n.plural(sum(unknown.values()), "unknown event"), "", unknown),
    ]
    after = inp.get("after_as_of")
    if isinstance(after, int) and after:
        notes.append(f"{n.plural(after, 'event')} after as-of ignored")
    bad = {
        f"{name} {reason}": count
        for name, reasons in inp.get("bad_values", {}).items()
        for reason, count in reasons.items()
    }
    if bad:
        notes.append(_with_breakdown(n.plural(sum(bad.values()), "bad value"), "", bad))
    zone = inp.get("timezone_assumed")
    if zone:
        notes.append(f"local times read in the agreement's zone {printable(zone)}")
    return f"{used}; " + ", ".join(notes)


def _with_breakdown(head: str, verb: str, counts: Mapping[str, int], shown: int = 5) -> str:
    """`3 rows rejected (bad_timestamp 2, no_lead_id 1)`: the largest causes first."""
    text = f"{head} {verb}".rstrip()
    if not counts:
        return text
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    parts = [f"{printable(key)} {n.count(count)}" for key, count in ranked[:shown]]
    if len(ranked) > shown:
        parts.append(f"{len(ranked) - shown} more")
    return f"{text} ({', '.join(parts)})"


def verdict(report: Report) -> str:
    """One line: how many violations, of which severities and kinds; clocks at risk."""
    violations = report["violations"]
    at_risk = sum(row["at_risk"] for row in report["slas"])
    risk = f"; {n.plural(at_risk, 'clock')} at risk" if at_risk else ""
    if not violations:
        return f"no violations{risk}"
    severities: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    for violation in violations:  # one pass: a streamed report's are parsed on each
        severities[violation["severity"]] += 1
        kinds[violation["kind"]] += 1
    by_severity = ", ".join(n.plural(severities[s], s) for s in SEVERITIES if severities[s])
    by_kind = ", ".join(n.plural(kinds[k], *KIND_WORDS[k]) for k in KINDS if kinds[k])
    return f"{n.plural(len(violations), 'violation')} ({by_severity}): {by_kind}{risk}"


@dataclass(frozen=True, slots=True)
class OwnerTotals:
    owner: str
    total: int
    kinds: Counter[str]
    severities: Counter[str]


def owner_totals(violations: Iterable[Row]) -> list[OwnerTotals]:
    """Violations per owner, the owner with most first: who has the most to answer for.
    Counted in one pass, holding no violation (a report's may be millions, read lazily)."""
    owners: dict[str, OwnerTotals] = {}
    for violation in violations:
        owner = violation["owner"] or NO_OWNER
        totals = owners.get(owner)
        if totals is None:
            totals = owners[owner] = OwnerTotals(owner, 0, Counter(), Counter())
        totals.kinds[violation["kind"]] += 1
        totals.severities[violation["severity"]] += 1
    counted = [replace(t, total=t.kinds.total()) for t in owners.values()]
    return sorted(counted, key=lambda t: (-t.total, t.owner))


def worst(violations: Iterable[Row], limit: int) -> list[Row]:
    """The `limit` violations to show first: SLA breaches by how late (latest first), then
    incomplete handoffs, then missed targets; ties keep the report's (lead, time) order.
    Only `limit` are held as they are read (`nsmallest`: the first `limit` of the sort)."""
    rank = {kind: index for index, kind in enumerate(KINDS)}

    def key(item: tuple[int, Row]) -> tuple[int, int, int]:
        position, violation = item
        late = 0
        if violation["kind"] == "sla_breach":
            late = violation["details"].get("late_by_seconds") or 0
        return (rank.get(violation["kind"], len(KINDS)), -late, position)

    ordered = heapq.nsmallest(max(0, limit), enumerate(violations), key=key)
    return [violation for _, violation in ordered]


def where(violation: Row) -> str:
    """Whom or what a violation concerns: the lead, or the target's period and group."""
    if violation["lead_id"] is not None:
        return printable(str(violation["lead_id"]))
    text = violation["period"] or ""
    if violation["group"] is not None:
        text += f" · {printable(violation['group'])}"
    return text


def deadline(violation: Row) -> str:
    """When a violation fell due: an SLA's deadline, a handoff's moment, a target's period
    by its label (`end of 2026-02`), never the instant its period ends."""
    if violation["kind"] == "target_missed" and violation["period"] is not None:
        return f"end of {violation['period']}"
    return str(violation["at"] or "")


def highest_severity(severities: Iterable[str]) -> str:
    return max(severities, key=lambda severity: SEVERITY_RANK.get(severity, -1))


DECIDED = ("met", "late", "missed")
"""Clock statuses that count towards compliance (met ÷ decided), as the evaluator counts."""


@dataclass(frozen=True, slots=True)
class PeriodCompliance:
    period: str
    decided: int
    met: int

    @property
    def share(self) -> float | None:
        return self.met / self.decided if self.decided else None


def compliance_by_period(
    report: Report, kind: str = "monthly"
) -> dict[str, list[PeriodCompliance]]:
    """Per SLA, compliance per period (met ÷ decided), each clock counted in the period of
    its start in the agreement's zone: the rule `compliance(SLA)` targets follow, so a
    chart and a compliance target never disagree. Periods in time order; an SLA with no
    decided clock has an empty list."""
    periods = Periods(kind, ZoneInfo(report["policy"]["timezone"]))
    counts: dict[str, dict[str, list[int]]] = {row["sla"]: {} for row in report["slas"]}
    starts: dict[str, int] = {}
    for clock in report["clocks"]:
        if clock["status"] not in DECIDED:
            continue
        period = periods.of(_epoch(clock["started_at"]))
        starts[period.key] = period.start
        cell = counts.setdefault(clock["sla"], {}).setdefault(period.key, [0, 0])
        cell[0] += 1
        cell[1] += clock["status"] == "met"
    return {
        sla: [
            PeriodCompliance(key, decided, met)
            for key, (decided, met) in sorted(by.items(), key=lambda item: starts[item[0]])
        ]
        for sla, by in counts.items()
    }


def compliance_goals(plan: Mapping[str, Any] | None) -> dict[str, tuple[str, float]]:
    """Per SLA, the goal of a target that is nothing but its compliance (`compliance(SLA)
    >= 90%`): the line drawn on the SLA's compliance chart. SLAs without one have none."""
    goals: dict[str, tuple[str, float]] = {}
    for target in (plan or {}).get("targets", ()):
        goal = target["goal"]
        left, right = goal.get("left") or {}, goal.get("right") or {}
        if left.get("agg") == "compliance" and "num" in right and target["by"] is None:
            goals.setdefault(left["sla"], (goal["op"], float(right["num"])))
    return goals


def _epoch(instant: str) -> int:
    """A report instant (`2026-02-09T18:00:00Z`) as Unix seconds."""
    return int(datetime.fromisoformat(instant).timestamp())


def lead_order(row: Row) -> tuple[bool, str]:
    """Where an entry's lead comes in a report's long lists (RUNNER §3: by lead in
    code-point order, entries of no lead last)."""
    return _place(row["lead_id"])


def _place(lead: str | None) -> tuple[bool, str]:
    """`lead_order` of an entry of LEAD."""
    return lead is None, lead or ""


def by_lead(*lists: Iterable[Row]) -> Iterator[list[list[Row]]]:
    """Each lead's entries in every one of LISTS (empty where a list has none), a lead at a
    time in the lists' lead order: what a renderer or a comparison that works lead by lead
    holds is one lead's entries, whatever the report's size."""
    # grouped by the id itself (a key looked up in C: a third of the walk's time on 10M
    # events was making `lead_order`'s tuple for every entry); only the groups' heads are
    # put in the lists' order
    groups = [itertools.groupby(rows, _LEAD) for rows in lists]
    heads = [_ordered(next(group, None)) for group in groups]
    while any(head is not None for head in heads):
        first = min(head[0] for head in heads if head is not None)
        found: list[list[Row]] = [[] for _ in lists]
        for side, head in enumerate(heads):
            if head is not None and head[0] == first:
                found[side] = list(head[1])
                heads[side] = _ordered(next(groups[side], None))
        yield found


_LEAD = operator.itemgetter("lead_id")


def _ordered(
    group: tuple[str | None, Iterator[Row]] | None,
) -> tuple[tuple[bool, str], Iterator[Row]] | None:
    """A group of `by_lead` keyed by `lead_order`."""
    if group is None:
        return None
    lead, rows = group
    return _place(lead), rows
