"""Helpers for checker tests: check a policy written inline, and pick diagnostics out."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from slalang.check import check
from slalang.diagnostics import Diagnostic
from slalang.load import load_text


class Checker:
    """`diagnose(text)` checks a dedented policy; `diagnose.one(text, code)` asserts that
    the policy has exactly one diagnostic, of that code, and returns it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __call__(self, text: str) -> list[Diagnostic]:
        return check(load_text(textwrap.dedent(text), "p.sla", root=self.root))

    def one(self, text: str, code: str) -> Diagnostic:
        found = self(text)
        assert [d.code for d in found] == [code], show(found)
        return found[0]

    def codes(self, text: str) -> list[str]:
        return [d.code for d in self(text)]


def show(diagnostics: list[Diagnostic]) -> str:
    return (
        "\n".join(f"{d.code} {d.span.line}:{d.span.column} {d.message}" for d in diagnostics)
        or "(no diagnostics)"
    )


@pytest.fixture
def diagnose(tmp_path: Path) -> Checker:
    return Checker(tmp_path)
