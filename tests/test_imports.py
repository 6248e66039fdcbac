"""The package's import graph has no circles and no module reaches into another's private
names, so any module can be imported (and understood) on its own. Lazy imports inside
functions count too: they hide a circle from the interpreter, not from the reader."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import REPO

PACKAGE = REPO / "slalang"


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(REPO).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = _modules()


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:`, which never run."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            yield from (n for child in node.orelse for n in [child, *_runtime_nodes(child)])
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(name: str, path: Path) -> Iterator[tuple[str, str | None, int]]:
    """(imported module, name taken from it or None, line) for each slalang import.
    `from pkg import sub` reads the package `pkg` (its `__init__` must have run), so it
    counts as an import of `pkg` as well as of `pkg.sub`."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in MODULES:
                    yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            if base not in MODULES:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield base, (None if sub in MODULES else alias.name), node.lineno
                if sub in MODULES:
                    yield sub, None, node.lineno


def _graph() -> dict[str, set[str]]:
    return {
        name: {target for target, _, _ in _imports(name, path) if target != name}
        for name, path in MODULES.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_circles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_no_module_imports_another_modules_private_names() -> None:
    leaks = [
        f"{path.relative_to(REPO)}:{line}: {target}.{taken}"
        for name, path in MODULES.items()
        for target, taken, line in _imports(name, path)
        if taken is not None and taken.startswith("_") and not taken.endswith("__")
    ]
    assert leaks == []


def test_commands_import_neither_the_group_nor_each_other() -> None:
    commands = {name for name in MODULES if name.startswith("slalang.commands.")}
    shared = {"slalang.commands.common", "slalang.commands.options"}
    for name in sorted(commands - shared):
        reached = {target for target, _, _ in _imports(name, MODULES[name])}
        assert not reached & ((commands - shared) | {"slalang.cli"}), name
