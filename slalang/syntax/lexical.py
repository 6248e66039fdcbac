"""Lexical helpers shared by the parser and the formatter: comments, braces, strings.

Comments are found by a scan of their own rather than by a Lark callback, so the Lark
parser can be built once and shared without per-parse mutable state.
"""

from __future__ import annotations

from slalang.ast import Comment

_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}


def unescape(raw: str) -> str:
    """The value of a string literal (`raw` includes the quotes).

    `\\\\`, `\\"`, `\\n` and `\\t` are escapes; every other backslash sequence is kept
    as written so that regular expressions read naturally (LANGUAGE §2).
    """
    body = raw[1:-1]
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in _ESCAPES:
                out.append(_ESCAPES[nxt])
            else:
                out.append(ch + nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def escape(value: str) -> str:
    """A string literal whose `unescape` is `value`, preferring the plainest spelling."""
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\":
            nxt = value[i + 1] if i + 1 < len(value) else ""
            # a backslash kept as written is only safe to reprint bare when the next
            # character would not turn it into an escape
            out.append("\\" if nxt and nxt not in _ESCAPES else "\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
        i += 1
    return '"' + "".join(out) + '"'


def scan_line(line: str) -> tuple[int | None, list[tuple[int, str]]]:
    """Where a line's comment starts (or None) and its braces outside strings.

    Returns the column (0-based) of `#` and the list of (column, brace) pairs.
    """
    braces: list[tuple[int, str]] = []
    in_string = False
    i = 0
    while i < len(line):
        ch = line[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch == "#":
            return i, braces
        elif ch in "{}":
            braces.append((i, ch))
        i += 1
    return None, braces


def find_comments(text: str) -> tuple[Comment, ...]:
    """Every `#` comment with its line and whether it stands on a line of its own."""
    comments = []
    # split on "\n" only, as Lark counts lines: `splitlines` also breaks at U+2028, `\x85`
    # or a lone `\r`, which may sit inside a string or a comment
    for number, line in enumerate(text.split("\n"), start=1):
        col, _ = scan_line(line)
        if col is not None:
            comments.append(
                Comment(
                    text=line[col:].rstrip(),
                    line=number,
                    column=col + 1,
                    own_line=not line[:col].strip(),
                )
            )
    return tuple(comments)


def unclosed_brace(text: str) -> tuple[int, int] | None:
    """The (line, column) of the last `{` left open at the end of the text, if any."""
    stack: list[tuple[int, int]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        _, braces = scan_line(line)
        for col, brace in braces:
            if brace == "{":
                stack.append((number, col + 1))
            elif stack:
                stack.pop()
    return stack[-1] if stack else None
