"""The Lark LALR parser for `.sla` text, loaded once, with errors turned into diagnostics.

Every failure of bad text — a stray character, a wrong token, an unclosed block, bytes
that are not UTF-8 — leaves as a `PolicyError` carrying SLA0xx/SLA1xx diagnostics, never
as a Lark exception or a traceback.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import re
import sys
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

import lark
from lark import Lark, Token, UnexpectedCharacters, UnexpectedInput, UnexpectedToken
from lark.lark import PostLex
from lark.lexer import PatternStr

from slalang import ast
from slalang.caches import cache_root
from slalang.diagnostics import Diagnostic, PolicyError, error
from slalang.fileio import read_bytes
from slalang.memory import gc_paused
from slalang.syntax.build import AstBuilder
from slalang.syntax.lexical import find_comments, unclosed_brace

MAX_NESTING = 100
"""Deepest parenthesis nesting accepted: a guard for every recursive pass after parsing."""


class _NestingTooDeep(Exception):
    def __init__(self, token: Token) -> None:
        self.token = token


class _Newlines(PostLex):
    """Keeps an end of line only where it ends a statement (see the grammar's header)."""

    always_accept = ("_NL",)

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        depth = 0
        previous: str | None = None
        for token in stream:
            kind = token.type
            if kind == "_NL" and (depth > 0 or previous in (None, "COMMA", "LBRACE", "_NL")):
                continue
            if kind == "LPAR":
                depth += 1
                if depth > MAX_NESTING:
                    raise _NestingTooDeep(token)
            elif kind == "RPAR":
                depth = max(0, depth - 1)
            previous = kind
            yield token


def _grammar_text() -> str:
    """The grammar: inside the installed wheel, or at the repository root in a checkout."""
    packaged = resources.files("slalang").joinpath("grammar/slalang.lark")
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    checkout = Path(__file__).resolve().parents[2] / "grammar" / "slalang.lark"
    return checkout.read_text(encoding="utf-8")


@cache
def _lark() -> Lark:
    """The parser, its LALR tables from the cache when they are there: building them takes
    about 0.25 s, a third of a small evaluation's start; loading them 0.03 s. Lark checks
    that the cached tables were built from this grammar, these options and this version
    of Lark (else it rebuilds them), and carries on without the cache when the file cannot
    be read or written."""
    return _built(cached=True)


def analysed_parser() -> Lark:
    """The parser built afresh from the grammar, keeping the analysed grammar (`.grammar`)
    that a grammar-driven generator reads (hypothesis's `from_lark`, in the fuzz tests);
    the cached parser keeps only its tables."""
    return _built(cached=False)


def _built(cached: bool) -> Lark:
    text = _grammar_text()
    return Lark(
        text,
        parser="lalr",
        lexer="contextual",
        strict=True,
        propagate_positions=True,
        maybe_placeholders=False,
        postlex=_Newlines(),
        cache=_tables_path(text) if cached else False,
    )


def _tables_path(grammar: str) -> str:
    """The cache file of the grammar's tables: named by the grammar, Lark's and Python's
    versions, so that installations sharing one cache never overwrite each other's."""
    key = f"{grammar}\n{lark.__version__}\n{sys.version_info[:2]}"
    folder = cache_root() / "grammar"
    with contextlib.suppress(OSError):
        folder.mkdir(parents=True, exist_ok=True)
    return str(folder / f"slalang-{hashlib.sha256(key.encode()).hexdigest()[:20]}.lark")


@cache
def reserved_words() -> frozenset[str]:
    """Keywords of the grammar: the literal words that also look like a name."""
    name = re.compile(r"[a-z_][a-z0-9_]*\Z")
    return frozenset(
        t.pattern.value
        for t in _lark().terminals
        if isinstance(t.pattern, PatternStr) and name.match(t.pattern.value)
    )


def parse(text: str, path: str = "<string>") -> ast.Policy:
    """Parse one policy's text; raises `PolicyError` with every syntax diagnostic."""
    try:
        with gc_paused():
            tree = _lark().parse(text)
    except _NestingTooDeep as exc:
        raise PolicyError(
            [
                error(
                    "SLA108",
                    f"parentheses nested more than {MAX_NESTING} deep",
                    _token_span(path, exc.token),
                    help="split the expression with `let` definitions",
                )
            ]
        ) from None
    except UnexpectedInput as exc:
        raise PolicyError([_syntax_diagnostic(exc, text, path)]) from None
    builder = AstBuilder(path, reserved_words())
    try:
        with gc_paused():
            statements = builder.transform(tree)
    except RecursionError:  # pragma: no cover - guarded by MAX_NESTING
        raise PolicyError(
            [error("SLA108", "policy nested too deeply", ast.Span(path, 1, 1, 1, 1))]
        ) from None
    if builder.diagnostics:
        raise PolicyError(builder.diagnostics)
    return ast.Policy(path, statements, find_comments(text), text)


def read_policy_text(path: Path, display: str | None = None) -> str:
    """A policy file's text, or a `PolicyError` saying why it cannot be read as one."""
    shown = display or str(path)
    where = ast.Span(shown, 1, 1, 1, 1)
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        raise PolicyError([error("SLA001", "file not found", where)]) from None
    except IsADirectoryError:
        raise PolicyError([error("SLA001", "is a directory, not a policy file", where)]) from None
    except OSError as exc:
        raise PolicyError([error("SLA001", f"cannot read file: {exc.strerror}", where)]) from None
    return decode_policy(data, shown)


def decode_policy(data: bytes, display: str) -> str:
    """Policy bytes as text; binary or non-UTF-8 input is a diagnostic, not a crash."""
    where = ast.Span(display, 1, 1, 1, 1)
    if b"\x00" in data:
        raise PolicyError([error("SLA003", "binary file, not a policy", where)])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PolicyError(
            [
                error(
                    "SLA002",
                    f"invalid UTF-8 (byte 0x{data[exc.start]:02x})",
                    ast.Span(display, line, column, line, column + 1, exc.start, exc.start + 1),
                    help="save the file as UTF-8",
                )
            ]
        ) from None
    return text.removeprefix("\ufeff")


def parse_file(path: Path, display: str | None = None) -> ast.Policy:
    return parse(read_policy_text(path, display), display or str(path))


# ---- syntax errors in words ---------------------------------------------------------------

_WORDS = {
    "NAME": "a name",
    "STRING": "a string",
    "NUMBER": "a number",
    "PERCENT": "a percentage",
    "DATE": "a date (YYYY-MM-DD)",
    "TIME": "a time of day (HH:MM)",
    "POINTS": "points such as `+10`",
    "BUSINESS": "`business`",
    "_NL": "the end of the line",
    "$END": "the end of the file",
}

_STATEMENT_WORDS = frozenset({
    "AGREEMENT", "IMPORT", "EVENTS", "FIELD", "METRIC", "LET", "CALENDAR", "SCORE",
    "STAGE", "RECYCLE", "EXIT", "HANDOFF", "SLA", "TARGET",
})  # fmt: skip

_UNIT_WORDS = frozenset({
    "MINUTE", "MINUTES", "HOUR", "HOURS", "DAY", "DAYS", "WEEK", "WEEKS",
})  # fmt: skip


def _describe(terminal: str) -> str:
    if terminal in _WORDS:
        return _WORDS[terminal]
    for t in _lark().terminals:
        if t.name == terminal and isinstance(t.pattern, PatternStr):
            return f"`{t.pattern.value}`"
    return terminal.lower()  # pragma: no cover - every terminal is named above or literal


def _expected_words(expected: set[str]) -> str:
    if len(expected & _STATEMENT_WORDS) >= 5:
        rest = expected - _STATEMENT_WORDS
        words = ["a statement (`stage`, `sla`, `target`, …)", *sorted(_describe(t) for t in rest)]
    else:
        words = sorted(_describe(t) for t in expected)
    if len(words) > 8:
        words = [*words[:7], "…"]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def shorten(text: str, limit: int = 40) -> str:
    """User text quoted in a message, cut so that a 1 MB token stays a one-line message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _found_words(token: Token) -> str:
    if token.type == "$END":
        return "the end of the file"
    if token.type == "_NL":
        return "the end of the line"
    return f"`{shorten(token.value)}`"


def _token_span(path: str, token: Token) -> ast.Span:
    line = token.line or 1
    column = token.column or 1
    if token.type == "_NL":
        # point just after the end of the line that ended too soon
        return ast.Span(path, line, column, line, column + 1, token.start_pos or 0)
    end_column = token.end_column if token.end_line == line and token.end_column else column + 1
    return ast.Span(path, line, column, line, end_column, token.start_pos or 0, token.end_pos or 0)


def _at(path: str, text: str, line: int, column: int, width: int = 1) -> ast.Span:
    return ast.Span(path, line, column, line, column + width)


def _syntax_diagnostic(exc: UnexpectedInput, text: str, path: str) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return _character_diagnostic(exc, text, path)
    assert isinstance(exc, UnexpectedToken)
    token = exc.token
    expected = set(exc.accepts or exc.expected)
    if token.type == "$END":
        opened = unclosed_brace(text)
        if opened is not None:
            line, column = opened
            last = text.rstrip().count("\n") + 1
            last_col = len(text.rstrip().rsplit("\n", 1)[-1]) + 1
            return error(
                "SLA102",
                f"missing `}}` to close the block opened on line {line}",
                _at(path, text, last, last_col),
                help=f"add `}}` to close the `{{` at {line}:{column}",
            )
    span = _token_span(path, token)
    if expected & _UNIT_WORDS and token.type not in _UNIT_WORDS:
        return error(
            "SLA104",
            f"a duration needs a unit, found {_found_words(token)}",
            span,
            help="write `4 hours`, `3 days` or `1 business day`",
            label="expected `minutes`, `hours`, `days` or `weeks`",
        )
    before = text[: token.start_pos or 0].rstrip(" \t")
    if token.value in ("when", "per") and re.search(r"[+-][ \t]*[0-9][0-9_.]*$", before):
        return error(
            "SLA109",
            "each score rule goes on a line of its own",
            span,
            help="start a new line before the points, e.g. `+10 when ...`",
        )
    if (
        token.type == "NAME"
        and "COMMA" in expected
        and before
        and (before[-1].isalnum() or before[-1] == "_")
    ):
        previous = re.findall(r"[a-z0-9_]+$", before)
        shown = previous[0] if previous else "the previous name"
        return error(
            "SLA105",
            f"missing comma between `{shorten(shown)}` and `{shorten(token.value)}`",
            span,
            help="separate names with commas: `a, b, c`",
        )
    misspelt = _misspelt_keyword(token, before, expected, path)
    if misspelt is not None:
        return misspelt
    return error(
        "SLA101",
        f"unexpected {_found_words(token).removeprefix('the ')}, "
        f"expected {_expected_words(expected)}",
        span,
    )


def _misspelt_keyword(
    token: Token, before: str, expected: set[str], path: str
) -> Diagnostic | None:
    """`owners sales`: the parser stumbles on `sales`, but the mistake is the word before
    it (or the token itself) — a keyword misspelt. Point at that word with a did-you-mean."""
    keywords = {
        word
        for t in expected
        if (shown := _describe(t)).startswith("`") and (word := shown.strip("`")).isidentifier()
    }
    if not keywords:
        return None
    line = token.line or 1
    candidates: list[tuple[str, int]] = []
    previous = re.search(r"(?:^|[ \t])([a-z_][a-z0-9_]*)$", before)
    if previous is not None:
        line_start = before.rfind("\n") + 1
        if not before[line_start : previous.start(1)].strip():  # the first word of its line
            candidates.append((previous.group(1), previous.start(1) - line_start + 1))
    if token.type == "NAME":
        candidates.append((str(token.value), token.column or 1))
    for word, column in candidates:
        if word in keywords:
            continue
        close = difflib.get_close_matches(word, sorted(keywords), n=1, cutoff=0.75)
        if close:
            return error(
                "SLA101",
                f"unknown keyword `{shorten(word)}`; did you mean `{close[0]}`?",
                ast.Span(path, line, column, line, column + len(word)),
                help=f"write `{close[0]}`",
                label=f"did you mean `{close[0]}`?",
            )
    return None


def _character_diagnostic(exc: UnexpectedCharacters, text: str, path: str) -> Diagnostic:
    line, column = exc.line, exc.column
    rest = text[exc.pos_in_stream :]
    char = rest[:1]
    word = re.match(r"[A-Za-z_][A-Za-z0-9_]*", rest)
    if word and any(c.isupper() for c in word.group()):
        written = word.group()
        return error(
            "SLA103",
            f"names are lower case, found `{shorten(written)}`",
            _at(path, text, line, column, len(written)),
            help=f"write `{shorten(written.lower())}`",
        )
    if char == '"':
        return error(
            "SLA107",
            "unterminated string",
            _at(path, text, line, column),
            help='close the string with `"` on the same line',
        )
    shown = f"`{char}`" if char.isprintable() else f"U+{ord(char):04X}"
    return error("SLA100", f"unexpected character {shown}", _at(path, text, line, column))
