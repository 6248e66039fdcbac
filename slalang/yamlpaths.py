"""YAML inputs checked against a JSON Schema (mapping files, policy tests): the line of every
YAML path, and the words the error messages share, so both kinds of file point at the same
kind of place in the same way."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import yaml

YamlPath = tuple[str | int, ...]

TYPE_WORDS = {
    "string": "a string",
    "object": "a mapping of keys to values",
    "array": "a list",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "null": "nothing",
}
"""JSON Schema's type names as a person reading a YAML file says them."""


#: The most nodes a YAML file may stand for once its aliases are expanded. A mapping or a
#: policy test has hundreds; anchors and aliases nested a few levels deep ("billion
#: laughs") stand for billions, which validation and line numbering would walk one by one.
NODE_LIMIT = 100_000


def load_yaml(text: str, name: str, loader: type[yaml.SafeLoader]) -> tuple[yaml.Node | None, Any]:
    """The composed node tree and the data of YAML `text`; every problem is a one-line
    ValueError naming `name` (and the line, when YAML knows it): invalid YAML, nesting too
    deep to read, an alias inside the value it names (which stands for an endless value),
    or more than NODE_LIMIT nodes once aliases are expanded."""
    import yaml  # here: a run that reads no YAML file does not pay its import (14 ms)

    try:
        node = yaml.compose(text, Loader=loader)
        if node is not None and expanded_size(node) > NODE_LIMIT:
            raise ValueError(
                f"{name}: the YAML stands for more than {NODE_LIMIT:,} values once its "
                "aliases (`*name`) are expanded; write the values out or use fewer aliases"
            )
        data = loader(text).construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{name}{line}: invalid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:  # a reader error (a control character) spans lines
        raise ValueError(f"{name}: invalid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise ValueError(f"{name}: invalid YAML: nested too deeply to read") from None
    except RecursiveAliasError as exc:
        raise ValueError(
            f"{name}:{exc.line}: an alias (`*name`) inside the value its anchor names stands "
            "for an endless value; write the values out"
        ) from None
    return node, data


class RecursiveAliasError(Exception):
    """A node that contains itself through an alias (`a: &x [*x]`), at `line` (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def expanded_size(root: yaml.Node) -> int:
    """How many nodes the tree stands for with every alias expanded, counted without
    expanding them (each node's size once, by identity) and without recursion. A node met
    again while its own children are still being counted contains itself: that is a
    RecursiveAliasError, not an endless walk."""
    sizes: dict[int, int] = {}
    counting: set[int] = set()  # nodes whose children are being counted
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if children_done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            counting.discard(id(node))
            continue
        if id(node) in counting:
            raise RecursiveAliasError(node.start_mark.line + 1)
        counting.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return sizes[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def node_lines(node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int]) -> None:
    """The 1-based line of every YAML path below `node`; a mapping value is placed at its
    key's line, where a person looks for it."""
    import yaml

    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            node_lines(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            node_lines(item, (*path, index), lines)


def listing(names: Iterable[str]) -> str:
    """Names for a message: `a`, `b`, `c`."""
    return ", ".join(f"`{name}`" for name in names)
