"""Configuration files (RUNNER §6.4): where they are found, what they set, and that a flag
on the command line always wins."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from slalang.config import ConfigError, find_config, load_config
from tests.conftest import POLICIES, REPO, invoke

SAMPLE = REPO / "samples" / "seed_funnel"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository (it has .git) with a policy, data, and a directory to work in."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "policies").mkdir()
    shutil.copy(POLICIES / "seed_funnel.sla", root / "policies" / "funnel.sla")
    (root / "data").mkdir()
    shutil.copy(SAMPLE / "events.csv", root / "data" / "events.csv")
    shutil.copy(SAMPLE / "metrics.csv", root / "data" / "metrics.csv")
    monkeypatch.chdir(root)
    return root


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


BASIC = """
policy = "policies/*.sla"
events = "data/events.csv"
metrics = "data/metrics.csv"
"""


def report(*args: str, code: int = 1) -> dict:  # type: ignore[type-arg]
    return json.loads(invoke(["evaluate", "--format", "json", *args], code).stdout)  # type: ignore[no-any-return]


def test_a_bare_evaluate_reads_policy_events_and_metrics_from_the_file(project: Path) -> None:
    write(project / "slalang.toml", BASIC)
    explicit = report(
        "policies/funnel.sla", "data/events.csv", "--metrics", "data/metrics.csv", "--isolated"
    )
    assert report() == explicit
    assert explicit["targets"]  # metrics were read


def test_found_from_a_subdirectory_with_paths_relative_to_the_file(project: Path) -> None:
    write(project / "slalang.toml", BASIC)
    (project / "deep" / "er").mkdir(parents=True)
    os.chdir(project / "deep" / "er")  # the fixture's monkeypatch restores the directory
    # the same as typing the paths from here (the report names the policy as typed)
    up = "../../"
    typed = [
        f"{up}policies/funnel.sla",
        f"{up}data/events.csv",
        "--metrics",
        f"{up}data/metrics.csv",
    ]
    assert report() == report(*typed, "--isolated")
    assert find_config() == (project / "slalang.toml").resolve()


def test_the_nearest_file_wins_and_slalang_toml_beats_pyproject(project: Path) -> None:
    write(project / "slalang.toml", 'timezone = "UTC"\n')
    write(project / "sub" / "pyproject.toml", '[tool.slalang]\ntimezone = "Asia/Tokyo"\n')
    assert find_config(project / "sub") == (project / "sub" / "pyproject.toml").resolve()
    write(project / "sub" / "slalang.toml", 'timezone = "Europe/Paris"\n')
    assert find_config(project / "sub") == (project / "sub" / "slalang.toml").resolve()
    assert load_config(project / "sub" / "slalang.toml").values == {"timezone": "Europe/Paris"}


def test_a_pyproject_without_a_slalang_table_is_passed_over(project: Path) -> None:
    write(project / "slalang.toml", 'timezone = "UTC"\n')
    write(project / "sub" / "pyproject.toml", "[tool.ruff]\nline-length = 100\n")
    assert find_config(project / "sub") == (project / "slalang.toml").resolve()


def test_the_repository_root_stops_the_search(tmp_path: Path) -> None:
    write(tmp_path / "slalang.toml", 'timezone = "UTC"\n')  # outside the repository
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "src").mkdir()
    assert find_config(tmp_path / "repo" / "src") is None
    assert find_config(tmp_path) == (tmp_path / "slalang.toml").resolve()


def test_a_flag_wins_over_the_file_and_a_command_table_over_the_top_level(
    project: Path,
) -> None:
    write(project / "slalang.toml", BASIC + 'format = "markdown"\nfail-on = "never"\n')
    result = invoke(["evaluate"], 0)  # fail-on never: exit 0
    assert result.stdout.startswith("## SLA report")
    assert invoke(["evaluate", "--fail-on", "error"], 1).stdout.startswith("## SLA report")
    assert invoke(["evaluate", "--format", "csv"], 0).stdout.startswith("kind,")
    write(project / "slalang.toml", BASIC + 'format = "markdown"\n[evaluate]\nformat = "csv"\n')
    assert invoke(["evaluate"], 1).stdout.startswith("kind,")


def test_a_top_level_value_applies_only_where_the_option_takes_it(project: Path) -> None:
    # `check --format` has no markdown: the top-level format is not its business
    write(project / "slalang.toml", BASIC + 'format = "markdown"\n')
    assert invoke(["check"], 0).stderr == "no problems found\n"
    write(project / "slalang.toml", BASIC + '[check]\nformat = "markdown"\n')
    result = invoke(["check"], 2)
    assert "slalang.toml: [check] format: `markdown` is not one of" in result.stderr


def test_an_argument_on_the_command_line_wins(project: Path) -> None:
    write(project / "slalang.toml", BASIC)
    other = write(project / "elsewhere.csv", (project / "data/events.csv").read_text("utf-8"))
    assert report("policies/funnel.sla", str(other)) == report()


def test_config_names_a_file_and_isolated_ignores_every_file(project: Path) -> None:
    write(
        project / "settings" / "team.toml",
        'policy = "../policies/funnel.sla"\nevents = "../data/events.csv"\nformat = "markdown"\n',
    )
    assert invoke(["evaluate", "--config", "settings/team.toml"], 1).stdout.startswith("## SLA")
    write(project / "slalang.toml", 'format = "nonsense"\n[evaluate]\nformat = "csv"\n')
    result = invoke(["evaluate", "--isolated"], 2)
    assert "Missing argument 'POLICY'" in result.stderr
    result = invoke(["evaluate", "--config", "missing.toml"], 2)
    assert "error: --config: missing.toml: no such file" in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('fail_on = "never"\n', "slalang.toml: unknown key `fail_on`; did you mean `fail-on`?"),
        ('maping = "x.yaml"\n', "unknown key `maping`; did you mean `mapping`?"),
        ("[evaluate]\nmetric = 'm.csv'\n", "[evaluate]: unknown key `metric`; did you mean"),
        ("colour = 'red'\n", "unknown key `colour` (known keys: check, compile, data-check,"),
        ("jobs = 0\n", "`jobs` is a whole number of at least 1"),
        ("events = 3\n", "`events` is a string or a list of strings"),
        ('events = "data/*.parquet"\n', "`events` pattern `data/*.parquet` matches no file"),
        ("evaluate = 1\n", "`evaluate` is a table of options for `slalang evaluate`"),
        ("policy = [\n", "slalang.toml: not valid TOML"),
    ],
)
def test_bad_files_are_one_line_errors(project: Path, text: str, message: str) -> None:
    write(project / "slalang.toml", text)
    result = invoke(["evaluate", "policies/funnel.sla", "data/events.csv"], 2)
    assert message in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")


def test_several_policies_are_fine_for_check_but_not_for_evaluate(project: Path) -> None:
    shutil.copy(POLICIES / "acme.sla", project / "policies" / "acme.sla")
    write(project / "slalang.toml", BASIC)
    invoke(["check"], 0)
    result = invoke(["evaluate"], 2)
    assert "`policy` names 2 files (policies/acme.sla, policies/funnel.sla)" in result.stderr
    invoke(["evaluate", "policies/funnel.sla"], 1)  # named on the command line: fine


def test_pyproject_table(project: Path) -> None:
    write(project / "pyproject.toml", "[tool.slalang]\n" + BASIC)
    assert report() == report(
        "policies/funnel.sla", "data/events.csv", "--metrics", "data/metrics.csv"
    )


def test_a_mapping_preset_name_is_not_a_path(project: Path) -> None:
    write(project / "sub" / "slalang.toml", 'mapping = "hubspot"\n')
    assert load_config(project / "sub" / "slalang.toml").values == {"mapping": "hubspot"}
    write(project / "sub" / "slalang.toml", 'mapping = "maps/crm.yaml"\n')
    assert load_config(project / "sub" / "slalang.toml").values == {"mapping": "sub/maps/crm.yaml"}


def test_pyproject_named_by_config_needs_the_table(project: Path) -> None:
    write(project / "pyproject.toml", "[project]\nname = 'x'\n")
    with pytest.raises(ConfigError, match=r"no \[tool.slalang\] table"):
        load_config(project / "pyproject.toml")
