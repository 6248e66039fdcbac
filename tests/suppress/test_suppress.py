"""Silencing diagnostics (RUNNER §6.5): comments, --select/--ignore, the configuration,
SLA901 for a suppression that silences nothing, and no repeats in evaluate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import slalang
from slalang.suppress import suppressions
from tests.conftest import POLICIES, REPO, invoke

SAMPLE = REPO / "samples" / "seed_funnel"
EVENTS_LINE = "events form_submitted, page_view,"


@pytest.fixture
def policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """seed_funnel with one event nothing uses: an SLA219 warning on line 27."""
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    text = (POLICIES / "seed_funnel.sla").read_text(encoding="utf-8")
    assert EVENTS_LINE in text
    path = tmp_path / "funnel.sla"
    path.write_text(text.replace(EVENTS_LINE, "events form_submitted, unused_evt, page_view,"))
    return path


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def codes(*args: str, code: int = 0) -> list[tuple[str, int]]:
    result = invoke(["check", *args, "--format", "json"], code)
    return [(d["code"], d["line"]) for d in json.loads(result.stdout)["diagnostics"]]


def test_the_warning_is_there_to_silence(policy: Path) -> None:
    assert ("SLA219", 27) in codes("funnel.sla")


def test_a_trailing_comment_silences_its_line(policy: Path) -> None:
    line = (policy.read_text(encoding="utf-8").splitlines())[26]
    edit(policy, line, line + "  # slalang: ignore[SLA219]")
    assert codes("funnel.sla") == []


def test_a_prefix_and_several_codes(policy: Path) -> None:
    line = (policy.read_text(encoding="utf-8").splitlines())[26]
    edit(policy, line, line + "  # slalang: ignore[SLA317, SLA2]")
    found = codes("funnel.sla")
    assert found == [("SLA901", 27)]  # SLA2 silenced the warning; SLA317 silenced nothing


def test_ignore_file_on_a_line_of_its_own(policy: Path) -> None:
    policy.write_text("# slalang: ignore-file[SLA219]\n" + policy.read_text(encoding="utf-8"))
    assert codes("funnel.sla") == []
    # at the end of a line of code it does not count (and says nothing: it is a comment)
    text = policy.read_text(encoding="utf-8").split("\n", 1)[1]
    line = text.splitlines()[26]
    policy.write_text(text.replace(line, line + "  # slalang: ignore-file[SLA219]"))
    assert codes("funnel.sla") == [("SLA219", 27)]


def test_a_stale_suppression_is_reported_and_can_itself_be_ignored(policy: Path) -> None:
    edit(policy, "unused_evt, ", "")
    line = (policy.read_text(encoding="utf-8").splitlines())[26]
    edit(policy, line, line + "  # slalang: ignore[SLA219]")
    result = invoke(["check", "funnel.sla"], 0)  # info never fails
    assert "info[SLA901]: unused suppression: no SLA219 warning on this line" in result.stdout
    assert codes("funnel.sla", "--ignore", "SLA901") == []


def test_errors_cannot_be_silenced(policy: Path) -> None:
    edit(policy, 'timezone "America/Chicago"', 'timezone "Mars/Olympus"  # slalang: ignore[SLA212]')
    found = codes("funnel.sla", code=1)
    line = next(line for code, line in found if code == "SLA212")
    assert ("SLA901", line) in found  # the comment silenced nothing: it is said


def test_a_mistyped_code_is_reported(policy: Path) -> None:
    line = (policy.read_text(encoding="utf-8").splitlines())[26]
    edit(policy, line, line + "  # slalang: ignore[SLA2l9]")
    result = invoke(["check", "funnel.sla"], 0)
    assert "`SLA2l9` is not a code" in result.stdout
    assert "SLA219" in result.stdout  # and the warning is still there


def test_a_comment_inside_a_string_is_not_a_suppression() -> None:
    text = 'label "# slalang: ignore[SLA219]"  # slalang: ignore[SLA317]\n'
    assert [s.code for s in suppressions("x.sla", text)] == ["SLA317"]
    assert suppressions("x.sla", text)[0].span.column == text.index("SLA317") + 1


def test_select_and_ignore_on_the_command_line(policy: Path) -> None:
    assert codes("funnel.sla", "--ignore", "SLA219") == []
    assert codes("funnel.sla", "--ignore", "SLA2") == []
    assert codes("funnel.sla", "--select", "SLA3") == []
    assert codes("funnel.sla", "--select", "SLA3,SLA21") == [("SLA219", 27)]
    assert codes("funnel.sla", "--select", "SLA3", "--select", "SLA2") == [("SLA219", 27)]


def test_the_configuration_selects_for_every_command(policy: Path) -> None:
    (policy.parent / "slalang.toml").write_text('ignore = ["SLA219"]\n', encoding="utf-8")
    assert codes("funnel.sla") == []
    assert codes("funnel.sla", "--ignore", "SLA317") == [("SLA219", 27)]  # a flag wins
    (policy.parent / "slalang.toml").write_text(
        'per-file-ignores = { "fun*.sla" = ["SLA219"] }\n', encoding="utf-8"
    )
    assert codes("funnel.sla") == []
    assert codes("funnel.sla", "--isolated") == [("SLA219", 27)]


def test_evaluate_does_not_repeat_a_silenced_warning(policy: Path) -> None:
    events = str(SAMPLE / "events.csv")
    loud = invoke(["evaluate", "funnel.sla", events, "--fail-on", "never"], 0)
    assert "warning[SLA219]" in loud.stderr
    line = (policy.read_text(encoding="utf-8").splitlines())[26]
    edit(policy, line, line + "  # slalang: ignore[SLA219]")
    quiet = invoke(["evaluate", "funnel.sla", events, "--fail-on", "never"], 0)
    assert "SLA219" not in quiet.stderr and "SLA901" not in quiet.stderr
    assert loud.stdout == quiet.stdout
    sample = invoke(["sample", "funnel.sla", "out", "--leads", "5"], 0)
    assert "SLA219" not in sample.stderr
    diff = invoke(["diff", "funnel.sla", "funnel.sla", events], 0)
    assert "SLA219" not in diff.stderr


def test_the_api_takes_a_selection(policy: Path) -> None:
    assert [d.code for d in slalang.load_policy(policy).check()] == ["SLA219"]
    assert slalang.load_policy(policy, ignore=["SLA2"]).check() == []
    assert slalang.load_policy(policy, select=["SLA3"]).check() == []
    shutil.copy(policy, policy.parent / "again.sla")
    checked = slalang.check_paths([policy.parent], selection=slalang.Selection(ignore=("SLA2",)))
    assert checked.diagnostics == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  owner sales\n", "  owners sales\n", "unknown keyword `owners`; did you mean `owner`?"),
        ("  owner sales\n", "  ownr sales\n", "unknown keyword `ownr`; did you mean `owner`?"),
        ("\nstage lead ", "\nstge lead ", "unknown keyword `stge`; did you mean `stage`?"),
    ],
)
def test_a_misspelt_keyword_gets_a_did_you_mean(
    policy: Path, old: str, new: str, message: str
) -> None:
    edit(policy, old, new)
    result = invoke(["check", "funnel.sla", "--format", "json"], 2)
    first = json.loads(result.stdout)["diagnostics"][0]
    assert (first["code"], first["message"]) == ("SLA101", message)
    line = policy.read_text(encoding="utf-8").splitlines()[first["line"] - 1]
    assert line[first["column"] - 1 :].startswith(new.strip().split()[0])
