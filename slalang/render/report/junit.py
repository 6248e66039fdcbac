"""Report rendering: `junit`, JUnit XML so CI systems show breaches as failed tests.

One <testsuite> per kind of rule (`slas`, `handoffs`, `targets`), one <testcase> per rule
(classname `slalang.<suite>`), and a <failure> on a rule that has violations, listing them;
the failure's `type` is the highest severity among them. Every rule a report names is a
test: all SLAs and all targets. The report lists handoff rules only through their
violations, so a handoff that was never incomplete has no test case.
"""

from __future__ import annotations

import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Collection, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import IO
from xml.sax.saxutils import escape

import slalang.render.report.summary as s
from slalang import numbers as n
from slalang.render.report.options import Options

SUITES = (("slas", "sla_breach"), ("handoffs", "handoff_incomplete"), ("targets", "target_missed"))
DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
END = "</failure>"
HELD = 1 << 22
"""Characters of failure text held in memory, past which it goes to a temporary file."""
# XML 1.0 cannot hold most control characters, even escaped; data may contain them.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def render(report: s.Report, options: Options) -> Iterator[str]:
    """The XML in pieces. A failure lists a line per violation of its rule, so the text
    grows with the report; the rest, the suites, cases and failures with their counts and
    first lines, is small, and ElementTree writes it. The failures' lines are gathered in
    one pass over the violations (a streamed report's are parsed anew on each pass) into
    `_Texts`, and come between a failure's first line and its `</failure>`: the serializer
    escapes every `<` of text and attributes, so the end tag marks those places alone."""
    with _Texts() as texts:
        by_kind = _failures(report["violations"], texts)
        root = ET.Element("testsuites", name=xml_text(f"slalang: {s.policy_title(report)}"))
        tests = failures = 0
        in_order: list[_Failure] = []
        for suite_name, kind in SUITES:
            suite = _suite(report, suite_name, kind, by_kind.get(kind, {}), in_order)
            tests += int(suite.get("tests", "0"))
            failures += int(suite.get("failures", "0"))
            root.append(suite)
        root.set("tests", str(tests))
        root.set("failures", str(failures))
        root.set("errors", "0")
        ET.indent(root, space="  ")
        head, *tails = (DECLARATION + ET.tostring(root, encoding="unicode") + "\n").split(END)
        yield head
        for failure, tail in zip(in_order, tails, strict=True):
            yield from texts.read(failure.key)
            yield END + tail


@dataclass(slots=True)
class _Failure:
    """A rule's violations as its <failure> tells them: the first, the highest severity,
    how many, and where `_Texts` holds their lines."""

    first: s.Row
    severity: str
    count: int
    key: tuple[str, str]


class _Texts:
    """Text added under keys, in bounded memory, and read back key by key as XML text
    (`_escaped`): the failures' lines come in the order of the violations, rules mixed,
    and are written a rule at a time. Past `HELD` characters in all, the text held goes
    to one temporary file, a chunk per key, and is read back from there; a report whose
    failures say little stays in memory."""

    def __init__(self) -> None:
        self._held: dict[Hashable, list[str]] = {}
        self._size = 0
        self._chunks: dict[Hashable, list[tuple[int, int]]] = {}
        self._file: IO[bytes] | None = None
        self._end = 0

    def __enter__(self) -> _Texts:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            self._file.close()

    def add(self, key: Hashable, text: str) -> None:
        self._held.setdefault(key, []).append(text)
        self._size += len(text)
        if self._size >= HELD:
            self._spill()

    def read(self, key: Hashable) -> Iterator[str]:
        """The text added under `key`, in order, in pieces of up to about `HELD`."""
        if self._file is not None:
            for offset, size in self._chunks.get(key, ()):
                self._file.seek(offset)
                yield self._file.read(size).decode()
        if key in self._held:
            yield _escaped("".join(self._held[key]))

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by __exit__
        for key, held in self._held.items():
            data = _escaped("".join(held)).encode()
            self._chunks.setdefault(key, []).append((self._end, len(data)))
            self._file.write(data)
            self._end += len(data)
        self._held.clear()
        self._size = 0


def _escaped(text: str) -> str:
    """Text as ElementTree writes it, control characters replaced: a chunk of many lines
    at a time, as one string (four passes over it, not four over each line)."""
    return escape(xml_text(text))


def _failures(violations: Iterable[s.Row], texts: _Texts) -> dict[str, dict[str, _Failure]]:
    """Per kind, per rule in order of first violation, its failure, and each violation's
    line in `texts`: one pass over the violations."""
    by_kind: dict[str, dict[str, _Failure]] = {}
    for violation in violations:
        kind, rule = violation["kind"], violation["rule"]
        rules = by_kind.setdefault(kind, {})
        failure = rules.get(rule)
        if failure is None:
            rules[rule] = failure = _Failure(violation, violation["severity"], 0, (kind, rule))
        else:  # the first of the highest
            failure.severity = s.highest_severity((failure.severity, violation["severity"]))
        failure.count += 1
        texts.add(failure.key, "\n" + _line(violation))
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


def _suite(
    report: s.Report,
    name: str,
    kind: str,
    by_rule: Mapping[str, _Failure],
    in_order: list[_Failure],
) -> ET.Element:
    """A suite of test cases, its failures appended to `in_order` as they are placed."""
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
            in_order.append(failure)
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
    """The <failure> of a case with its first line, the source; `render` adds the rest."""
    first = failure.first
    count = n.plural(failure.count, "violation")
    element = ET.SubElement(
        case,
        "failure",
        message=xml_text(f"{count}: {_line(first)}" if failure.count == 1 else count),
        type=failure.severity,
    )
    source = first["source"]
    owner = f"owner {first['owner']}" if first["owner"] else "no owner"
    element.text = xml_text(f"{source['file']}:{source['line']} ({owner})")


def _line(violation: s.Row) -> str:
    """`L1 due 2026-03-09T17:00:00Z: message`; `2026-03 · ann: message` for a target,
    whose period says when."""
    if violation["kind"] == "target_missed":
        return f"{s.where(violation)}: {violation['message']}"
    return f"{s.where(violation)} due {violation['at']}: {violation['message']}"
