"""The plan cache (`slalang.plancache`): a policy the checker passes clean is compiled once
and its plan reused by the next run of the same files with the same options, which neither
parses nor checks it again; any change to a file it read, to the options or to slalang is
a miss, and a policy with warnings is never kept."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import slalang.commands.common
from slalang import plancache
from slalang.api import load_policy
from tests.conftest import POLICIES, REPO, invoke

SAMPLE = REPO / "samples" / "seed_funnel"
EVENTS = str(SAMPLE / "events.csv")
METRICS = str(SAMPLE / "metrics.csv")


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache, and a working directory of policies copied from the repository."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("SLALANG_CACHE_DIR", str(folder))
    work = tmp_path / "work"
    shutil.copytree(POLICIES / "regions", work / "regions")
    shutil.copy(POLICIES / "seed_funnel.sla", work / "funnel.sla")
    (work / ".git").mkdir()  # the configuration search stops here
    monkeypatch.chdir(work)
    return folder


class Loads:
    """Counts the policies parsed (`load_policy` calls) by the commands."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = slalang.commands.common.load_policy

        def counted(*args: object, **kwargs: object) -> slalang.api.Policy:
            self.count += 1
            return real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(slalang.commands.common, "load_policy", counted)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> Loads:
    return Loads(monkeypatch)


def entries(cache: Path) -> list[Path]:
    return sorted((cache / "plans").glob("*.json"))


def evaluate(policy: str, code: int = 0) -> str:
    args = ["evaluate", policy, EVENTS, "--metrics", METRICS, "--format", "json"]
    return invoke([*args, "--fail-on", "never"], code).stdout


def test_the_next_run_uses_the_kept_plan_and_reports_the_same(cache: Path, loads: Loads) -> None:
    first = evaluate("funnel.sla")
    assert loads.count == 1 and len(entries(cache)) == 1
    second = evaluate("funnel.sla")
    assert loads.count == 1  # not parsed, not checked
    assert second == first
    assert invoke(["compile", "funnel.sla"], 0).stdout == load_policy("funnel.sla").to_json()
    assert loads.count == 1


def test_editing_an_imported_file_is_a_miss(cache: Path, loads: Loads) -> None:
    before = json.loads(invoke(["compile", "regions/global.sla"], 0).stdout)
    calendars = Path("regions/calendars.sla")
    text = calendars.read_text(encoding="utf-8")
    calendars.write_text(text.replace("08:30-17:30", "09:00-17:30"), encoding="utf-8")
    after = json.loads(invoke(["compile", "regions/global.sla"], 0).stdout)
    assert loads.count == 2
    assert after != before
    assert after == json.loads(load_policy("regions/global.sla").to_json())
    assert json.loads(invoke(["compile", "regions/global.sla"], 0).stdout) == after
    assert loads.count == 2  # the edited files' plan is kept in turn


def test_editing_the_policy_itself_is_a_miss(cache: Path, loads: Loads) -> None:
    evaluate("funnel.sla")
    policy = Path("funnel.sla")
    policy.write_text(policy.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    evaluate("funnel.sla")
    assert loads.count == 2


def test_an_import_pointed_at_another_file_is_a_miss(cache: Path, loads: Loads) -> None:
    regions = Path("regions")
    (regions / "calendars.sla").rename(regions / "office.sla")
    late = regions / "late.sla"
    office = (regions / "office.sla").read_text(encoding="utf-8")
    late.write_text(office.replace("08:30-17:30", "10:00-17:30"), encoding="utf-8")
    (regions / "calendars.sla").symlink_to("office.sla")
    before = invoke(["compile", "regions/global.sla"], 0).stdout
    (regions / "calendars.sla").unlink()
    (regions / "calendars.sla").symlink_to("late.sla")
    after = invoke(["compile", "regions/global.sla"], 0).stdout
    assert loads.count == 2
    assert after != before
    assert after == load_policy("regions/global.sla").to_json()


def test_a_policy_with_warnings_is_not_kept_and_warns_on_every_run(
    cache: Path, loads: Loads
) -> None:
    policy = Path("funnel.sla")
    text = policy.read_text(encoding="utf-8")
    line = "events form_submitted, page_view,"
    policy.write_text(text.replace(line, "events form_submitted, unused_evt, page_view,"))
    for _ in range(2):
        result = invoke(["evaluate", "funnel.sla", EVENTS, "--fail-on", "never"], 0)
        assert "warning[SLA219]" in result.stderr
    assert loads.count == 2
    assert entries(cache) == []


def test_the_codes_ignored_name_another_entry(cache: Path, loads: Loads) -> None:
    policy = Path("funnel.sla")
    text = policy.read_text(encoding="utf-8")
    line = "events form_submitted, page_view,"
    policy.write_text(text.replace(line, "events form_submitted, unused_evt, page_view,"))
    Path("slalang.toml").write_text('ignore = ["SLA219"]\n', encoding="utf-8")
    quiet = invoke(["evaluate", "funnel.sla", EVENTS, "--fail-on", "never"], 0)
    assert "SLA219" not in quiet.stderr and len(entries(cache)) == 1  # clean once ignored
    loud = invoke(["evaluate", "--isolated", "funnel.sla", EVENTS, "--fail-on", "never"], 0)
    assert "warning[SLA219]" in loud.stderr  # not the entry kept with the code ignored
    assert loads.count == 2


def test_a_damaged_entry_is_a_miss_and_is_written_again(cache: Path, loads: Loads) -> None:
    first = evaluate("funnel.sla")
    (entry,) = entries(cache)
    entry.write_text('{"modules": [["funnel.sla"', encoding="utf-8")
    assert evaluate("funnel.sla") == first
    assert loads.count == 2
    assert json.loads(entry.read_text(encoding="utf-8"))["plan"]["digest"].startswith("sha256:")


def test_a_cache_that_cannot_be_written_only_means_parsing_every_time(
    tmp_path: Path, cache: Path, loads: Loads, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")
    monkeypatch.setenv("SLALANG_CACHE_DIR", str(blocked))
    assert evaluate("funnel.sla") == evaluate("funnel.sla")
    assert loads.count == 2


def test_a_plan_file_is_read_as_ever(cache: Path, loads: Loads) -> None:
    Path("plan.json").write_text(invoke(["compile", "funnel.sla"], 0).stdout, encoding="utf-8")
    assert evaluate("plan.json") == evaluate("funnel.sla")
    assert loads.count == 2  # compile's, and the plan file's own
    assert len(entries(cache)) == 1


def test_old_entries_are_removed(
    cache: Path, loads: Loads, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plancache, "_ENTRIES", 2)
    for name in ("a.sla", "b.sla", "c.sla"):
        shutil.copy("funnel.sla", name)
        invoke(["compile", name], 0)
    assert len(entries(cache)) == 2
    invoke(["compile", "c.sla"], 0)
    assert loads.count == 3  # the newest is still there


def test_an_entry_whose_plan_was_altered_is_a_miss(cache: Path, loads: Loads) -> None:
    first = evaluate("funnel.sla")
    (entry,) = entries(cache)
    kept = json.loads(entry.read_text(encoding="utf-8"))
    kept["plan"]["policy"]["name"] = "Altered"
    entry.write_text(json.dumps(kept), encoding="utf-8")
    assert evaluate("funnel.sla") == first
    assert loads.count == 2
