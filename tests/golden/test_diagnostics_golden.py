"""Golden diagnostics: one invalid policy per kind of mistake, with the text `slalang check`
prints for it reviewed and kept beside it (Ruff's snapshot files). Regenerate with
SLALANG_REGEN=1, then read the diff before committing: goldens are reviewed, not blessed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from slalang.cli import cli

HERE = Path(__file__).parent / "diagnostics"
CASES = sorted(HERE.glob("*.sla"))


def render(case: Path) -> str:
    """What a user sees for the case: the exit code, then the report on stdout."""
    runner = CliRunner()
    previous = Path.cwd()
    os.chdir(HERE)  # paths in the output are then as a user in that folder types them
    try:
        result = runner.invoke(cli, ["check", case.name], catch_exceptions=False)
    finally:
        os.chdir(previous)
    return f"# exit {result.exit_code}\n{result.stdout}"


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_rendered_diagnostics(case: Path) -> None:
    expected_path = case.with_suffix(".txt")
    actual = render(case)
    if os.environ.get("SLALANG_REGEN"):
        expected_path.write_text(actual, encoding="utf-8")
    expected = expected_path.read_text(encoding="utf-8")
    assert actual == expected


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_each_case_shows_its_mistake(case: Path) -> None:
    """Every case fails (or warns) with at least one coded diagnostic pointing into it."""
    text = case.with_suffix(".txt").read_text(encoding="utf-8")
    assert "[SLA" in text
    assert f"{case.name}:" in text or "SLA004" in text or "SLA005" in text


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40
