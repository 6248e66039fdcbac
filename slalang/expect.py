"""Expectations about a report: partial matching of expected entries against actual ones
(RUNNER §4). Shared by the conformance suite and `slalang test`, so both judge alike."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

SECTIONS = ("stages", "clocks", "violations", "targets", "slas")
NEGATED = {
    "no_violations": "violations",
    "no_clocks": "clocks",
    "no_stages": "stages",
    "no_targets": "targets",
}


@dataclass(frozen=True, slots=True)
class Mismatch:
    """An expectation that failed: what was expected and the closest actual entries."""

    section: str
    expected: Mapping[str, Any]
    nearest: tuple[Mapping[str, Any], ...]
    negated: bool

    def describe(self) -> str:
        verb = "found an entry that must not exist" if self.negated else "no entry matches"
        lines = [f"{self.section}: {verb}", f"  expected: {_show(self.expected)}"]
        if self.nearest:
            label = "  matching:" if self.negated else "  nearest: "
            for entry in self.nearest:
                lines.append(f"{label} {_show(entry)}")
                label = "           "
        else:
            lines.append(f"  (the report has no {self.section})")
        return "\n".join(lines)


def normalise(value: Any) -> Any:
    """YAML gives datetimes and dates as objects; the report has ISO strings."""
    if isinstance(value, datetime):
        text = value.isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    return value


def matches(expected: Any, actual: Any) -> bool:
    """Every key the expectation gives is equal; lists must be equal element by element;
    numbers compare with a tolerance (0.1 + 0.2 is 0.3 in a policy test)."""
    expected = normalise(expected)
    if isinstance(expected, Mapping):
        return isinstance(actual, Mapping) and all(
            key in actual and matches(value, actual[key]) for key, value in expected.items()
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(expected) == len(actual)
            and all(matches(e, a) for e, a in zip(expected, actual, strict=True))
        )
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(expected - actual) <= 1e-9 * max(1.0, abs(expected), abs(actual))
    return bool(expected == actual)


def _closeness(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> int:
    return sum(1 for k, v in normalise(expected).items() if k in actual and matches(v, actual[k]))


def check(expect: Mapping[str, Any], report: Mapping[str, Any]) -> list[Mismatch]:
    """Every expectation of one case against one report; an empty list means it passed."""
    failures: list[Mismatch] = []
    for key, entries in expect.items():
        section = NEGATED.get(key, key)
        negated = key in NEGATED
        actual: Sequence[Mapping[str, Any]] = report.get(section) or []
        for entry in entries or []:
            found = [a for a in actual if matches(entry, a)]
            if negated and found:
                failures.append(Mismatch(section, entry, tuple(found[:3]), True))
            elif not negated and not found:
                ranked = sorted(actual, key=lambda a: -_closeness(entry, a))
                failures.append(Mismatch(section, entry, tuple(ranked[:2]), False))
    return failures


def _show(entry: Mapping[str, Any]) -> str:
    return "{" + ", ".join(f"{k}: {v!r}" for k, v in normalise(entry).items()) + "}"
