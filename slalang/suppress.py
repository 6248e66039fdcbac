"""Silencing diagnostics (RUNNER §6.5): comments in the policy, `--select`/`--ignore` and
the configuration's `select`, `ignore` and `per-file-ignores`.

- `# slalang: ignore[SLA219]` at the end of a line silences those codes on that line
  (several codes comma-separated; a code may be a prefix such as `SLA2`).
- `# slalang: ignore-file[SLA219]` on a line of its own silences them in the whole file.
- A selection keeps only codes matching `select` (when given) and drops those matching
  `ignore` or the `per-file-ignores` entry whose glob matches the file.

Errors are never silenced: a policy with an error cannot be compiled, so hiding it would
only move the failure somewhere less clear. A suppression that silences nothing (stale, or
naming an error) is itself reported, as info SLA901, so stale ones get cleaned up.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from slalang.diagnostics import Diagnostic, Level, sort_diagnostics

if TYPE_CHECKING:  # made where comments are read: a run from a kept plan reads none
    from slalang.ast import Span

UNUSED = "SLA901"
_COMMENT = re.compile(r"#\s*slalang:\s*(ignore|ignore-file)\s*\[([^\]]*)\]")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_CODE = re.compile(r"SLA\d{0,3}\Z")


@dataclass(frozen=True)
class Selection:
    """Which codes to report: `select` (empty: all) minus `ignore`, and per file the codes
    `per_file` lists for the first glob matching its path. Entries are codes or prefixes."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    per_file: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Selection:
        """The selection a configuration's `select`, `ignore` and `per-file-ignores` make
        (the command line overrides them; the language server reads only the file)."""
        return cls(
            parse_codes(settings.get("select", ())),
            parse_codes(settings.get("ignore", ())),
            settings.get("per-file-ignores", {}),
        )

    def keeps(self, diagnostic: Diagnostic) -> bool:
        code = diagnostic.code
        if self.select and not _matches(code, self.select):
            return False
        if _matches(code, self.ignore):
            return False
        path = PurePath(diagnostic.span.file).as_posix()
        for pattern, codes in self.per_file.items():
            if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, f"*/{pattern}"):
                return not _matches(code, codes)
        return True


ALL = Selection()


def parse_codes(values: Iterable[str]) -> tuple[str, ...]:
    """Codes from `--select SLA2,SLA301` style values (repeated or comma-separated)."""
    return tuple(code.strip() for value in values for code in value.split(",") if code.strip())


@dataclass(frozen=True)
class Suppression:
    """One code in one `# slalang: ignore[...]` comment."""

    code: str
    span: Span  # where the code is written
    whole_file: bool


def suppressions(path: str, text: str) -> list[Suppression]:
    """The suppressions written in TEXT (the file at PATH); string literals are skipped."""
    from slalang.ast import Span

    found: list[Suppression] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if "slalang:" not in line:
            continue
        blanked = _STRING.sub(lambda m: " " * len(m.group()), line)
        hash_at = blanked.find("#")
        if hash_at < 0:
            continue
        match = _COMMENT.match(blanked, hash_at) or _COMMENT.search(blanked, hash_at)
        if match is None:
            continue
        whole_file = match.group(1) == "ignore-file"
        if whole_file and line[:hash_at].strip():
            continue  # ignore-file only counts on a line of its own
        start = match.start(2)
        for part in re.finditer(r"[^,]+", match.group(2)):
            code = part.group().strip()
            if not code:
                continue
            column = start + part.start() + (len(part.group()) - len(part.group().lstrip())) + 1
            span = Span(path, number, column, number, column + len(code))
            found.append(Suppression(code, span, whole_file))
    return found


def apply(
    diagnostics: Iterable[Diagnostic],
    sources: Mapping[str, str],
    selection: Selection = ALL,
) -> list[Diagnostic]:
    """DIAGNOSTICS without those silenced by comments in SOURCES (file name → text) or
    by SELECTION, plus an SLA901 for each suppression that silenced nothing."""
    written = {path: suppressions(path, text) for path, text in sources.items()}
    used: set[Suppression] = set()
    kept: list[Diagnostic] = []
    for diagnostic in diagnostics:
        if diagnostic.level is Level.ERROR:
            kept.append(diagnostic)
            continue
        if not selection.keeps(diagnostic):
            continue
        silencing = [
            s
            for s in written.get(diagnostic.span.file, [])
            if _matches(diagnostic.code, [s.code])
            and (s.whole_file or s.span.line == diagnostic.span.line)
        ]
        if silencing:
            used.update(silencing)
            continue
        kept.append(diagnostic)
    for entries in written.values():
        for entry in entries:
            if entry in used:
                continue
            notice = _unused(entry)
            if selection.keeps(notice):
                kept.append(notice)
    return sort_diagnostics(kept)


def _unused(entry: Suppression) -> Diagnostic:
    if not _CODE.match(entry.code):
        why = f"`{entry.code}` is not a code (codes look like SLA219, or SLA2 for a group)"
    elif entry.whole_file:
        why = f"no {entry.code} warning in this file to silence"
    else:
        why = f"no {entry.code} warning on this line to silence (errors cannot be silenced)"
    return Diagnostic(
        UNUSED,
        Level.INFO,
        f"unused suppression: {why}",
        entry.span,
        help="remove it, so the comment does not hide a future problem",
        label="silences nothing",
    )


def _matches(code: str, patterns: Iterable[str]) -> bool:
    return any(pattern and code.startswith(pattern) for pattern in patterns)
