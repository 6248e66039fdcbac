"""Shared test helpers: one way to run the CLI and assert its exit code (sqlfluff's
`invoke_assert_code`), so a failing test always shows what the command printed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from slalang.cli import cli

# No per-example deadline for property tests: a deadline is a wall-clock limit, and on a
# shared, loaded machine a correct example can take longer than Hypothesis's 200 ms default
# (seen in tests/data/test_accounting.py at a load average of 10). What a property test
# asserts is behaviour; speed is measured in bench/.
settings.register_profile("slalang", deadline=None)
settings.load_profile("slalang")

REPO = Path(__file__).resolve().parents[1]
POLICIES = REPO / "policies"


def invoke(args: Sequence[str], code: int, input: str | bytes | None = None) -> Result:
    """Run `slalang ARGS` in-process and assert its exit code."""
    result = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == code, (
        f"`slalang {' '.join(args)}` exited {result.exit_code}, expected {code}\n"
        f"--- stdout ---\n{result.stdout}\n--- stderr ---\n{result.stderr}"
    )
    return result


Writer = Callable[[str, "str | bytes"], Path]


@pytest.fixture
def write(tmp_path: Path) -> Writer:
    """Write a file under tmp_path and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return _write
