"""Every diagnostic code the source can emit is in docs/diagnostics.md, and vice versa."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CODE = re.compile(r'"(SLA\d{3})"')
ROW = re.compile(
    r"^\| (SLA\d{3}) \| (error|warning|info) \| ([^|]+) \| (.+) \| ([^|]+) \|$", re.MULTILINE
)
CALL = re.compile(r'\b(error|warning)\(\s*"(SLA\d{3})"')


def source_codes() -> dict[str, set[str]]:
    """Each code written in the package, with the levels its call sites give it."""
    found: dict[str, set[str]] = {}
    for path in (REPO / "slalang").rglob("*.py"):
        if path.name == "codes.py" and path.parent.name == "slalang":
            continue  # the descriptions of every code: it emits none
        text = path.read_text(encoding="utf-8")
        for code in CODE.findall(text):
            found.setdefault(code, set())
        for level, code in CALL.findall(text):
            found[code].add(level)
    return found


def documented() -> dict[str, tuple[str, str, str]]:
    text = (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    rows = ROW.findall(text)
    codes = [row[0] for row in rows]
    assert len(codes) == len(set(codes)), "a code is documented twice"
    return {code: (level, meaning, example) for code, level, meaning, example, _ in rows}


def silencing() -> dict[str, str]:
    text = (REPO / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    return {row[0]: row[4].strip() for row in ROW.findall(text)}


def test_every_emitted_code_is_documented_and_every_documented_code_is_emitted() -> None:
    emitted, docs = set(source_codes()), set(documented())
    assert emitted - docs == set(), "emitted but not in docs/diagnostics.md"
    assert docs - emitted == set(), "documented but never emitted"


def test_documented_levels_match_the_source() -> None:
    docs = documented()
    for code, levels in source_codes().items():
        if levels:
            assert levels == {docs[code][0]}, code


def test_every_code_has_a_description_and_an_example() -> None:
    for code, (_, meaning, example) in documented().items():
        assert meaning.strip() and example.strip(), code


def test_the_codes_seen_here_cover_every_stage() -> None:
    # a guard on the grep itself: if it found nothing, the tests above would pass vacuously
    emitted = set(source_codes())
    assert {"SLA001", "SLA101", "SLA203", "SLA309"} <= emitted


def test_every_code_says_how_to_silence_it() -> None:
    """A warning or info names its own suppression comment; an error says it cannot be
    silenced (suppressions never hide errors: slalang/suppress.py)."""
    docs = documented()
    for code, how in silencing().items():
        level = docs[code][0]
        if code == "SLA901":
            assert "--ignore SLA901" in how
        elif level == "error":
            assert how == "cannot be silenced: fix it", code
        else:
            assert how == f"`# slalang: ignore[{code}]`", code
    assert len(silencing()) == len(docs)


def test_the_packaged_descriptions_are_the_documented_meanings() -> None:
    from slalang.codes import CODES

    assert {code: meaning.strip() for code, (_, meaning, _) in documented().items()} == CODES
