"""Plan stage test fixtures: compile policy text without going through the CLI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from slalang.load import load
from slalang.plan import compile_program

HEADER = """\
agreement "Test" {
  timezone "Europe/Berlin"
  party sales "Sales"
}
events created, touched, rejected
field segment: one of "smb", "enterprise"
field size: number
field title: text
stage lead on created
"""
"""A small valid policy that snippets extend; its agreement zone is Europe/Berlin."""

Compile = Callable[..., dict[str, Any]]


@pytest.fixture
def compile_text(tmp_path: Path) -> Compile:
    """Compiles `header + text`, written as `policy.sla` in a temporary policy root."""

    def run(text: str, header: str = HEADER) -> dict[str, Any]:
        path = tmp_path / "policy.sla"
        path.write_text(header + text, encoding="utf-8")
        return compile_program(load(path, display="policy.sla"))

    return run
