"""`slalang diff --base REV POLICY EVENTS…`: the old version comes from git, with the files
it imports as they were at that revision; git problems are one line and exit 2."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import invoke

POLICY = """\
import "defs/office.sla"

agreement "Response times" {
  version "1"
  party sales "Sales"
}

events form_submitted, sales_touch
stage mql on form_submitted

sla first_touch {
  owner sales
  start when entering mql
  stop on sales_touch
  within 4 business hours
}
"""

OFFICE = """\
calendar office {
  timezone "America/New_York"
  open mon-fri 09:00-17:00
}
"""

# Monday 2 Feb 2026, 10:00 New York. L1 is touched 3 business hours later, L2 the next
# morning (8 business hours later, 1 hour if the office were open only 09:00-11:00).
EVENTS = """\
lead_id,timestamp,event
L1,2026-02-02T15:00:00Z,form_submitted
L1,2026-02-02T18:00:00Z,sales_touch
L2,2026-02-02T15:00:00Z,form_submitted
L2,2026-02-03T15:00:00Z,sales_touch
"""


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with the policy, its import and the events committed."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    repo = tmp_path / "repo"
    (repo / "defs").mkdir(parents=True)
    (repo / "policy.sla").write_text(POLICY, "utf-8")
    (repo / "defs" / "office.sla").write_text(OFFICE, "utf-8")
    (repo / "events.csv").write_text(EVENTS, "utf-8")
    git(repo, "init", "-q")
    git(repo, "config", "user.name", "Test")
    git(repo, "config", "user.email", "test@example.com")
    git(repo, "config", "commit.gpgsign", "false")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "the agreement")
    return repo


def diff_json(repo: Path, code: int, rev: str = "HEAD") -> dict:  # type: ignore[type-arg]
    args = ["diff", "--base", rev, str(repo / "policy.sla"), str(repo / "events.csv")]
    return json.loads(invoke([*args, "--format", "json"], code).stdout)  # type: ignore[no-any-return]


def test_an_unchanged_working_tree_changes_nothing(repo: Path) -> None:
    diff = diff_json(repo, 0)
    assert diff["changed"] is False
    assert diff["policy"]["differs"] == []  # same files, same names: the same digest


def test_a_shorter_window_adds_the_breach_it_causes(repo: Path) -> None:
    policy = repo / "policy.sla"
    policy.write_text(POLICY.replace("within 4 business hours", "within 2 business hours"))
    diff = diff_json(repo, 1)
    added = diff["violations"]["added"]
    assert [(v["kind"], v["rule"], v["lead_id"]) for v in added] == [
        ("sla_breach", "first_touch", "L1")
    ]
    assert added[0]["details"]["status"] == "late"
    assert diff["violations"]["removed"] == []
    assert diff["violations"]["unchanged"] == 1  # L2 was late before and still is
    assert diff["summary"].startswith("1 violation added, 0 removed; first_touch compliance")


def test_a_change_in_an_imported_file_alone_is_seen(repo: Path) -> None:
    office = repo / "defs" / "office.sla"
    office.write_text(OFFICE.replace("09:00-17:00", "09:00-11:00"))
    diff = diff_json(repo, 1)
    assert diff["violations"]["added"] == []
    assert [v["lead_id"] for v in diff["violations"]["removed"]] == ["L2"]
    assert diff["policy"]["differs"] == ["digest"]


def test_an_older_revision_by_name(repo: Path) -> None:
    policy = repo / "policy.sla"
    policy.write_text(POLICY.replace("within 4 business hours", "within 2 business hours"))
    git(repo, "commit", "-q", "-am", "tighter")
    assert diff_json(repo, 0)["changed"] is False
    assert len(diff_json(repo, 1, rev="HEAD~1")["violations"]["added"]) == 1


def test_an_unknown_revision_is_one_line(repo: Path) -> None:
    args = ["diff", "--base", "no-such-rev", str(repo / "policy.sla"), str(repo / "events.csv")]
    result = invoke(args, 2)
    assert result.stderr == "error: --base: unknown git revision `no-such-rev`\n"


def test_a_policy_added_since_the_revision_is_reported_as_new(repo: Path) -> None:
    # a pull request that adds a policy: everything it reports is added, nothing removed
    (repo / "new.sla").write_text(POLICY)
    args = ["diff", "--base", "HEAD", str(repo / "new.sla"), str(repo / "events.csv")]
    diff = json.loads(invoke([*args, "--format", "json"], 1).stdout)
    assert diff["changed"] is True
    assert diff["policy"]["old"] is None
    assert diff["policy"]["new"]["name"] == "Response times"
    assert [(v["rule"], v["lead_id"]) for v in diff["violations"]["added"]] == [
        ("first_touch", "L2")
    ]
    assert diff["violations"]["removed"] == [] and diff["violations"]["unchanged"] == 0
    assert [(row["sla"], row["before"]) for row in diff["slas"]] == [("first_touch", None)]
    assert diff["summary"] == "new policy; 1 violation added, 0 removed; new SLA first_touch"
    markdown = invoke([*args, "--format", "markdown", "--exit-zero"], 0).stdout
    assert "**New policy; 1 violation added, 0 removed; new SLA first_touch**" in markdown
    table = invoke([*args, "--format", "table"], 1).stdout
    assert table.startswith("new policy; 1 violation added")


def test_a_new_policy_with_nothing_to_report_is_still_a_change(repo: Path) -> None:
    (repo / "new.sla").write_text("events form_submitted\nstage lead on form_submitted\n")
    args = ["diff", "--base", "HEAD", str(repo / "new.sla"), str(repo / "events.csv")]
    diff = json.loads(invoke([*args, "--format", "json"], 1).stdout)
    assert diff["changed"] is True and diff["summary"] == "new policy"


def test_outside_a_repository_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    (tmp_path / "defs").mkdir()
    (tmp_path / "policy.sla").write_text(POLICY)
    (tmp_path / "defs" / "office.sla").write_text(OFFICE)
    (tmp_path / "events.csv").write_text(EVENTS)
    args = ["diff", "--base", "HEAD", str(tmp_path / "policy.sla"), str(tmp_path / "events.csv")]
    result = invoke(args, 2)
    assert result.stderr.startswith("error: ")
    assert "not inside a git repository" in result.stderr
    assert result.stderr.count("\n") == 1


def test_errors_in_the_old_version_show_its_own_lines(repo: Path) -> None:
    (repo / "policy.sla").write_text(POLICY.replace("stage mql", "stage mql mql"))
    git(repo, "commit", "-q", "-am", "broken")
    (repo / "policy.sla").write_text(POLICY)
    args = ["diff", "--base", "HEAD", str(repo / "policy.sla"), str(repo / "events.csv")]
    result = invoke(args, 2)
    assert "stage mql mql" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"error: {repo / 'policy.sla'} as of `HEAD` has errors (shown above)"
    )


def test_relative_paths_name_the_same_files(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    result = invoke(["diff", "--base", "HEAD", "policy.sla", "events.csv", "--format", "json"], 0)
    assert json.loads(result.stdout)["policy"]["differs"] == []


def test_root_is_taken_at_the_revision_too(repo: Path) -> None:
    """A policy in a subfolder importing a sibling folder's file, allowed by --root."""
    (repo / "agreements").mkdir()
    nested = POLICY.replace('import "defs/office.sla"', 'import "../defs/office.sla"')
    (repo / "agreements" / "main.sla").write_text(nested)
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "nested")
    (repo / "defs" / "office.sla").write_text(OFFICE.replace("09:00-17:00", "09:00-11:00"))
    args = ["diff", "--base", "HEAD", str(repo / "agreements" / "main.sla")]
    result = invoke([*args, str(repo / "events.csv"), "--root", str(repo), "--format", "json"], 1)
    assert [v["lead_id"] for v in json.loads(result.stdout)["violations"]["removed"]] == ["L2"]
