"""`slalang init` writes a repository that works as created: the agreement checks clean and
is canonical, its tests pass, and the hooks and the workflow name the right commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from slalang.init import CREATED
from tests.conftest import REPO, invoke


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One initialised repository shared by the read-only tests (init writes ~700 rows)."""
    path = tmp_path_factory.mktemp("init") / "revops"
    invoke(["init", str(path)], 0)
    return path


def test_init_creates_every_file(repo: Path) -> None:
    assert CREATED == (
        "README.md",
        "slalang.toml",
        "policies/agreement.sla",
        "tests/agreement.test.yaml",
        ".pre-commit-config.yaml",
        ".github/workflows/slalang.yml",
        "data/events.csv",
        "data/metrics.csv",
    )
    for name in CREATED:
        assert (repo / name).stat().st_size > 0, name
    header = (repo / "data/events.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("lead_id,timestamp,event")
    assert (repo / "data/metrics.csv").read_text(encoding="utf-8").startswith("metric,period,value")
    assert "within 4 business hours" in (repo / "policies/agreement.sla").read_text("utf-8")


def test_a_bare_evaluate_works_in_an_init_repository(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = [
        "evaluate",
        str(repo / "policies/agreement.sla"),
        str(repo / "data/events.csv"),
        "--metrics",
        str(repo / "data/metrics.csv"),
        "--format",
        "json",
        "--isolated",
    ]
    expected = invoke(explicit, 1).stdout
    monkeypatch.chdir(repo / "policies")  # found from a subdirectory too
    assert invoke(["evaluate", "--format", "json"], 1).stdout == expected
    invoke(["check"], 0)
    invoke(["explain", "--lead", "L00128"], 0)


def test_init_is_deterministic(repo: Path, tmp_path: Path) -> None:
    invoke(["init", str(tmp_path)], 0)
    for name in CREATED:
        assert (tmp_path / name).read_bytes() == (repo / name).read_bytes(), name


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text("ours\n", encoding="utf-8")
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "agreement.sla").write_text("# ours\n", encoding="utf-8")
    result = invoke(["init", str(tmp_path)], 2)
    assert result.stderr.startswith("error: ")
    assert "README.md, policies/agreement.sla" in result.stderr
    assert "--force" in result.stderr
    # nothing written: a refused init leaves the directory as it was
    assert (tmp_path / "README.md").read_text(encoding="utf-8") == "ours\n"
    assert not (tmp_path / "data").exists()
    invoke(["init", str(tmp_path), "--force"], 0)
    assert (tmp_path / "README.md").read_text(encoding="utf-8") != "ours\n"


def test_init_into_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("", encoding="utf-8")
    result = invoke(["init", str(tmp_path / "taken")], 2)
    assert "is a file" in result.stderr
    assert "Traceback" not in result.stderr


def test_generated_policy_checks_clean_and_is_canonical(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    assert "no problems found" in invoke(["check", "--strict", "policies/"], 0).stderr
    invoke(["fmt", "--check", "policies/"], 0)


def test_generated_tests_pass(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    assert "3 passed, 0 failed" in invoke(["test", "tests/"], 0).stdout


def test_project_publishes_the_hooks_the_config_names() -> None:
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text("utf-8"))
    by_id = {hook["id"]: hook for hook in hooks}
    assert set(by_id) == {"slalang-check", "slalang-fmt"}
    assert by_id["slalang-check"]["entry"] == "slalang check"
    assert by_id["slalang-fmt"]["entry"] == "slalang fmt"  # rewrites; pre-commit shows the diff
    for hook in hooks:
        assert hook["language"] == "python"
        assert hook["files"] == r"\.sla$"
        assert hook["pass_filenames"] is True


def test_init_defaults_to_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke(["init"], 0)
    assert "created policies/agreement.sla" in result.stderr
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == (
        sorted(CREATED)
    )
