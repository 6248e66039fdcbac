"""`slalang evaluate` report options: `--format html` and `--format leads`, `--rule`,
`--owner`, `--hide-empty`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from slalang.evaluate.schema import validate_report
from tests.conftest import POLICIES, REPO, invoke

POLICY = str(POLICIES / "seed_funnel.sla")
SAMPLE = REPO / "samples" / "seed_funnel"
BASE = [POLICY, str(SAMPLE / "events.csv"), "--metrics", str(SAMPLE / "metrics.csv")]


def test_html_is_written_with_timelines(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    result = invoke(["evaluate", *BASE, "--format", "html", "-o", str(out)], 1)
    assert f"wrote {out}" in result.stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # the worst breach's lead has its story embedded, as `slalang explain` prints it
    report = json.loads(invoke(["evaluate", *BASE, "--format", "json"], 1).stdout)
    worst = max(
        (v for v in report["violations"] if v["kind"] == "sla_breach"),
        key=lambda v: v["details"]["late_by_seconds"],
    )
    told = invoke(["explain", *BASE[:2], "--lead", worst["lead_id"]], 0).stdout
    first_line = told.splitlines()[0]
    assert first_line in page


def test_leads_uses_the_exports_id_column(tmp_path: Path) -> None:
    events = (SAMPLE / "events.csv").read_text(encoding="utf-8")
    renamed = tmp_path / "contacts.csv"
    renamed.write_text(events.replace("lead_id,", "Contact ID,", 1), encoding="utf-8")
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text('columns:\n  lead_id: "Contact ID"\n', encoding="utf-8")
    args = [POLICY, str(renamed), "--mapping", str(mapping), "--metrics", BASE[3]]
    text = invoke(["evaluate", *args, "--format", "leads"], 1).stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0])[:3] == ["Contact ID", "slalang_stage", "slalang_first_touch_status"]
    assert len(rows) == len({row["Contact ID"] for row in rows}) > 300


def test_rule_and_owner_limit_every_part_of_the_report() -> None:
    result = invoke(["evaluate", *BASE, "--format", "json", "--rule", "first_touch"], 1)
    report = json.loads(result.stdout)
    validate_report(report)
    assert {row["sla"] for row in report["slas"]} == {"first_touch"}
    assert {c["sla"] for c in report["clocks"]} == {"first_touch"}
    assert {v["rule"] for v in report["violations"]} == {"first_touch"}
    assert report["targets"] == []
    both = ["--owner", "marketing", "--rule", "mql", "--rule", "first_touch"]
    report = json.loads(invoke(["evaluate", *BASE, "--format", "json", *both], 1).stdout)
    # first_touch is sales': of the two rules only marketing's handoff is left
    assert {v["rule"] for v in report["violations"]} == {"mql"}
    assert report["slas"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rule", "first_touc"], "--rule `first_touc`: no such rule in the policy"),
        (["--owner", "sale"], "--owner `sale`: no such owner in the policy (marketing, sales)"),
    ],
)
def test_unknown_rule_or_owner_is_a_one_line_error(args: list[str], message: str) -> None:
    result = invoke(["evaluate", *BASE, *args], 2)
    assert message in result.stderr
    assert "did you mean" in result.stderr
    assert "Traceback" not in result.stderr


REPS = """
agreement "Reps" {
  party sales "Sales"
}
events form_submitted, sales_accepted
field rep: text
stage lead on form_submitted
stage sql on sales_accepted
target rep_conversion { owner sales  monthly by rep: rate(lead -> sql) >= 50% }
"""


def test_hide_empty_by_default_in_table_and_html_shown_elsewhere(tmp_path: Path) -> None:
    # a grouped target lists every rep in every period; a rep with no lead that month has
    # no value: ann in March and April, bob in February
    policy = tmp_path / "reps.sla"
    policy.write_text(REPS, encoding="utf-8")
    rows = [
        {
            "lead_id": "A",
            "timestamp": "2026-02-02T15:00:00Z",
            "event": "form_submitted",
            "rep": "ann",
        },
        {"lead_id": "A", "timestamp": "2026-02-03T15:00:00Z", "event": "sales_accepted"},
        {
            "lead_id": "B",
            "timestamp": "2026-03-02T15:00:00Z",
            "event": "form_submitted",
            "rep": "bob",
        },
        {
            "lead_id": "C",
            "timestamp": "2026-04-02T15:00:00Z",
            "event": "form_submitted",
            "rep": "bob",
        },
    ]
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    args = ["evaluate", str(policy), str(events), "--fail-on", "never"]
    report = json.loads(invoke([*args, "--format", "json"], 0).stdout)
    assert sum(r["value"] is None for r in report["targets"]) == 3
    table = invoke(args, 0).stdout
    assert "3 target periods with no data not shown" in table
    assert "2026-03  ann" not in table
    assert "2026-03  ann" in invoke([*args, "--show-empty"], 0).stdout
    assert "| 2026-03 | ann |" in invoke([*args, "--format", "markdown"], 0).stdout
    hidden = invoke([*args, "--format", "markdown", "--hide-empty"], 0).stdout
    assert "| 2026-03 | ann |" not in hidden
