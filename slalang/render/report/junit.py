"""Report rendering: `junit`, JUnit XML so CI systems show breaches as failed tests.

One <testsuite> per kind of rule (`slas`, `handoffs`, `targets`), one <testcase> per rule
(classname `slalang.<suite>`), and a <failure> on a rule that has violations, listing them;
the failure's `type` is the highest severity among them. Every rule a report names is a
test: all SLAs and all targets. The report lists handoff rules only through their
violations, so a handoff that was never incomplete has no test case.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

import slalang.render.report.summary as s
from slalang import numbers as n
from slalang.render.report.options import Options

SUITES = (("slas", "sla_breach"), ("handoffs", "handoff_incomplete"), ("targets", "target_missed"))
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# XML 1.0 cannot hold most control characters, even escaped; data may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render(report: s.Report, options: Options) -> str:
    root = ET.Element("testsuites", name=xml_text(f"slalang: {s.policy_title(report)}"))
    tests = failures = 0
    by_kind = _failures(report["violations"])
    for suite_name, kind in SUITES:
        suite = _suite(report, suite_name, kind, by_kind.get(kind, {}))
        tests += int(suite.get("tests", "0"))
        failures += int(suite.get("failures", "0"))
        root.append(suite)
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root, space="  ")
    return DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


@dataclass(slots=True)
class _Failure:
    """A rule's violations as its <failure> tells them: the first, the highest severity
    and a line each (the text the XML holds anyway, not the violations)."""

    first: s.Row
    severity: str
    lines: list[str]


def _failures(violations: Iterable[s.Row]) -> dict[str, dict[str, _Failure]]:
    """Per kind, per rule in order of first violation, its failure: one pass over the
    violations (a streamed report's are parsed anew on each pass)."""
    by_kind: dict[str, dict[str, _Failure]] = {}
    for violation in violations:
        rules = by_kind.setdefault(violation["kind"], {})
        failure = rules.get(violation["rule"])
        if failure is None:
            rules[violation["rule"]] = _Failure(violation, violation["severity"], [])
            failure = rules[violation["rule"]]
        else:  # the first of the highest
            failure.severity = s.highest_severity((failure.severity, violation["severity"]))
        failure.lines.append(_line(violation))
    return by_kind


def _rules(report: s.Report, kind: str, failing: Collection[str]) -> list[str]:
    """The rules of one kind, in report order; those seen only in violations after them."""
    if kind == "sla_breach":
        listed = [row["sla"] for row in report["slas"]]
    elif kind == "target_missed":
        listed = [row["target"] for row in report["targets"]]
    else:
        listed = []
    seen = dict.fromkeys(listed)
    return [*seen, *sorted(set(failing) - set(seen))]


def _suite(report: s.Report, name: str, kind: str, by_rule: Mapping[str, _Failure]) -> ET.Element:
    rules = _rules(report, kind, by_rule)
    failing = sum(1 for rule in rules if rule in by_rule)
    suite = ET.Element(
        "testsuite",
        name=name,
        tests=str(len(rules)),
        failures=str(failing),
        errors="0",
        skipped="0",
        time="0",
    )
    _properties(suite, report)
    for rule in rules:
        case = ET.SubElement(suite, "testcase", name=rule, classname=f"slalang.{name}", time="0")
        failure = by_rule.get(rule)
        if failure is not None:
            _failure(case, failure)
    return suite


def _properties(suite: ET.Element, report: s.Report) -> None:
    policy = report["policy"]
    properties = ET.SubElement(suite, "properties")
    values = (
        ("policy", policy["name"]),
        ("policy_version", policy["version"] or ""),
        ("policy_digest", policy["digest"]),
        ("as_of", report["as_of"]),
        ("input", s.input_line(report["input"])),
    )
    for key, value in values:
        ET.SubElement(properties, "property", name=key, value=xml_text(value))


def _failure(case: ET.Element, failure: _Failure) -> None:
    first = failure.first
    count = n.plural(len(failure.lines), "violation")
    element = ET.SubElement(
        case,
        "failure",
        message=xml_text(f"{count}: {failure.lines[0]}" if len(failure.lines) == 1 else count),
        type=failure.severity,
    )
    source = first["source"]
    owner = f"owner {first['owner']}" if first["owner"] else "no owner"
    header = f"{source['file']}:{source['line']} ({owner})"
    element.text = xml_text("\n".join([header, *failure.lines]))


def _line(violation: s.Row) -> str:
    """`L1 due 2026-03-09T17:00:00Z: message`; `2026-03 · ann: message` for a target,
    whose period says when."""
    if violation["kind"] == "target_missed":
        return f"{s.where(violation)}: {violation['message']}"
    return f"{s.where(violation)} due {violation['at']}: {violation['message']}"
