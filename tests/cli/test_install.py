"""The wheel is self-contained: installed into a fresh virtual environment, `slalang check`
works from any directory (the grammar ships inside the package, not beside the checkout)."""

from __future__ import annotations

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
    shutil.copy(POLICIES / "acme.sla", elsewhere / "acme.sla")
    shutil.rmtree(source)  # nothing may be read from the source tree any more
    result = subprocess.run(
        [str(env_dir / "bin" / "slalang"), "check", "acme.sla"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems found" in result.stderr
    grammar = subprocess.run(
        [str(python), "-c", "import slalang.syntax.parser as p; print(p._grammar_text()[:2])"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert grammar.stdout.strip() == "//"
