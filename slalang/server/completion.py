"""Completion: what may be written at the cursor, decided from the words before it.

The grammar says which namespace a name belongs to by the words in front of it (`stop on`
takes events, `entering` a stage, `using` a calendar…), so completion reads the text before
the cursor back to the start of the clause (a list of events may run over several lines,
each ending with a comma) and offers the names of that namespace, from the last analysis
that parsed: a half-typed line does not parse, but its policy's names are still known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from slalang.server.analysis import Analysis, field_type
from slalang.syntax.parser import reserved_words


class Want(StrEnum):
    """What the cursor's clause takes."""

    EVENT = "event"
    STAGE = "stage"
    CALENDAR = "calendar"
    PARTY = "party"
    SLA = "sla"
    METRIC = "metric"
    OPTION = "option"  # one of a `one of` field's values
    EXPRESSION = "expression"  # fields, scores, lets (and aggregate words)
    STATEMENT = "statement"  # keywords and snippets


@dataclass(frozen=True, slots=True)
class Candidate:
    label: str
    kind: str  # an LSP completion kind name: Event, EnumMember, Field, Keyword, Snippet…
    detail: str = ""
    insert: str | None = None  # a snippet body, when the label is not what is inserted


_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_PARTIAL = rf"(?:{_IDENT})?"  # the name being typed, if any
_EVENT_LIST = rf"(?:{_IDENT}\s*,\s*)*{_PARTIAL}"
_RULES: tuple[tuple[re.Pattern[str], Want], ...] = (
    (re.compile(rf"\b(?:on|per)\s+{_EVENT_LIST}$"), Want.EVENT),
    (re.compile(rf"\bcount\s*\(\s*{_PARTIAL}$"), Want.EVENT),
    (re.compile(rf"\b(?:entering|reaching|to|handoff)\s+{_PARTIAL}$"), Want.STAGE),
    (re.compile(rf"\bcount\s*\(\s*(?:entering|reaching)\s+{_PARTIAL}$"), Want.STAGE),
    (re.compile(rf"\b(?:rate)\s*\(\s*(?:{_IDENT}\s*(?:→|->|,)\s*)?{_PARTIAL}$"), Want.STAGE),
    (re.compile(rf"\busing\s+{_PARTIAL}$"), Want.CALENDAR),
    (re.compile(rf"\bowner\s+{_PARTIAL}$"), Want.PARTY),
    (re.compile(rf"\bcompliance\s*\(\s*{_PARTIAL}$"), Want.SLA),
    (re.compile(rf"\bmetric\s*\(\s*{_PARTIAL}$"), Want.METRIC),
)
_OPTION = re.compile(rf"\b({_IDENT})\s*(?:=|!=|\bin\b\s*\(?(?:\s*\"[^\"]*\"\s*,)*)\s*\"?[^\"]*$")
_EXPRESSION = re.compile(r"(\b(?:when|where|require|and|or|not)\b|[=<>+\-*/(,])\s*\w*$")
_STATEMENT_START = re.compile(rf"^\s*{_PARTIAL}$")

SNIPPETS: dict[str, tuple[str, str]] = {
    "sla": (
        "a response-time agreement",
        'sla ${1:first_touch} "${2:Sales contacts every MQL}" {\n'
        "  owner ${3:sales}\n"
        "  start when entering ${4:mql}\n"
        "  stop on ${5:sales_touch}\n"
        "  within ${6:4 business hours}\n"
        "}",
    ),
    "target": (
        "a volume or rate target per period",
        "target ${1:mql_volume} {\n  owner ${2:marketing}\n"
        "  ${3:monthly}: count(entering ${4:mql}) >= ${5:50}\n}",
    ),
    "calendar": (
        "business hours for SLA clocks",
        'calendar ${1:office} {\n  timezone "${2:America/New_York}"\n'
        '  open mon-fri ${3:09:00-17:00}\n  closed holidays "${4:US}"\n}',
    ),
    "stage": ("a lifecycle stage", "stage ${1:mql} when ${2:fit + engagement >= 50}"),
}


def clause(lines: list[str], line: int, column: int) -> str:
    """The text before the cursor (0-based line, column in characters), joined with the
    lines before it while they end in a comma: an event list may wrap."""
    text = lines[line][:column] if line < len(lines) else ""
    row = line
    while row > 0 and lines[row - 1].rstrip().endswith(","):
        row -= 1
        text = lines[row].rstrip("\r\n") + " " + text
    return _without_comment(text)


def _without_comment(text: str) -> str:
    inside = False
    for i, char in enumerate(text):
        if char == '"':
            inside = not inside
        elif char == "#" and not inside:
            return text[:i]
    return text


def wanted(before: str) -> tuple[Want, str | None]:
    """What the clause ending at the cursor takes; for `OPTION`, the field compared."""
    for pattern, want in _RULES:
        if pattern.search(before):
            return want, None
    option = _OPTION.search(before)
    if option:
        return Want.OPTION, option.group(1)
    if _STATEMENT_START.match(before):
        return Want.STATEMENT, None
    if _EXPRESSION.search(before):
        return Want.EXPRESSION, None
    return Want.STATEMENT, None


def candidates(analysis: Analysis | None, before: str) -> list[Candidate]:
    """Everything that may be written where the clause `before` ends."""
    want, subject = wanted(before)
    if want is Want.STATEMENT:
        return _statements()
    if analysis is None or analysis.context is None:
        return []
    symbols = analysis.context.symbols
    match want:
        case Want.EVENT:
            return [Candidate(n, "Event", "event") for n in symbols.events]
        case Want.STAGE:
            return [Candidate(n, "EnumMember", "stage") for n in symbols.stages]
        case Want.CALENDAR:
            return [Candidate(n, "Module", "calendar") for n in (*symbols.calendars, "always")]
        case Want.PARTY:
            return [Candidate(n, "Constant", p.label.value) for n, p in symbols.parties.items()]
        case Want.SLA:
            return [Candidate(n, "Interface", "sla") for n in symbols.slas]
        case Want.METRIC:
            return [Candidate(n, "Value", "metric") for n in symbols.metrics]
        case Want.OPTION:
            decl = symbols.fields.get(subject or "")
            if decl is None or not decl.type.options:
                return _expression(analysis)
            return [Candidate(o.value, "EnumMember", f"{subject} value") for o in decl.type.options]
    return _expression(analysis)


def _expression(analysis: Analysis) -> list[Candidate]:
    assert analysis.context is not None
    symbols = analysis.context.symbols
    found = [
        Candidate(name, "Field", f"field: {field_type(decl.type)}")
        for name, decl in symbols.fields.items()
    ]
    found += [Candidate(name, "Variable", "score") for name in symbols.scores]
    values = analysis.context.let_values
    found += [
        Candidate(
            name, "Constant", f"let = {values[name]}" if values.get(name) is not None else "let"
        )
        for name in symbols.lets
    ]
    found += [
        Candidate(word, "Function", "aggregate")
        for word in ("count", "sum", "rate", "compliance", "metric")
    ]
    found += [
        Candidate(word, "Keyword")
        for word in ("and", "or", "not", "is", "present", "in", "matches")
    ]
    return found


def _statements() -> list[Candidate]:
    found = [Candidate(word, "Keyword") for word in sorted(reserved_words())]
    found += [
        Candidate(name, "Snippet", detail, insert) for name, (detail, insert) in SNIPPETS.items()
    ]
    return found


__all__ = ["SNIPPETS", "Candidate", "Want", "candidates", "clause", "wanted"]
