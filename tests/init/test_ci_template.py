"""The CI workflow and the pre-commit config `slalang init` writes work as written: both
linters (actionlint, zizmor at its pedantic persona) find nothing in either variant, the
structure keeps the promises its comments make, and its shell scripts are run here on an
initialised repository — a pull request that changes the agreement, one that adds a
policy, and the monthly report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from slalang import __version__
from tests.conftest import REPO, invoke
from tests.workflows.linters import actionlint, zizmor

WORKFLOW = ".github/workflows/slalang.yml"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "RevOps",
    "GIT_AUTHOR_EMAIL": "revops@example.com",
    "GIT_COMMITTER_NAME": "RevOps",
    "GIT_COMMITTER_EMAIL": "revops@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(scope="module", params=[False, True], ids=["default", "code-scanning"])
def repo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ci") / "revops"
    invoke(["init", str(path), *(["--code-scanning"] if request.param else [])], 0)
    return path


def load(repo: Path) -> dict[str, Any]:
    workflow: dict[str, Any] = yaml.safe_load((repo / WORKFLOW).read_text(encoding="utf-8"))
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as true
    return workflow


def steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_actionlint_finds_nothing(repo: Path) -> None:
    assert actionlint([repo / WORKFLOW]) == []


def test_zizmor_finds_nothing(repo: Path) -> None:
    assert zizmor([repo / WORKFLOW, repo / ".pre-commit-config.yaml"]) == ""


def test_precommit_validates_the_config_and_the_projects_hooks(repo: Path) -> None:
    tool = str(Path(sys.executable).with_name("pre-commit"))
    for command, path in (
        ("validate-config", repo / ".pre-commit-config.yaml"),
        ("validate-manifest", REPO / ".pre-commit-hooks.yaml"),
    ):
        result = subprocess.run([tool, command, str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_runs_once_per_change_and_monthly(repo: Path) -> None:
    on = load(repo)["on"]
    # a push to a pull request's branch is not run twice: pushes only on main
    assert on["push"] == {"branches": ["main"]}
    assert on["pull_request"] is None
    assert on["schedule"] == [{"cron": "0 7 1 * *"}]
    assert "workflow_dispatch" in on


def test_least_privilege_and_no_credentials_left_behind(repo: Path) -> None:
    workflow = load(repo)
    assert workflow["permissions"] == {}
    for step in steps(workflow):
        uses = step.get("uses", "")
        assert not uses or PINNED.match(uses), uses
        if uses.startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False
    text = (repo / WORKFLOW).read_text(encoding="utf-8")
    for line in text.splitlines():  # each pin says which version it is
        if "uses:" in line:
            assert re.search(r"@[0-9a-f]{40} # v\d+\.\d+\.\d+$", line), line
    assert "secrets." not in text


def test_no_expression_is_interpolated_into_a_script(repo: Path) -> None:
    for step in steps(load(repo)):
        assert "${{" not in step.get("run", ""), step["name"]


def test_code_scanning_is_opt_in_and_cannot_fail_the_check(repo: Path) -> None:
    workflow = load(repo)
    check = workflow["jobs"]["check"]
    uploads = [s for s in check["steps"] if s.get("uses", "").startswith("github/codeql-action/")]
    runs = " ".join(s.get("run", "") for s in check["steps"])
    if "security-events" in check["permissions"]:
        [upload] = uploads
        assert upload["continue-on-error"] is True
        assert upload["if"] == "${{ !cancelled() }}"
        assert '--format sarif "$POLICIES" > slalang.sarif' in runs
    else:
        assert uploads == []
        assert '--format github "$POLICIES"' in runs


def test_the_pull_request_comment_is_fork_safe_and_independent_of_the_check(repo: Path) -> None:
    diff = load(repo)["jobs"]["diff"]
    assert "needs" not in diff  # the comment is posted even when the check fails
    assert diff["if"] == "github.event_name == 'pull_request'"
    assert diff["permissions"] == {"contents": "read", "pull-requests": "write"}
    [comment] = [s for s in diff["steps"] if "sticky-pull-request-comment" in s.get("uses", "")]
    # a fork's token cannot comment: only pull requests from this repository try
    assert "github.event.pull_request.head.repo.full_name == github.repository" in comment["if"]
    assert "!cancelled()" in comment["if"]
    summary = [s for s in diff["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert summary and summary[0]["if"] == "${{ !cancelled() }}"


def test_the_install_line_is_the_init_option(tmp_path: Path) -> None:
    default = tmp_path / "default"
    invoke(["init", str(default)], 0)
    spec = f"slalang=={__version__}"
    assert load(default)["env"]["SLALANG"] == spec
    assert f'pip install "{spec}"' in (default / "README.md").read_text(encoding="utf-8")
    git = tmp_path / "git"
    url = "git+https://github.com/slalang/slalang@main"
    invoke(["init", str(git), "--install", url], 0)
    assert load(git)["env"]["SLALANG"] == url
    hooks = yaml.safe_load((git / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [local] = hooks["repos"]
    assert local["repo"] == "local"  # no `rev` to point at a tag that may not exist
    assert [h["additional_dependencies"] for h in local["hooks"]] == [[url], [url]]
    assert [h["entry"] for h in local["hooks"]] == ["slalang check", "slalang fmt"]


@pytest.mark.parametrize("spec", ['x" && curl evil', "slalang==1 ; rm -rf /", "${{ x }}", ""])
def test_an_install_spec_that_would_break_out_is_refused(tmp_path: Path, spec: str) -> None:
    result = invoke(["init", str(tmp_path), "--install", spec], 2)
    assert result.stderr.startswith("error: --install: ")
    assert not (tmp_path / "README.md").exists()


# ---- the scripts, run as GitHub would run them ------------------------------------------


def run_step(repo: Path, job: str, name: str, env: dict[str, str] | None = None) -> int:
    """Run one `run:` step of the workflow in `repo` as the runner does (bash -eo
    pipefail), with the workflow's env, slalang on the PATH and a job summary file."""
    workflow = load(repo)
    [step] = [s for s in workflow["jobs"][job]["steps"] if s.get("name") == name]
    script = repo.parent / "step.sh"
    script.write_text(step["run"], encoding="utf-8")
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    environ = {**os.environ, **GIT_ENV, **workflow["env"], "PATH": path, **(env or {})}
    environ["GITHUB_STEP_SUMMARY"] = str(repo.parent / "summary.md")
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)]
    return subprocess.run(command, cwd=repo, env=environ, check=False).returncode


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, env={**os.environ, **GIT_ENV}, check=True)


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """An initialised repository whose main is also `origin/main`, as actions/checkout
    with fetch-depth 0 leaves it, on a pull request's branch."""
    repo = tmp_path / "revops"
    invoke(["init", str(repo)], 0)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "Our SLA")
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(repo, "checkout", "-q", "-b", "tighter-window")
    return repo


def test_the_check_steps_pass_on_a_new_repository(pull_request: Path) -> None:
    for name in ("Check the agreement", "Check the layout", "Run the policy tests"):
        assert run_step(pull_request, "check", name) == 0, name
    assert (pull_request / "slalang-junit.xml").read_text(encoding="utf-8").startswith("<?xml")


def test_the_comparison_covers_changed_new_and_library_policies(pull_request: Path) -> None:
    policies = pull_request / "policies"
    agreement = policies / "agreement.sla"
    text = agreement.read_text(encoding="utf-8")
    agreement.write_text(text.replace("within 4 business hours", "within 2 business hours"))
    # a second agreement added by the pull request, and a definitions-only file
    (policies / "emea").mkdir()
    (policies / "emea" / "agreement.sla").write_text(text, encoding="utf-8")
    (policies / "emea" / "calendars.sla").write_text(
        "calendar emea_office {\n  open mon-fri 09:00-17:00\n}\n", encoding="utf-8"
    )
    assert (
        run_step(
            pull_request,
            "diff",
            "Compare every agreement with the base branch",
            {"BASE_REF": "main"},
        )
        == 0
    )
    comment = (pull_request / "diff.md").read_text(encoding="utf-8")
    sections = re.findall(r"^## SLA diff: .*$", comment, re.MULTILINE)
    assert len(sections) == 2
    assert "**New policy;" in comment
    assert "first_touch compliance" in comment
    assert "calendars" not in comment  # a definitions file has no results of its own
    assert run_step(pull_request, "diff", "Put the comparison in the job summary") == 0
    assert (pull_request.parent / "summary.md").read_text(encoding="utf-8") == comment


def test_an_unchanged_agreement_is_listed_and_a_broken_one_fails_the_step(
    pull_request: Path,
) -> None:
    name = "Compare every agreement with the base branch"
    assert run_step(pull_request, "diff", name, {"BASE_REF": "main"}) == 0
    comment = (pull_request / "diff.md").read_text(encoding="utf-8")
    assert comment == "No change in the results of `policies/agreement.sla`.\n"
    (pull_request / "policies" / "broken.sla").write_text("sla x {\n", encoding="utf-8")
    assert run_step(pull_request, "diff", name, {"BASE_REF": "main"}) == 1
    comment = (pull_request / "diff.md").read_text(encoding="utf-8")
    assert "## `policies/broken.sla`: could not be compared" in comment
    assert "No change in the results of `policies/agreement.sla`." in comment


def test_the_monthly_report_covers_every_agreement(pull_request: Path) -> None:
    assert run_step(pull_request, "report", "Evaluate every agreement on last month") == 0
    report = pull_request / "report"
    assert sorted(p.name for p in report.iterdir()) == [
        "agreement.html",
        "agreement.json",
        "agreement.md",
    ]
    assert "<html" in (report / "agreement.html").read_text(encoding="utf-8").lower()
    summary = (pull_request.parent / "summary.md").read_text(encoding="utf-8")
    assert summary == (report / "agreement.md").read_text(encoding="utf-8")
