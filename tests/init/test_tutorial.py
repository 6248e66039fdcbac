"""docs/tutorial.md is executable: every `$ ` command in its ```sh blocks runs here, in
order, in a fresh directory, and must exit as the tutorial says (0, or the code of a
trailing `# exits N`). The file edits it asks for are ```diff blocks tagged `edit=PATH` and
blocks tagged `append=PATH`; a ```text block after a command lists lines its output must
contain. So the tutorial cannot drift from what slalang does."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO, invoke

TUTORIAL = REPO / "docs" / "tutorial.md"
FENCE = re.compile(r"^```(\w*)([^\n]*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
EXITS = re.compile(r"#\s*exits\s+(\d+)\s*$")

# A fixed author and no user or system configuration: the same commits on any machine.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "RevOps",
    "GIT_AUTHOR_EMAIL": "revops@example.com",
    "GIT_COMMITTER_NAME": "RevOps",
    "GIT_COMMITTER_EMAIL": "revops@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@dataclass(frozen=True)
class Step:
    """One thing the reader does: a command (`kind` "run"), a file edit ("edit",
    "append") or output to look for ("output")."""

    kind: str
    text: str
    path: str = ""
    code: int = 0


def steps(markdown: str) -> list[Step]:
    """The tutorial's steps in reading order."""
    found: list[Step] = []
    for match in FENCE.finditer(markdown):
        lang, attrs, body = match.group(1), match.group(2), match.group(3)
        options = dict(a.split("=", 1) for a in attrs.split() if "=" in a)
        if lang == "sh":
            for line in body.splitlines():
                assert line.startswith("$ "), f"a ```sh line that is not a command: {line!r}"
                exits = EXITS.search(line)
                found.append(Step("run", line[2:], code=int(exits.group(1)) if exits else 0))
        elif "edit" in options:
            found.append(Step("edit", body, options["edit"]))
        elif "append" in options:
            found.append(Step("append", body + "\n", options["append"]))
        elif lang == "text":
            found.append(Step("output", body))
    return found


def _edit(path: Path, diff: str) -> None:
    """Apply a one-hunk diff written for a reader: `-` lines become the `+` lines."""
    lines = diff.splitlines(keepends=True)
    old = "".join(line[1:] + "\n" * (not line.endswith("\n")) for line in lines if line[0] in " -")
    new = "".join(line[1:] + "\n" * (not line.endswith("\n")) for line in lines if line[0] in " +")
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{path}: the tutorial's edit does not match once:\n{old}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _run(command: str, code: int, cwd: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str]:
    """Run one command as a reader would; returns the directory afterwards and the output."""
    args = shlex.split(command, comments=True)
    if args[0] == "cd":
        return cwd / args[1], ""
    if args[0] == "slalang":
        monkeypatch.chdir(cwd)
        result = invoke(args[1:], code)
        return cwd, result.stdout + result.stderr
    assert args[0] == "git", f"the tutorial runs a command this test cannot: {command}"
    done = subprocess.run(
        args, cwd=cwd, env={**os.environ, **GIT_ENV}, capture_output=True, text=True, check=False
    )
    assert done.returncode == code, f"`{command}` exited {done.returncode}:\n{done.stderr}"
    return cwd, done.stdout + done.stderr


def test_the_tutorial_covers_the_whole_workflow() -> None:
    commands = [s.text.split()[:2] for s in steps(TUTORIAL.read_text("utf-8")) if s.kind == "run"]
    for wanted in ("init", "check", "fmt", "evaluate", "explain", "test", "diff"):
        assert ["slalang", wanted] in commands, wanted
    assert ["git", "commit"] in commands


def test_every_tutorial_command_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd, output = tmp_path, ""
    for step in steps(TUTORIAL.read_text(encoding="utf-8")):
        if step.kind == "run":
            cwd, output = _run(step.text, step.code, cwd, monkeypatch)
        elif step.kind == "edit":
            _edit(cwd / step.path, step.text)
        elif step.kind == "append":
            with (cwd / step.path).open("a", encoding="utf-8") as handle:
                handle.write(step.text)
        else:
            for line in step.text.splitlines():
                assert line in output, (
                    f"the tutorial shows {line!r}; the command printed:\n{output}"
                )
