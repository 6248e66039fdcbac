"""YAML inputs checked against a JSON Schema (mapping files, policy tests): the line of every
YAML path, and the words the error messages share, so both kinds of file point at the same
kind of place in the same way."""

from __future__ import annotations

from collections.abc import Iterable

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


def node_lines(node: yaml.Node, path: YamlPath, lines: dict[YamlPath, int]) -> None:
    """The 1-based line of every YAML path below `node`; a mapping value is placed at its
    key's line, where a person looks for it."""
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
