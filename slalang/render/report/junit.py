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
from collections.abc import Sequence

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
    for suite_name, kind in SUITES:
        suite = _suite(report, suite_name, kind)
        tests += int(suite.get("tests", "0"))
        failures += int(suite.get("failures", "0"))
        root.append(suite)
    root.set("tests", str(tests))
    root.set("failures", str(failures))
    root.set("errors", "0")
    ET.indent(root, space="  ")
    return DECLARATION + ET.tostring(root, encoding="unicode") + "\n"


def _rules(report: s.Report, kind: str) -> list[str]:
    """The rules of one kind, in report order; those seen only in violations after them."""
    if kind == "sla_breach":
        listed = [row["sla"] for row in report["slas"]]
    elif kind == "target_missed":
        listed = [row["target"] for row in report["targets"]]
    else:
        listed = []
    seen = dict.fromkeys(listed)
    extra = sorted({v["rule"] for v in report["violations"] if v["kind"] == kind} - set(seen))
    return [*seen, *extra]


def _suite(report: s.Report, name: str, kind: str) -> ET.Element:
    by_rule: dict[str, list[s.Row]] = {}
    for violation in report["violations"]:
        if violation["kind"] == kind:
            by_rule.setdefault(violation["rule"], []).append(violation)
    rules = _rules(report, kind)
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
        violations = by_rule.get(rule)
        if violations:
            _failure(case, violations)
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


def _failure(case: ET.Element, violations: Sequence[s.Row]) -> None:
    first = violations[0]
    count = n.plural(len(violations), "violation")
    failure = ET.SubElement(
        case,
        "failure",
        message=xml_text(f"{count}: {_line(first)}" if len(violations) == 1 else count),
        type=s.highest_severity(violations),
    )
    source = first["source"]
    owner = f"owner {first['owner']}" if first["owner"] else "no owner"
    header = f"{source['file']}:{source['line']} ({owner})"
    failure.text = xml_text("\n".join([header, *(_line(v) for v in violations)]))


def _line(violation: s.Row) -> str:
    """`L1 due 2026-03-09T17:00:00Z: message`; `2026-03 · ann: message` for a target,
    whose period says when."""
    if violation["kind"] == "target_missed":
        return f"{s.where(violation)}: {violation['message']}"
    return f"{s.where(violation)} due {violation['at']}: {violation['message']}"
