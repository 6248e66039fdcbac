"""The wheel is self-contained: installed into a fresh virtual environment, `slalang check`
and `slalang evaluate` work from any directory (the grammar and the JSON Schemas ship inside
the package, not beside the checkout)."""

from __future__ import annotations

import json
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

from tests.conftest import POLICIES, REPO


@pytest.mark.slow
def test_wheel_installs_and_checks_from_any_directory(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    source = tmp_path / "src"  # a copy, so the build cannot see or touch the checkout
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", ".*cache"),
    )
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert install.returncode == 0, install.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(POLICIES / "seed_funnel.sla", elsewhere / "policy.sla")
    shutil.copy(REPO / "samples" / "seed_funnel" / "events.csv", elsewhere / "events.csv")
    shutil.rmtree(source)  # nothing may be read from the source tree any more
    result = subprocess.run(
        [str(env_dir / "bin" / "slalang"), "check", "policy.sla"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems found" in result.stderr
    evaluated = subprocess.run(
        [
            str(env_dir / "bin" / "slalang"),
            "evaluate",
            "policy.sla",
            "events.csv",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["input"]["leads"] == 400
    grammar = subprocess.run(
        [str(python), "-c", "import slalang.syntax.parser as p; print(p._grammar_text()[:2])"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert grammar.stdout.strip() == "//"
