"""Report rendering: what people read, worked out once for the table and Markdown forms.

The terminal table and the Markdown comment say the same things in the same order; this
module decides those things (which violations are worst, what an owner owes, how a number
is written) so the two renderers only lay them out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slalang.evaluate.report import SEVERITY_RANK, human_seconds

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
ABSENT = "\N{EN DASH}"

# Lead ids, group values and messages come from the data: a stray escape sequence in a CRM
# export must not recolour or move the reader's terminal, so control characters are shown
# as escapes. Newlines and tabs stay (they only wrap).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """`text` with control characters written as `\\xNN`."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def duration(seconds: int | None) -> str:
    """`3h 10m`; an absent figure (no clock stopped) as a dash."""
    return ABSENT if seconds is None else human_seconds(seconds)


def percent(share: float | None) -> str:
    """`66.7%`, `95%`: one decimal, dropped when it is zero."""
    if share is None:
        return ABSENT
    text = f"{share * 100:.1f}"
    return text.removesuffix(".0") + "%"


def amount(value: float | None) -> str:
    """`1,250`, `56.25`, `8.14`: thousands separated, at most two decimals."""
    if value is None:
        return ABSENT
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def is_share(row: Row) -> bool:
    """Whether a target row reads as a percentage.

    The report keeps numbers as computed (`15%` in a policy is `0.15`), and says nothing of
    what a goal measures. A goal strictly between 0 and 1 with a value in [0, 1] is a share
    (rates, compliance, ratios), since counts and sums have whole-number goals; anything
    else is shown as the number it is. A share goal of exactly 100% is therefore shown as 1.
    """
    goal, value = row["goal"], row["value"]
    if goal is None or not 0 < goal < 1:
        return False
    return value is None or 0 <= value <= 1


@dataclass(frozen=True, slots=True)
class TargetCells:
    value: str
    goal: str
    pace: str


def target_cells(row: Row) -> TargetCells:
    """A target row's value, goal (with its operator) and pace, as people read them."""
    show = percent if is_share(row) else amount
    goal = ABSENT if row["goal"] is None else f"{row['op']} {show(row['goal'])}"
    pace = amount(row["pace"]) if row["pace"] is not None else ""
    return TargetCells(show(row["value"]), goal, pace)


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
        f"{plural(inp['rows'], 'row')} read, {plural(inp['events'], 'event')} "
        f"for {plural(inp['leads'], 'lead')}"
    )
    rejected = inp["rejected"]
    unknown = inp["unknown_events"]
    notes = [
        _with_breakdown(plural(sum(rejected.values()), "row"), "rejected", rejected),
        plural(inp["duplicates"], "duplicate"),
        _with_breakdown(plural(sum(unknown.values()), "unknown event"), "", unknown),
    ]
    after = inp.get("after_as_of")
    if isinstance(after, int) and after:
        notes.append(f"{plural(after, 'event')} after as-of ignored")
    return f"{used}; " + ", ".join(notes)


def _with_breakdown(head: str, verb: str, counts: Mapping[str, int], shown: int = 5) -> str:
    """`3 rows rejected (bad_timestamp 2, no_lead_id 1)`: the largest causes first."""
    text = f"{head} {verb}".rstrip()
    if not counts:
        return text
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    parts = [f"{printable(key)} {count:,}" for key, count in ranked[:shown]]
    if len(ranked) > shown:
        parts.append(f"{len(ranked) - shown} more")
    return f"{text} ({', '.join(parts)})"


def kind_counts(violations: Iterable[Row]) -> Counter[str]:
    return Counter(v["kind"] for v in violations)


def severity_counts(violations: Iterable[Row]) -> Counter[str]:
    return Counter(v["severity"] for v in violations)


def verdict(report: Report) -> str:
    """One line: how many violations, of which severities and kinds; clocks at risk."""
    violations = report["violations"]
    at_risk = sum(row["at_risk"] for row in report["slas"])
    risk = f"; {plural(at_risk, 'clock')} at risk" if at_risk else ""
    if not violations:
        return f"no violations{risk}"
    severities = severity_counts(violations)
    by_severity = ", ".join(plural(severities[s], s) for s in SEVERITIES if severities[s])
    kinds = kind_counts(violations)
    by_kind = ", ".join(plural(kinds[k], *KIND_WORDS[k]) for k in KINDS if kinds[k])
    return f"{plural(len(violations), 'violation')} ({by_severity}): {by_kind}{risk}"


@dataclass(frozen=True, slots=True)
class OwnerTotals:
    owner: str
    total: int
    kinds: Counter[str]
    severities: Counter[str]


def owner_totals(violations: Sequence[Row]) -> list[OwnerTotals]:
    """Violations per owner, the owner with most first: who has the most to answer for."""
    owners: dict[str, list[Row]] = {}
    for violation in violations:
        owners.setdefault(violation["owner"] or NO_OWNER, []).append(violation)
    totals = [
        OwnerTotals(owner, len(rows), kind_counts(rows), severity_counts(rows))
        for owner, rows in owners.items()
    ]
    return sorted(totals, key=lambda t: (-t.total, t.owner))


def worst(violations: Sequence[Row], limit: int) -> list[Row]:
    """The `limit` violations to show first: SLA breaches by how late (latest first), then
    incomplete handoffs, then missed targets; ties keep the report's (lead, time) order."""
    rank = {kind: index for index, kind in enumerate(KINDS)}

    def key(item: tuple[int, Row]) -> tuple[int, int, int]:
        position, violation = item
        late = 0
        if violation["kind"] == "sla_breach":
            late = violation["details"].get("late_by_seconds") or 0
        return (rank.get(violation["kind"], len(KINDS)), -late, position)

    ordered = sorted(enumerate(violations), key=key)
    return [violation for _, violation in ordered[: max(0, limit)]]


def where(violation: Row) -> str:
    """Whom or what a violation concerns: the lead, or the target's period and group."""
    if violation["lead_id"] is not None:
        return printable(str(violation["lead_id"]))
    text = violation["period"] or ""
    if violation["group"] is not None:
        text += f" · {printable(violation['group'])}"
    return text


def highest_severity(violations: Iterable[Row]) -> str:
    severities: list[str] = [v["severity"] for v in violations]
    return max(severities, key=lambda severity: SEVERITY_RANK.get(severity, -1))
