"""Loading: a policy file and everything it imports → a `Program` of parsed modules.

Imports are resolved relative to the importing file and confined to the policy root (the
entry file's directory, or `--root`). Each file is parsed once even when imported by
several others; a cycle is reported at the import that closes it, naming the chain.
Parse errors in any file are collected, so one run shows every broken file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from slalang import ast
from slalang.diagnostics import Diagnostic, PolicyError, error
from slalang.syntax.parser import parse, read_policy_text, shorten


@dataclass(frozen=True, slots=True)
class Program:
    """A policy with its imports: `modules` lists imported files first, the entry last."""

    root: Path
    entry: ast.Policy
    modules: tuple[ast.Policy, ...]
    diagnostics: tuple[Diagnostic, ...]

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(m.path for m in self.modules)


def load(path: Path, root: Path | None = None, display: str | None = None) -> Program:
    """Parse `path` and its imports. Raises `PolicyError` only when the entry file itself
    cannot be read or parsed; problems in imports come back in `Program.diagnostics`."""
    shown = display or str(path)
    root_dir = (root or path.parent).resolve()
    loader = _Loader(root_dir)
    entry = _entry(parse(read_policy_text(path, shown), shown))
    loader.visit(entry, path.resolve(), (str(path.resolve()),))
    return Program(root_dir, entry, (*loader.modules, entry), tuple(loader.diagnostics))


def load_text(
    text: str,
    display: str = "<stdin>",
    root: Path | None = None,
    overlay: Mapping[Path, str] | None = None,
) -> Program:
    """A program from text (stdin, or an editor's buffer); imports resolve against `root` or
    the current dir, and are read from `overlay` (resolved path → text) before the disk, so
    the language server checks what the user sees, saved or not."""
    root_dir = (root or Path.cwd()).resolve()
    loader = _Loader(root_dir, overlay or {})
    entry = _entry(parse(text, display))
    loader.visit(entry, root_dir / display, (display,))
    return Program(root_dir, entry, (*loader.modules, entry), tuple(loader.diagnostics))


def _shown(directory: Path) -> str:
    """A directory as the user would type it: relative to where they are, when it can be."""
    try:
        return os.path.relpath(directory) or "."
    except ValueError:  # another drive on Windows
        return str(directory)


def _entry(policy: ast.Policy) -> ast.Policy:
    """The file named on the command line must say something: an empty one is a mistake
    (a wrong path, a truncated checkout), not a vacuous agreement."""
    if not policy.statements:
        where = ast.Span(policy.path, 1, 1, 1, 1)
        raise PolicyError([error("SLA008", "policy has no statements", where)])
    return policy


class _Loader:
    def __init__(self, root: Path, overlay: Mapping[Path, str] | None = None) -> None:
        self.root = root
        self.overlay = overlay or {}
        self.modules: list[ast.Policy] = []
        self.done: set[str] = set()
        self.diagnostics: list[Diagnostic] = []

    def visit(self, policy: ast.Policy, resolved: Path, chain: tuple[str, ...]) -> None:
        for statement in policy.statements:
            if isinstance(statement, ast.Import):
                self._import(policy, resolved, statement, chain)

    def _import(
        self, policy: ast.Policy, resolved: Path, statement: ast.Import, chain: tuple[str, ...]
    ) -> None:
        relative = statement.path.value
        span = statement.path.span
        try:
            target = (resolved.parent / relative).resolve()
            target.is_file()
        except (OSError, ValueError) as exc:  # a NUL character, a name too long for the OS
            why = str(exc.strerror).lower() if isinstance(exc, OSError) else "a NUL character"
            shown = shorten(relative.encode("unicode_escape").decode("ascii"))
            self.diagnostics.append(
                error("SLA006", f"imported file `{shown}` not found: {why}", span)
            )
            return
        if os.path.isabs(relative) or not target.is_relative_to(self.root):
            self.diagnostics.append(
                error(
                    "SLA004",
                    f"import `{relative}` leaves the policy root",
                    span,
                    help=f"the policy root is `{_shown(self.root)}`; widen it with --root",
                )
            )
            return
        key = str(target)
        if key in chain:
            cycle = [Path(p).name for p in chain[chain.index(key) :]] + [target.name]
            self.diagnostics.append(error("SLA005", "import cycle: " + " → ".join(cycle), span))
            return
        if key in self.done:
            return
        self.done.add(key)
        display = os.path.normpath(os.path.join(os.path.dirname(policy.path), relative))
        unsaved = self.overlay.get(target)
        if unsaved is None and not target.is_file():
            self.diagnostics.append(error("SLA006", f"imported file `{relative}` not found", span))
            return
        try:
            text = unsaved if unsaved is not None else read_policy_text(target, display)
            module = parse(text, display)
        except PolicyError as exc:
            self.diagnostics.extend(exc.diagnostics)
            return
        self.visit(module, target, (*chain, key))
        self.modules.append(module)
