"""The checker never fails on a policy that parses: any mix of real statements, including
duplicates and statements whose names are missing, gives diagnostics, not an exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from slalang.check import check
from slalang.diagnostics import PolicyError
from slalang.load import load_text
from slalang.syntax import parse

REPO = Path(__file__).resolve().parents[2]


def _statements() -> list[str]:
    """The text of every statement of the example policies and the golden inputs that
    parse: real constructs, well-formed and mistaken alike."""
    sources = [
        *(REPO / "policies").rglob("*.sla"),
        *(REPO / "tests/golden/diagnostics").glob("*.sla"),
    ]
    found: list[str] = []
    for path in sorted(sources):
        text = path.read_text(encoding="utf-8")
        try:
            policy = parse(text, path.name)
        except PolicyError:
            continue
        found.extend(
            text[s.span.start : s.span.end] for s in policy.statements if s.span.end > s.span.start
        )
    return sorted(set(found))


STATEMENTS = _statements()


def test_there_are_statements_to_combine() -> None:
    assert len(STATEMENTS) > 150


@settings(max_examples=300, derandomize=True, deadline=None)
@given(st.lists(st.sampled_from(STATEMENTS), max_size=25))
def test_any_mix_of_statements_checks_without_error(chosen: list[str]) -> None:
    text = "\n".join(chosen) + "\n"
    try:
        program = load_text(text, "mix.sla", root=REPO / "tests/golden/diagnostics")
    except PolicyError:
        return  # a syntax error of the mix itself (cannot happen often: each part parses)
    found = check(program)
    lines = text.count("\n") + 1
    for d in found:
        assert d.code.startswith("SLA") and len(d.code) == 6
        assert d.message and d.message == d.message.strip() and not d.message.endswith(".")
        if d.span.file == "mix.sla":
            assert 1 <= d.span.line <= lines
