"""Parser and formatter properties (hypothesis).

1. `parse` fails only with `PolicyError`, whatever it is given: any text, any bytes, and
   soups of slalang's own tokens (which reach far deeper parser states than random text).
2. On valid policies drawn from a small grammar, with random spacing, line breaks where
   the language allows them, redundant parentheses, blank lines and comments anywhere a
   comment may stand, `fmt` keeps the meaning and every comment, and is idempotent.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slalang.diagnostics import PolicyError
from slalang.fmt import format_policy
from slalang.syntax import parse
from slalang.syntax.parser import decode_policy, reserved_words
from tests.fmt.test_fmt import assert_tidy

PROPS = settings(
    derandomize=True,
    deadline=None,
    max_examples=300,
    suppress_health_check=[HealthCheck.too_slow],
)

Draw = st.DrawFn


def _parse_or_fail_cleanly(text: str) -> None:
    """Parse; a failure must be a `PolicyError` with located one-line diagnostics, and
    anything that parses must format well too."""
    try:
        policy = parse(text, "fuzz.sla")
    except PolicyError as exc:
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.message and "\n" not in d.message, d
            assert d.span.line >= 1 and d.span.column >= 1, d
        return
    assert policy.path == "fuzz.sla"
    _assert_formats_well(text)


def _assert_formats_well(text: str) -> None:
    policy = parse(text)
    out = format_policy(policy)
    assert_tidy(out)
    again = parse(out)
    assert again.statements == policy.statements, out
    assert Counter(c.text for c in again.comments) == Counter(c.text for c in policy.comments)
    assert format_policy(again) == out, out


# ---- 1. the parser fails only with PolicyError ------------------------------------------

PUNCTUATION = [
    "{", "}", "(", ")", ",", ":", "=", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/",
    "->", "%", "#", "_",
]  # fmt: skip
LITERALS = [
    "1", "0", "1_000", "2.5", "15%", "100%", '"s"', '"(?i)\\b(vp)\\b"', '"a\\"b"', '"',
    "2026-01-01", "2026-13-45", "09:00", "24:00", "09:00-17:00", "+10", "-5", "+ 3", "mon-fri",
    "lead", "mql", "fit", "x", "Lead", "é", "\t", "# note", "\r\n", "\u2028", "\x0c", "9" * 400,
]  # fmt: skip
VOCABULARY = sorted(reserved_words()) + PUNCTUATION + LITERALS


@st.composite
def token_soup(draw: Draw) -> str:
    tokens = draw(st.lists(st.sampled_from(VOCABULARY), max_size=40))
    seps = draw(st.lists(st.sampled_from(["", " ", "  ", "\n", "\n\n  "]), min_size=len(tokens)))
    return "".join(t + s for t, s in zip(tokens, seps, strict=False))


@PROPS
@given(st.text(max_size=200))
def test_any_text_parses_or_fails_with_policy_error(text: str) -> None:
    _parse_or_fail_cleanly(text)


@PROPS
@given(token_soup())
def test_token_soup_parses_or_fails_with_policy_error(text: str) -> None:
    _parse_or_fail_cleanly(text)


@PROPS
@given(st.binary(max_size=200))
def test_any_bytes_decode_and_parse_or_fail_with_policy_error(data: bytes) -> None:
    try:
        text = decode_policy(data, "fuzz.sla")
    except PolicyError as exc:
        assert exc.diagnostics
        return
    _parse_or_fail_cleanly(text)


# ---- 2. valid policies, written the way people write them ---------------------------------

# Layout markers between tokens; everything else in a token list is a token.
STATEMENT_END = "<stmt>"  # a line break, maybe with comments and blank lines
ITEM_END = "<item>"  # between block items: a line break, or two spaces on one line
RULE_END = "<rule>"  # between score rules: a line break

_RESERVED = reserved_words()
NAMES = [n for n in ("a", "b", "lead", "mql", "sql", "fit", "x_1", "segment", "rep", "office",
                     "sales", "marketing", "page_view", "demo", "monthly", "weekly", "amount")
         if n not in _RESERVED]  # fmt: skip
STRINGS = ['"s"', '""', '"smb"', '"(?i)\\b(vp|head)\\b"', '"a \\"quoted\\" \\\\ word"', '"#1"',
           '"{ brace"', '"Europe/Berlin"', '"ünï"']  # fmt: skip
NUMBERS = ["0", "1", "7", "25", "1_000", "2.5", "0.25", "150000"]
COMMENTS = ["# c", "# note: x = 1", "#", "# { not a brace }", '# "quoted', "# ünïcode  ", "## two"]

Tokens = list[str]


def _name(draw: Draw) -> str:
    return draw(st.sampled_from(NAMES))


def _list_of(values: list[str]) -> Tokens:
    out: Tokens = []
    for i, value in enumerate(values):
        out += [","] if i else []
        out.append(value)
    return out


def _names(draw: Draw) -> Tokens:
    return _list_of(draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5)))


def _duration(draw: Draw, business: bool | None = None) -> Tokens:
    amount = draw(st.sampled_from(["1", "2", "4", "90", "1_000", "1.5"]))
    is_business = draw(st.booleans()) if business is None else business
    units = ["minute", "minutes", "hour", "hours", "day", "days"]
    unit = draw(st.sampled_from(units if is_business else [*units, "week", "weeks"]))
    return [amount, *(["business"] if is_business else []), unit]


def _atom(draw: Draw, depth: int) -> Tokens:
    kind = draw(st.integers(0, 9 if depth < 3 else 6))
    if kind == 7:
        return ["(", *_expr(draw, depth + 1), ")"]
    if kind == 8:
        return _aggregate(draw, depth)
    literals = [NUMBERS, ["15%", "100%", "2.5%"], STRINGS, ["2026-01-01"], ["true", "false"]]
    return [draw(st.sampled_from(literals[kind] if kind < len(literals) else NAMES))]


def _where(draw: Draw, depth: int) -> Tokens:
    return ["where", *_expr(draw, depth + 1)] if draw(st.booleans()) else []


def _aggregate(draw: Draw, depth: int) -> Tokens:
    kind = draw(st.integers(0, 6))
    if kind == 0:
        mode = draw(st.sampled_from(["entering", "reaching"]))
        return ["count", "(", mode, _name(draw), *_where(draw, depth), ")"]
    if kind == 1:
        return ["count", "(", _name(draw), *_where(draw, depth), ")"]
    if kind == 2:
        return ["sum", "(", _name(draw), ",", "entering", _name(draw), *_where(draw, depth), ")"]
    if kind == 3:
        within = ["within", *_duration(draw)] if draw(st.booleans()) else []
        return ["rate", "(", _name(draw), "->", _name(draw), *within, ")"]
    if kind == 4:
        return ["compliance", "(", _name(draw), ")"]
    return ["metric", "(", _name(draw), ")"]


def _chain(draw: Draw, depth: int, operators: list[str], operand: Callable[[], Tokens]) -> Tokens:
    out = operand()
    for _ in range(draw(st.integers(0, 2 if depth < 3 else 0))):
        out += [draw(st.sampled_from(operators)), *operand()]
    return out


def _unary(draw: Draw, depth: int) -> Tokens:
    if depth < 4 and draw(st.integers(0, 5)) == 0:
        return ["-", *_unary(draw, depth + 1)]
    return _atom(draw, depth)


def _sum(draw: Draw, depth: int) -> Tokens:
    def product() -> Tokens:
        return _chain(draw, depth, ["*", "/"], lambda: _unary(draw, depth + 1))

    return _chain(draw, depth, ["+", "-"], product)


def _comparison(draw: Draw, depth: int) -> Tokens:
    left = _sum(draw, depth)
    kind = draw(st.integers(0, 6))
    if kind <= 1:
        return left
    if kind == 2:
        values = draw(st.lists(st.sampled_from([*NUMBERS, *STRINGS]), min_size=1, max_size=3))
        listed = _list_of(values)
        negated = ["not"] if draw(st.booleans()) else []
        return [*left, *negated, "in", "(", *listed, ")"]
    if kind == 3:
        return [*left, "matches", draw(st.sampled_from(STRINGS))]
    if kind == 4:
        return [*left, "is", draw(st.sampled_from(["present", "missing"]))]
    op = draw(st.sampled_from(["=", "==", "!=", "<", "<=", ">", ">="]))
    return [*left, op, *_sum(draw, depth)]


def _not(draw: Draw, depth: int) -> Tokens:
    if depth < 4 and draw(st.integers(0, 4)) == 0:
        return ["not", *_not(draw, depth + 1)]
    return _comparison(draw, depth)


def _expr(draw: Draw, depth: int = 0) -> Tokens:
    def conjunction() -> Tokens:
        return _chain(draw, depth, ["and"], lambda: _not(draw, depth + 1))

    return _chain(draw, depth, ["or"], conjunction)


def _on(draw: Draw) -> Tokens:
    return ["on", *_names(draw), *_where(draw, 0)]


def _string(draw: Draw) -> str:
    return draw(st.sampled_from(STRINGS))


def _maybe(draw: Draw, tokens: Tokens) -> Tokens:
    return tokens if draw(st.booleans()) else []


# block items, one function per kind of item


def _owner(draw: Draw) -> Tokens:
    return ["owner", _name(draw)]


def _severity(draw: Draw) -> Tokens:
    return ["severity", draw(st.sampled_from(["error", "warning", "info"]))]


def _require(draw: Draw) -> Tokens:
    items = draw(st.lists(st.integers(0, 3), min_size=1, max_size=4))
    out: Tokens = ["require"]
    for i, kind in enumerate(items):
        out += [","] if i else []
        out += _expr(draw, 2) if kind == 0 else [_name(draw)]
    return out


def _sla_goal(draw: Draw) -> Tokens:
    using = _maybe(draw, ["using", _name(draw)])
    condition = draw(st.sampled_from([[], ["otherwise"], ["when", *_expr(draw)]]))
    return ["within", *_duration(draw), *using, *condition]


def _target_goal(draw: Draw) -> Tokens:
    period = draw(st.sampled_from(["monthly", "weekly"]))
    return [period, *_maybe(draw, ["by", _name(draw)]), ":", *_expr(draw)]


def _points(draw: Draw) -> str:
    return draw(st.sampled_from(["+5", "-20", "+1_000", "+ 10", "+2.5"]))


def _when_rule(draw: Draw) -> Tokens:
    return [_points(draw), "when", *_expr(draw)]


def _per_rule(draw: Draw) -> Tokens:
    at_most = _maybe(draw, [",", "at", "most", "25"])
    return [_points(draw), "per", _name(draw), *_where(draw, 0), *at_most]


def _limit(draw: Draw) -> Tokens:
    return ["limit", draw(st.sampled_from(["100", "-10", "+5"]))]


ItemMaker = Callable[[Draw], Tokens]

CALENDAR_ITEMS: list[ItemMaker] = [
    lambda draw: ["timezone", _string(draw)],
    lambda draw: ["open", "mon", "-", "fri", ",", "sun", "09:00", "-", "17:00", ",",
                  "22:00", "-", "24:00"],
    lambda draw: ["open", "sat", "10:00", "-", "14:00"],
    lambda draw: ["closed", "holidays", '"US"', *_maybe(draw, ['"CA"'])],
    lambda draw: ["closed", "2026-12-24", ",", "2026-12-31"],
]  # fmt: skip
AGREEMENT_ITEMS: list[ItemMaker] = [
    lambda draw: ["version", _string(draw)],
    lambda draw: ["effective", "2026-01-01", *_maybe(draw, ["until", "2026-12-31"])],
    lambda draw: ["party", _name(draw), '"Sales"', *_maybe(draw, ["contact", '"s@x.example"'])],
    lambda draw: ["description", _string(draw)],
]
SCORE_ITEMS: list[ItemMaker] = [_when_rule, _per_rule, _limit]
HANDOFF_ITEMS: list[ItemMaker] = [_owner, _severity, _require]
SLA_ITEMS: list[ItemMaker] = [
    _owner,
    _severity,
    lambda draw: ["start", "when", "entering", _name(draw)],
    lambda draw: ["start", *_on(draw)],
    lambda draw: ["stop", *_on(draw)],
    _sla_goal,
    lambda draw: ["warn", "at", "75%"],
]
TARGET_ITEMS: list[ItemMaker] = [_owner, _severity, _target_goal]


def _block(draw: Draw, head: Tokens, makers: list[ItemMaker], separator: str) -> Tokens:
    out = [*head, "{"]
    for i in range(draw(st.integers(0, 4))):
        out += [separator] if i else []
        out += draw(st.sampled_from(makers))(draw)
    return [*out, "}"]


# statements, one function per kind


def _events(draw: Draw) -> Tokens:
    return ["events", *_names(draw)]


def _field(draw: Draw) -> Tokens:
    if draw(st.booleans()):
        return ["field", _name(draw), ":", draw(st.sampled_from(["text", "number", "bool"]))]
    options = draw(st.lists(st.sampled_from(STRINGS), min_size=1, max_size=12))
    return ["field", _name(draw), ":", "one", "of", *_list_of(options)]


def _stage(draw: Draw) -> Tokens:
    trigger = draw(st.sampled_from([[], _on(draw), ["when", *_expr(draw)]]))
    return ["stage", _name(draw), *trigger]


STATEMENTS: list[ItemMaker] = [
    _events,
    _field,
    lambda draw: ["metric", _name(draw), *_maybe(draw, [_string(draw)])],
    lambda draw: ["let", _name(draw), "=", *_sum(draw, 0)],
    _stage,
    _stage,
    lambda draw: ["recycle", "to", _name(draw), *_on(draw)],
    lambda draw: ["exit", *_on(draw)],
    lambda draw: ["import", _string(draw)],
    lambda draw: _block(draw, ["calendar", _name(draw)], CALENDAR_ITEMS, ITEM_END),
    lambda draw: _block(
        draw,
        ["score", _name(draw), *_maybe(draw, ["within", *_duration(draw, business=False)])],
        SCORE_ITEMS,
        RULE_END,
    ),
    lambda draw: _block(draw, ["handoff", _name(draw)], HANDOFF_ITEMS, ITEM_END),
    lambda draw: _block(
        draw, ["sla", _name(draw), *_maybe(draw, [_string(draw)])], SLA_ITEMS, ITEM_END
    ),
    lambda draw: _block(
        draw, ["target", _name(draw), *_maybe(draw, [_string(draw)])], TARGET_ITEMS, ITEM_END
    ),
    lambda draw: _block(draw, ["agreement", _string(draw)], AGREEMENT_ITEMS, ITEM_END),
]


def _comment(draw: Draw) -> str:
    return draw(st.sampled_from(COMMENTS))


def _line_break(draw: Draw, indent: str) -> str:
    """A line end where a statement or rule ends: maybe a trailing comment, maybe blank lines
    and comments of their own."""
    out = f"  {_comment(draw)}" if draw(st.integers(0, 3)) == 0 else ""
    out += "\n" * draw(st.integers(1, 3))
    if draw(st.integers(0, 3)) == 0:
        for _ in range(draw(st.integers(1, 2))):
            out += draw(st.sampled_from(["", "  ", "\t"])) + _comment(draw) + "\n"
            out += "\n" if draw(st.booleans()) else ""
    return out + indent


def _separator(draw: Draw, previous: str, depth: int) -> str:
    """Whitespace between two tokens; a line break only where the language allows one."""
    if depth > 0 or previous in (",", "{"):
        return draw(st.sampled_from(
            [" ", "  ", "\t", "\n    ", f"  {_comment(draw)}\n    ", f"\n  {_comment(draw)}\n  "]
        ))  # fmt: skip
    return draw(st.sampled_from([" ", " ", "  ", "\t"]))


def _render(draw: Draw, tokens: Tokens) -> str:
    out: list[str] = []
    depth = 0
    previous: str | None = None  # None: a marker has just drawn the line's start
    for token in tokens:
        if token in (STATEMENT_END, RULE_END) or (token == ITEM_END and draw(st.booleans())):
            out.append(_line_break(draw, "" if token == STATEMENT_END else "  "))
            previous = None
            continue
        if token == ITEM_END:
            out.append("  ")
            previous = None
            continue
        if previous is not None:
            if token == "}" and draw(st.booleans()):
                out.append(_line_break(draw, ""))
            else:
                out.append(_separator(draw, previous, depth))
        out.append(token)
        depth += {"(": 1, ")": -1}.get(token, 0)
        previous = token
    return "".join(out)


@st.composite
def policy_text(draw: Draw) -> str:
    tokens: Tokens = []
    for i in range(draw(st.integers(0, 8))):
        tokens += [STATEMENT_END] if i else []
        tokens += draw(st.sampled_from(STATEMENTS))(draw)
    head = "".join(
        _comment(draw) + "\n" * draw(st.integers(1, 2)) for _ in range(draw(st.integers(0, 2)))
    )
    tail = _line_break(draw, "") if bool(tokens) and draw(st.booleans()) else ""
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return (head + _render(draw, tokens) + tail).replace("\n", newline)


@settings(parent=PROPS, max_examples=400)
@given(policy_text())
def test_format_keeps_meaning_and_comments_and_is_idempotent(text: str) -> None:
    _assert_formats_well(text)


@st.composite
def broken_policy_text(draw: Draw) -> str:
    """A valid policy with a few characters cut, tokens inserted or a stretch repeated:
    syntax errors deep inside blocks, lists and expressions, after much valid text."""
    text = draw(policy_text())
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.integers(0, 2))
        if kind == 0:
            text = text[:at] + text[at + draw(st.integers(1, 8)) :]
        elif kind == 1:
            text = text[:at] + draw(st.sampled_from(VOCABULARY)) + text[at:]
        else:
            text = text[:at] + text[at : at + draw(st.integers(1, 30))] + text[at:]
    return text


@PROPS
@given(broken_policy_text())
def test_broken_policies_parse_or_fail_with_policy_error(text: str) -> None:
    _parse_or_fail_cleanly(text)
