"""Release-ready packaging: the version is written in one place, the license file matches
the declared license, and `python -m build` makes an sdist and a wheel that `twine check
--strict` accepts, with the license, the grammar and the templates inside."""

from __future__ import annotations

import email
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

from slalang import __version__
from tests.conftest import REPO, invoke

PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_version_is_written_once() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert PYPROJECT["tool"]["hatch"]["version"]["path"] == "slalang/__init__.py"
    assert version("slalang") == __version__
    assert invoke(["--version"], 0).stdout == f"slalang, version {__version__}\n"


def test_the_license_file_is_the_declared_license() -> None:
    assert PYPROJECT["project"]["license"] == "Apache-2.0"
    assert PYPROJECT["project"]["license-files"] == ["LICENSE"]
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.split()[:4] == ["Apache", "License", "Version", "2.0,"]
    # the full text, not a notice: every one of the nine sections and the appendix
    for section in range(1, 10):
        assert f"\n   {section}. " in text, section
    assert "END OF TERMS AND CONDITIONS" in text and "APPENDIX" in text


def test_the_changelog_has_a_place_for_the_next_release() -> None:
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings[0] == "## [Unreleased]" or headings[0].startswith(f"## [{__version__}] - ")
    for heading in headings:  # every section heading is a link with its target defined
        name = heading.split("]")[0].removeprefix("## [")
        assert f"\n[{name}]: https://" in text, heading


@pytest.mark.slow
def test_build_makes_an_sdist_and_a_wheel_that_twine_accepts(tmp_path: Path) -> None:
    source = tmp_path / "src"  # a copy, so the build cannot see or touch the checkout
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "node_modules", "__pycache__", "*.egg-info", ".*cache", "dist"
        ),
    )
    out = tmp_path / "dist"
    # without --sdist/--wheel, build makes the wheel from the sdist: the sdist is complete
    built = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    sdist, wheel = (
        out / f"slalang-{__version__}.tar.gz",
        out / f"slalang-{__version__}-py3-none-any.whl",
    )
    assert sorted(out.iterdir()) == sorted([sdist, wheel])
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", str(sdist), str(wheel)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2

    license_text = (REPO / "LICENSE").read_bytes()
    with zipfile.ZipFile(wheel) as whl:
        info = f"slalang-{__version__}.dist-info"
        metadata = email.message_from_bytes(whl.read(f"{info}/METADATA"))
        assert whl.read(f"{info}/licenses/LICENSE") == license_text
        names = set(whl.namelist())
    assert metadata["Version"] == __version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert {
        "slalang/grammar/slalang.lark",
        "slalang/py.typed",
        "slalang/templates/init/github/workflows/slalang.yml",
    } <= names
    assert not any(name.startswith("tests/") for name in names)

    with tarfile.open(sdist) as tar:
        root = f"slalang-{__version__}"
        members = set(tar.getnames())
        extracted = tar.extractfile(f"{root}/LICENSE")
        assert extracted is not None and extracted.read() == license_text
    for name in ("CHANGELOG.md", "README.md", "pyproject.toml", "grammar/slalang.lark"):
        assert f"{root}/{name}" in members, name
