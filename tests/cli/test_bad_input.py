"""Bad input never escapes as a traceback: one clear error naming the place, exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Writer, invoke

CASES: dict[str, tuple[bytes | None, str]] = {
    "empty file": (b"", "policy has no statements"),
    "comments only": (b"# nothing agreed yet\n", "policy has no statements"),
    "binary file": (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    "invalid UTF-8": (b"events a\nfield caf\xe9: text\n", "invalid UTF-8"),
    "1 MB single line": (b"let x = " + b"1 + " * 262_144 + b"1 $", "unexpected character `$`"),
    "500 nested parentheses": (
        b"let x = " + b"(" * 500 + b"1" + b")" * 500 + b"\n",
        "parentheses nested more than",
    ),
    "1 MB identifier": (b"events " + b"a" * 1_000_000 + b" b\n", "missing comma"),
}


@pytest.mark.parametrize("command", ["check", "compile"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_policy_file(case: str, command: str, write: Writer) -> None:
    content, message = CASES[case]
    assert content is not None
    path = write("policy.sla", content)
    result = invoke([command, str(path)], 2)
    output = result.stdout + result.stderr
    assert message in output
    assert str(path) in output
    assert "Traceback" not in output
    assert max(len(line) for line in output.splitlines()) < 400


@pytest.mark.parametrize("command", ["check", "compile", "fmt"])
def test_missing_file(command: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope.sla"
    result = invoke([command, str(missing)], 2)
    assert "file not found" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize("command", ["check", "fmt"])
def test_directory_without_policies(command: str, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    result = invoke([command, str(tmp_path)], 2)
    assert result.stderr.strip() == f"error: {tmp_path}: no .sla files in this directory"


def test_compile_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke(["compile", str(tmp_path)], 2)
    assert "directory" in result.stderr
