"""The public Python API: the examples in docs/api.md run as written, and the API gives
what the command line gives (the commands are shells over it)."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import slalang
from slalang.api import diff_policies
from tests.conftest import POLICIES, REPO, invoke

DOC = REPO / "docs" / "api.md"
POLICY = str(POLICIES / "seed_funnel.sla")
EVENTS = str(REPO / "samples" / "seed_funnel" / "events.csv")
METRICS = str(REPO / "samples" / "seed_funnel" / "metrics.csv")


def examples() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", DOC.read_text(encoding="utf-8"), re.M | re.S)


@pytest.mark.parametrize("number", range(2))
def test_the_documented_examples_run(
    number: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(examples()) == 2
    monkeypatch.chdir(REPO)
    exec(compile(examples()[number], f"docs/api.md example {number + 1}", "exec"), {})
    if number == 0:
        assert capsys.readouterr().out.startswith("2026-03-01T06:00:00Z\n")


def test_evaluate_gives_the_bytes_the_command_line_writes() -> None:
    report = slalang.load_policy(POLICY).evaluate(EVENTS, metrics=METRICS, as_of="2026-02-15")
    args = [POLICY, EVENTS, "--metrics", METRICS, "--as-of", "2026-02-15", "--format", "json"]
    cli = invoke(["evaluate", *args], 1)
    assert report.to_json() == cli.stdout
    assert report.failed("error") and not report.failed("never")
    assert report.violations == json.loads(cli.stdout)["violations"]
    assert report.targets and report.slas


def test_instants_of_every_kind_name_the_same_moment() -> None:
    policy = slalang.load_policy(POLICY)
    texts = policy.evaluate(EVENTS, metrics=METRICS, as_of="2026-02-15T12:00").to_json()
    aware = datetime(2026, 2, 15, 18, 0, tzinfo=UTC)
    assert policy.evaluate(EVENTS, metrics=METRICS, as_of=aware).to_json() == texts
    day = policy.evaluate(EVENTS, metrics=METRICS, as_of=date(2026, 2, 15)).as_of
    assert day == "2026-02-16T06:00:00Z"


def test_rows_in_memory_are_read_like_a_file(tmp_path: Path) -> None:
    with open(EVENTS, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = list(reader.fieldnames or [])
        rows = [row for _, row in zip(range(300), reader, strict=False)]
    written = tmp_path / "some.csv"
    with open(written, "w", encoding="utf-8", newline="") as handle:
        out = csv.DictWriter(handle, fieldnames=header)
        out.writeheader()
        out.writerows(rows)
    policy = slalang.load_policy(POLICY)
    from_file = policy.evaluate(str(written)).data
    from_rows = policy.evaluate([{k: v for k, v in row.items() if v} for row in rows]).data
    assert from_rows["violations"] == from_file["violations"]
    assert from_rows["slas"] == from_file["slas"]


def test_a_policy_with_errors_raises_policy_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.sla"
    bad.write_text(
        Path(POLICY)
        .read_text(encoding="utf-8")
        .replace('timezone "America/Chicago"', 'timezone "America/Chicag"', 1)
    )
    policy = slalang.load_policy(bad)
    assert any(d.level == "error" for d in policy.check())
    with pytest.raises(slalang.PolicyError) as caught:
        policy.evaluate(EVENTS)
    assert caught.value.diagnostics


def test_strict_raises_on_a_rejected_row() -> None:
    policy = slalang.load_policy(POLICY)
    rows = [{"lead_id": "L1", "timestamp": "soon", "event": "lead_created"}]
    with pytest.raises(slalang.SlalangError, match="--strict"):
        policy.evaluate(rows, as_of="2026-03-01", strict=True)


def test_warnings_go_to_the_callback_as_they_happen() -> None:
    heard: list[str] = []
    report = slalang.load_policy(POLICY).evaluate(EVENTS, on_warning=heard.append)
    assert heard == list(report.warnings)
    assert any("metrics" in w for w in heard)
    assert any("not declared by the policy" in w for w in heard)


def test_a_compiled_plan_loads_and_evaluates_the_same(tmp_path: Path) -> None:
    policy = slalang.load_policy(POLICY)
    plan = tmp_path / "plan.json"
    plan.write_text(policy.to_json(), encoding="utf-8")
    compiled = slalang.load_policy(plan)
    assert compiled.check() == [] and compiled.timezone == "America/Chicago"
    assert (
        compiled.evaluate(EVENTS, metrics=METRICS).to_json()
        == policy.evaluate(EVENTS, metrics=METRICS).to_json()
    )


def test_diff_policies_of_a_policy_with_itself_changes_nothing() -> None:
    policy = slalang.load_policy(POLICY)
    assert diff_policies(policy, policy, EVENTS, metrics=METRICS)["changed"] is False


def test_explain_and_a_unique_prefix() -> None:
    explanation = slalang.load_policy(POLICY).explain(EVENTS, "L0040")
    assert explanation.lead_id == "L00400"


def test_unknown_names_on_the_package_say_so() -> None:
    with pytest.raises(AttributeError, match="no attribute 'evaluate_everything'"):
        _ = slalang.evaluate_everything  # type: ignore[attr-defined]
