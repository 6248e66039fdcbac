"""Formatter golden cases (Black's `# output` convention) and the invariants each keeps.

A case is `cases/NAME.sla`: the input, then a line `# output`, then the expected output;
without that line the input is expected to be canonical already. `SLALANG_REGEN=1`
rewrites the expected outputs from the formatter — then read the diff before committing.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import pytest

from slalang import ast
from slalang.diagnostics import PolicyError
from slalang.fmt import FormatError, format_policy, format_text
from slalang.syntax import parse

CASES = Path(__file__).parent / "cases"
MARK = "# output\n"


def _read_case(path: Path) -> tuple[str, str | None]:
    text = path.read_text(encoding="utf-8")
    if text.startswith(MARK):
        return "", text[len(MARK) :]
    input_text, mark, expected = text.partition("\n" + MARK)
    if not mark:
        return text, None
    return input_text + "\n", expected


def assert_tidy(out: str) -> None:
    """Layout every output has: one final newline, no blank line at either end or twice,
    no trailing whitespace."""
    if not out:
        return
    assert out.endswith("\n") and not out.endswith("\n\n"), out
    assert not out.startswith("\n") and "\n\n\n" not in out, out
    assert all(line == line.rstrip() for line in out.split("\n")), out


def _comment_texts(text: str) -> Counter[str]:
    return Counter(c.text for c in parse(text).comments)


@pytest.mark.parametrize("path", sorted(CASES.glob("*.sla")), ids=lambda p: p.stem)
def test_golden(path: Path) -> None:
    source, expected = _read_case(path)
    actual = format_text(source, str(path))
    if os.environ.get("SLALANG_REGEN") == "1":
        path.write_text(source if actual == source else source + MARK + actual, encoding="utf-8")
        expected = actual
    assert actual == (source if expected is None else expected)
    assert_tidy(actual)
    again = parse(actual)  # (2) the output parses
    assert again.statements == parse(source).statements  # (3) it means the same
    assert format_text(actual) == actual  # (4) formatting is stable
    assert _comment_texts(actual) == _comment_texts(source)  # (5) no comment is lost


def test_there_are_enough_cases() -> None:
    assert len(list(CASES.glob("*.sla"))) >= 15


def test_bad_input_is_a_policy_error() -> None:
    with pytest.raises(PolicyError):
        format_text("stage lead on\n", "bad.sla")


def test_line_endings_and_trailing_spaces_are_normalised() -> None:
    assert format_text("stage a on x   \r\n\r\n\r\nstage b on y\r\n") == (
        "stage a on x\n\nstage b on y\n"
    )


# ---- expressions: parentheses exactly where precedence needs them ---------------------------

PARENTHESES = [
    ("(a or b) and c", "(a or b) and c"),
    ("a or (b and c)", "a or b and c"),
    ("a and (b and c)", "a and (b and c)"),
    ("(a and b) and c", "a and b and c"),
    ("not (a and b)", "not (a and b)"),
    ("not (a = 1)", "not (a = 1)"),
    ("not a = 1", "not (a = 1)"),
    ("(not a) and b", "not a and b"),
    ("(a = 1) = true", "(a = 1) = true"),
    ("a - (b - c)", "a - (b - c)"),
    ("(a - b) - c", "a - b - c"),
    ("a / (b * c)", "a / (b * c)"),
    ("(a + b) * c", "(a + b) * c"),
    ("-(a + b) * -c", "-(a + b) * -c"),
    ("(a + b) in (1, (2 + 3))", "a + b in (1, (2 + 3))"),
    ("x in ((-1), 2)", "x in ((-1), 2)"),
    ("(a is present) = false", "(a is present) = false"),
    ("count(entering mql where (a or b)) >= 1", "count(entering mql where a or b) >= 1"),
]


@pytest.mark.parametrize(("written", "printed"), PARENTHESES)
def test_parentheses(written: str, printed: str) -> None:
    assert format_text(f"let x = {written}\n") == f"let x = {printed}\n"


def test_long_chains_do_not_exhaust_the_stack() -> None:
    """A chain of `and`s has no length limit; a sum nests one `+` in the next, so 51
    terms are the most (SLA110: tests/engine/test_deep_expressions.py)."""
    terms = " + ".join(f"a{i}" for i in range(51))
    condition = " and ".join(["x = 1"] * 1500)
    text = f"let total = {terms}\nstage s when {condition}\n"
    assert format_text(text) == text


# ---- a policy built in code, with no source text ---------------------------------------------


def test_policy_without_source_text() -> None:
    number = ast.Number(2.0)
    sum_ = ast.BinOp("+", ast.Ref(ast.Ident("a")), number)
    policy = ast.Policy(
        "<generated>",
        (
            ast.Let(ast.Ident("x"), ast.BinOp("*", sum_, ast.Percent(0.15))),
            ast.StageDecl(ast.Ident("lead"), ast.WhenTrigger(ast.Bool(True))),
            ast.ScoreDecl(ast.Ident("s"), None, (ast.Limit(ast.Number(-5.0)),)),
            ast.MetricDecl(ast.Ident("m"), ast.String('say "hi"')),
        ),
    )
    assert format_policy(policy) == (
        "let x = (a + 2) * 15%\n"
        "stage lead when true\n"
        "score s {\n"
        "  limit -5\n"
        "}\n"
        'metric m "say \\"hi\\""\n'
    )


# ---- the safety net --------------------------------------------------------------------------


def test_safety_net_refuses_a_change_of_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("slalang.fmt._Printer.render", lambda self: "events a\n")
    with pytest.raises(FormatError, match="change the meaning"):
        format_text("events b\n", "p.sla")


def test_safety_net_refuses_to_lose_a_comment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("slalang.fmt._Printer.render", lambda self: "events a\n")
    with pytest.raises(FormatError, match="lose a comment"):
        format_text("events a  # keep me\n", "p.sla")


def test_safety_net_refuses_output_that_does_not_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("slalang.fmt._Printer.render", lambda self: "events\n")
    with pytest.raises(FormatError, match="does not parse"):
        format_text("events a\n", "p.sla")
