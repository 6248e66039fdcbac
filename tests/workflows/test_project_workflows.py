"""The project's own GitHub workflows (the release) pass actionlint and zizmor, and publish
only through trusted publishing with actions pinned to commits."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import yaml

from slalang import __version__
from tests.conftest import REPO
from tests.workflows.linters import actionlint, zizmor

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^\s*-?\s*uses: [\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def test_there_is_a_release_workflow() -> None:
    assert REPO / ".github" / "workflows" / "release.yml" in WORKFLOWS


def test_actionlint_finds_nothing() -> None:
    assert actionlint(WORKFLOWS) == []


def test_zizmor_finds_nothing() -> None:
    assert zizmor(WORKFLOWS) == ""


def test_every_action_is_pinned_to_a_commit_with_its_version() -> None:
    for path in WORKFLOWS:
        for line in path.read_text(encoding="utf-8").splitlines():
            if "uses:" in line:
                assert PINNED.match(line), f"{path.name}: {line.strip()}"


def test_release_publishes_with_trusted_publishing_only() -> None:
    workflow = yaml.safe_load((REPO / ".github/workflows/release.yml").read_text("utf-8"))
    assert workflow["permissions"] == {}
    publish = workflow["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    step = publish["steps"][-1]
    assert step["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in step  # no password, no token: PyPI trusts the workflow itself
    text = (REPO / ".github/workflows/release.yml").read_text("utf-8")
    assert "secrets." not in text


def test_the_linters_do_find_things(tmp_path: Path) -> None:
    # a guard on the tools themselves: were they silently doing nothing, the tests above
    # and the template's would pass vacuously
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v4\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n",
        encoding="utf-8",
    )
    assert any("potentially untrusted" in f for f in actionlint([bad]))
    report = zizmor([bad])
    assert "template-injection" in report
    assert "artipacked" in report
    assert "unpinned-uses" in report


def run_guard(tmp_path: Path, tag: str, changelog: str) -> int:
    """Run the release's first check — tag, __version__ and changelog agree — as the
    runner would, on a copy of the version file and the given changelog."""
    workflow = yaml.safe_load((REPO / ".github/workflows/release.yml").read_text("utf-8"))
    [step] = [
        s for s in workflow["jobs"]["build"]["steps"] if s.get("name", "").startswith("The tag")
    ]
    (tmp_path / "slalang").mkdir(exist_ok=True)
    (tmp_path / "slalang" / "__init__.py").write_text(f'__version__ = "{__version__}"\n')
    (tmp_path / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    (tmp_path / "guard.sh").write_text(step["run"], encoding="utf-8")
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "guard.sh"]
    env = {**os.environ, "TAG": tag}
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True).returncode


def test_the_release_refuses_a_tag_the_version_and_changelog_do_not_match(
    tmp_path: Path,
) -> None:
    released = f"# Changelog\n\n## [{__version__}] - 2026-12-06\n\n- first release\n"
    assert run_guard(tmp_path, f"v{__version__}", released) == 0
    assert run_guard(tmp_path, "v9.9.9", released) == 1  # not the version in the package
    unreleased = "# Changelog\n\n## [Unreleased]\n\n- first release\n"
    assert run_guard(tmp_path, f"v{__version__}", unreleased) == 1  # no dated section yet
    # today's changelog: releasing needs its Unreleased section renamed first
    current = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert run_guard(tmp_path, f"v{__version__}", current) == 1
