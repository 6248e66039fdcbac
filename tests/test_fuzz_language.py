"""Fuzzing the language's front end: parser, checker, formatter and compiler, in-process and
through the command line (issue 9, item 6).

Two sources of input, both grammar-aware:
- policies drawn from the grammar itself (`hypothesis.extra.lark.from_lark` on
  grammar/slalang.lark, every token spaced so that neighbours do not run together);
- the real policies (`policies/`, the formatter's cases, the golden diagnostics inputs),
  mutated: a line dropped, doubled or moved, a token deleted, doubled or replaced by
  another of the language's, a number made huge, an expression wrapped in `not` and
  parentheses, a character inserted.

For every input: `parse`, `check`, `fmt` and `compile` raise nothing but a `PolicyError`;
what parses formats to text that parses to the same tree (positions aside), formats to
itself again and gets the same diagnostic codes from `check`; what checks without errors
compiles to a plan its own schema accepts; and `slalang check` / `slalang fmt --check`
exit 0, 1 or 2 and never print a traceback or an internal error.

A short fixed-seed run is part of the suite. A longer one (docs/checks.md, Fuzzing):
    SLALANG_FUZZ_EXAMPLES=20000 .venv/bin/python -m pytest tests/test_fuzz_language.py
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark
from lark.lexer import PatternStr

from slalang.check import check
from slalang.cli import cli
from slalang.diagnostics import Level, PolicyError
from slalang.fmt import format_policy, same_tree
from slalang.load import load_text
from slalang.plan import compile_program, dumps, loads
from slalang.syntax import parse
from slalang.syntax.parser import _lark, analysed_parser, reserved_words

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("SLALANG_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_WORK = Path(tempfile.mkdtemp(prefix="slalang-fuzz-"))
atexit.register(shutil.rmtree, _WORK, ignore_errors=True)  # hypothesis reruns: not tmp_path


def _codes(text: str) -> list[str]:
    return sorted(d.code for d in check(load_text(text, "fuzz.sla", root=_WORK)))


def assert_robust(text: str) -> None:
    """Every property of the module doc, for one input."""
    try:
        policy = parse(text, "fuzz.sla")
    except PolicyError as exc:
        assert exc.diagnostics and all("\n" not in d.message for d in exc.diagnostics)
        _assert_cli(text)
        return
    formatted = format_policy(policy)
    again = parse(formatted, "fuzz.sla")
    assert same_tree(again.statements, policy.statements), formatted
    assert Counter(c.text for c in again.comments) == Counter(c.text for c in policy.comments)
    assert format_policy(again) == formatted, formatted
    try:
        program = load_text(text, "fuzz.sla", root=_WORK)
    except PolicyError:
        _assert_cli(text)
        return  # an import or an empty file: the loader's own diagnostics
    found = check(program)
    assert _codes(formatted) == sorted(d.code for d in found), formatted
    if not any(d.level is Level.ERROR for d in found):
        plan = compile_program(program)
        assert loads(dumps(plan)) == plan
    _assert_cli(text)


def _assert_cli(text: str) -> None:
    path = _WORK / "fuzz.sla"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    for args in (["check", str(path)], ["fmt", "--check", str(path)]):
        result = CliRunner().invoke(cli, args)
        assert isinstance(result.exception, SystemExit | None), (args, result.exception)
        assert result.exit_code in (0, 1, 2), (args, result.output)
        assert "Traceback" not in result.output, result.output
        assert "internal error" not in result.output, result.output


# ---- policies drawn from the grammar ------------------------------------------------------


def _grammar_policies() -> st.SearchStrategy[str]:
    """Sentences of the grammar. Every terminal is drawn with a space either side (else
    `stage` and `mql` run together into one name) and names avoid the reserved words."""
    reserved = reserved_words()
    explicit: dict[str, st.SearchStrategy[str]] = {}
    for terminal in _lark().terminals:
        if terminal.name in ("COMMENT", "WS_INLINE"):
            continue
        if isinstance(terminal.pattern, PatternStr):
            drawn = st.just(terminal.pattern.value)
        elif terminal.name == "_NL":
            drawn = st.sampled_from(["\n", "\n\n  ", "  # note\n"])
        else:
            drawn = st.from_regex(terminal.pattern.to_regexp(), fullmatch=True)
            if terminal.name == "NAME":
                drawn = drawn.filter(lambda name: name not in reserved)
        explicit[terminal.name] = drawn.map(lambda token: f" {token} ")
    return from_lark(analysed_parser(), start="start", explicit=explicit)


@FUZZ
@given(_grammar_policies())
def test_policies_from_the_grammar(text: str) -> None:
    assert_robust(text)


# ---- the real policies, mutated -----------------------------------------------------------


def _corpus() -> list[str]:
    paths = [
        *(REPO / "policies").rglob("*.sla"),
        *(REPO / "tests/fmt/cases").glob("*.sla"),
        *(REPO / "tests/golden/diagnostics").glob("*.sla"),
    ]
    return [p.read_text(encoding="utf-8") for p in sorted(paths)]


CORPUS = _corpus()
TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[a-z_][a-z0-9_]*|[0-9][0-9_.:%-]*|\S')
VOCABULARY = [
    *sorted(reserved_words()),
    *"{}(),:=<>+-*/%#",
    "->", "!=", "<=", ">=", "==", "\n", '"', "0", "1_000", "2.5", "15%", "+10", "-5",
    "2026-02-30", "09:00-17:00", "24:00", "9" * 400, "0." + "0" * 30 + "1", "mon-fri",
    "fit", "size", "Lead", "é", "\t", "\r", "\x00", "\u2028",
]  # fmt: skip


@st.composite
def mutated_policies(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 4))):
        text = draw(st.sampled_from(_MUTATIONS))(draw, text)
    return text


def _line_edit(draw: st.DrawFn, text: str) -> str:
    lines = text.split("\n")
    i = draw(st.integers(0, len(lines) - 1))
    j = draw(st.integers(0, len(lines) - 1))
    match draw(st.sampled_from(["drop", "double", "move"])):
        case "drop":
            del lines[i]
        case "double":
            lines.insert(i, lines[i])
        case _:
            lines.insert(j, lines.pop(i))
    return "\n".join(lines)


def _token_edit(draw: st.DrawFn, text: str) -> str:
    tokens = list(TOKEN.finditer(text))
    if not tokens:
        return text
    token = draw(st.sampled_from(tokens))
    replacement: str = {
        "drop": "",
        "double": token.group() + " " + token.group(),
        "replace": draw(st.sampled_from(VOCABULARY)),
        "before": draw(st.sampled_from(VOCABULARY)) + " " + token.group(),
    }[draw(st.sampled_from(["drop", "double", "replace", "before"]))]
    return text[: token.start()] + replacement + text[token.end() :]


def _number_edit(draw: st.DrawFn, text: str) -> str:
    numbers = list(re.finditer(r"(?<![\w.])[0-9][0-9_]*(?:\.[0-9]+)?(?![\w:-])", text))
    if not numbers:
        return text
    number = draw(st.sampled_from(numbers))
    huge = draw(st.sampled_from(["9" * 400, "1" + "0" * 16, "0", "3651", "1_000_000_000"]))
    return text[: number.start()] + huge + text[number.end() :]


def _deepen(draw: st.DrawFn, text: str) -> str:
    """`when X` → `when not not … (X)`: nesting near and past the limits."""
    places = list(re.finditer(r"\b(when|where) ", text))
    if not places:
        return text
    place = draw(st.sampled_from(places))
    nots = draw(st.integers(0, 60))
    parens = draw(st.integers(0, 105))
    rest = text[place.end() :]
    end = rest.find("\n") if "\n" in rest else len(rest)
    inner = "(" * parens + rest[:end] + ")" * parens
    return text[: place.end()] + "not " * nots + inner + rest[end:]


def _character(draw: st.DrawFn, text: str) -> str:
    at = draw(st.integers(0, len(text)))
    return text[:at] + draw(st.text(min_size=1, max_size=3)) + text[at:]


_MUTATIONS = [_line_edit, _token_edit, _token_edit, _number_edit, _deepen, _character]


@FUZZ
@given(mutated_policies())
def test_mutated_real_policies(text: str) -> None:
    assert_robust(text)


def test_the_corpus_is_the_real_policies() -> None:
    assert len(CORPUS) > 100
    for text in CORPUS[:5]:
        assert_robust(text)
