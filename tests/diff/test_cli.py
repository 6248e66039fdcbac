"""`slalang diff OLD NEW EVENTS…` from the command line: exit codes, the three formats,
and bad arguments."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import POLICIES, REPO, invoke

POLICY = POLICIES / "seed_funnel.sla"
SAMPLE = REPO / "samples" / "seed_funnel"
DATA = [str(SAMPLE / "events.csv"), "--metrics", str(SAMPLE / "metrics.csv")]


def tightened(tmp_path: Path) -> Path:
    """The showcase policy with its best-fit response window cut from 4 hours to 1."""
    text = POLICY.read_text(encoding="utf-8")
    assert "within 4 business hours" in text
    path = tmp_path / "seed_funnel.sla"
    path.write_text(text.replace("within 4 business hours", "within 1 business hour"), "utf-8")
    return path


def test_the_same_policy_twice_changes_nothing_and_exits_0() -> None:
    result = invoke(["diff", str(POLICY), str(POLICY), *DATA], 0)
    assert result.stdout.startswith("no changes\n")
    assert "policies differ" not in result.stdout


def test_a_tighter_window_adds_breaches_and_exits_1(tmp_path: Path) -> None:
    result = invoke(["diff", str(POLICY), str(tightened(tmp_path)), *DATA, "--format", "json"], 1)
    diff = json.loads(result.stdout)
    assert diff["changed"] is True
    added = diff["violations"]["added"]
    kinds = {(v["kind"], v["rule"]) for v in added}
    # the tighter window breaches first touches, and may sink the compliance target they feed
    assert ("sla_breach", "first_touch") in kinds
    assert kinds <= {("sla_breach", "first_touch"), ("target_missed", "first_touch_compliance")}
    assert diff["violations"]["removed"] == []
    first_touch = next(row for row in diff["slas"] if row["sla"] == "first_touch")
    assert first_touch["after"]["compliance"] < first_touch["before"]["compliance"]
    assert diff["summary"].startswith(f"{len(added)} violation")
    assert "digest" in diff["policy"]["differs"]


def test_swapping_old_and_new_turns_added_into_removed(tmp_path: Path) -> None:
    new = str(tightened(tmp_path))
    forward = json.loads(invoke(["diff", str(POLICY), new, *DATA, "--format", "json"], 1).stdout)
    back = json.loads(invoke(["diff", new, str(POLICY), *DATA, "--format", "json"], 1).stdout)
    assert back["violations"]["removed"] == forward["violations"]["added"]


def test_exit_zero_still_reports_the_change(tmp_path: Path) -> None:
    result = invoke(["diff", str(POLICY), str(tightened(tmp_path)), *DATA, "--exit-zero"], 0)
    assert "violation added" in result.stdout or "violations added" in result.stdout
    assert "Violations added" in result.stdout


def test_markdown_is_a_pull_request_comment(tmp_path: Path) -> None:
    result = invoke(
        ["diff", str(POLICY), str(tightened(tmp_path)), *DATA, "--format", "markdown"], 1
    )
    text = result.stdout
    lines = text.splitlines()
    assert lines[0] == "## SLA diff: Brightline Marketing &amp; Sales SLA 2026.2"
    assert lines[2].startswith("**") and "compliance" in lines[2]
    assert "<details><summary>Violations added (" in text
    assert "<details><summary>SLAs (1 of 3 changed)</summary>" in text
    assert text.count("<details>") == text.count("</details>")
    assert "| first_touch |" in text


def test_output_file_and_as_of_are_shared(tmp_path: Path) -> None:
    out = tmp_path / "diff.json"
    as_of = "2026-02-15T00:00:00Z"
    args = ["diff", str(POLICY), str(tightened(tmp_path)), *DATA, "--as-of", as_of]
    invoke([*args, "--format", "json", "-o", str(out)], 1)
    assert json.loads(out.read_text("utf-8"))["as_of"] == as_of


def test_too_few_arguments_is_a_usage_error() -> None:
    result = invoke(["diff", str(POLICY), str(POLICY)], 2)
    assert "expected OLD NEW EVENTS..." in result.stderr


def test_a_broken_policy_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.sla"
    broken.write_text("sla {\n", "utf-8")
    result = invoke(["diff", str(POLICY), str(broken), *DATA], 2)
    assert "broken.sla" in result.stderr
    assert "Traceback" not in result.stderr


SMALL = """\
agreement "Small" {
  party sales "Sales"
}
calendar office {
  timezone "America/New_York"
  open mon-fri 09:00-17:00
}
events form_submitted, sales_touch
field size: number
stage mql on form_submitted
sla first_touch {
  owner sales
  start when entering mql
  stop on sales_touch
  within 4 business hours
}
"""

# Monday 10:00 New York; L1 gets a call (an event only the new policy declares) at 11:00
# and a touch the next day, so it is late unless the call stops the clock.
SMALL_EVENTS = """\
lead_id,timestamp,event,size
L1,2026-02-02T15:00:00Z,form_submitted,10
L1,2026-02-02T16:00:00Z,sales_call,
L1,2026-02-03T15:00:00Z,sales_touch,
"""


def test_events_only_the_new_policy_declares_are_read_for_it(tmp_path: Path) -> None:
    old = tmp_path / "old.sla"
    old.write_text(SMALL, "utf-8")
    new = tmp_path / "new.sla"
    new.write_text(
        SMALL.replace(
            "form_submitted, sales_touch", "form_submitted, sales_touch, sales_call"
        ).replace("stop on sales_touch", "stop on sales_touch, sales_call"),
        "utf-8",
    )
    events = tmp_path / "events.csv"
    events.write_text(SMALL_EVENTS, "utf-8")
    result = invoke(["diff", str(old), str(new), str(events), "--format", "json"], 1)
    diff = json.loads(result.stdout)
    assert [v["lead_id"] for v in diff["violations"]["removed"]] == ["L1"]
    assert "sales_call" not in result.stderr


def test_a_field_typed_differently_cannot_be_read_for_both(tmp_path: Path) -> None:
    old = tmp_path / "old.sla"
    old.write_text(SMALL, "utf-8")
    new = tmp_path / "new.sla"
    new.write_text(SMALL.replace("field size: number", "field size: text"), "utf-8")
    events = tmp_path / "events.csv"
    events.write_text(SMALL_EVENTS, "utf-8")
    result = invoke(["diff", str(old), str(new), str(events)], 2)
    assert result.stderr.splitlines()[-1] == (
        "error: field `size` is number in the old policy and text in the new one; "
        "the data cannot be read one way for both"
    )


PAUSING = """\
calendar office {
  timezone "America/New_York"
  open mon-fri 09:00-17:00
}
events form_submitted, sales_touch, callback_requested, callback_due
field callback_date: date
stage mql on form_submitted
sla first_touch {
  start when entering mql
  stop on sales_touch
  within 4 business hours
}
"""

CALLBACK_EVENTS = """\
lead_id,timestamp,event,callback_date
L1,2026-02-02T14:00:00Z,form_submitted,
L1,2026-02-02T15:00:00Z,callback_requested,2026-02-03
L1,2026-02-03T15:00:00Z,callback_due,
L1,2026-02-03T17:00:00Z,sales_touch,
L2,2026-02-02T14:00:00Z,form_submitted,
L2,2026-02-02T15:00:00Z,callback_requested,
L2,2026-02-03T17:00:00Z,sales_touch,
"""


def test_adding_a_pause_removes_the_breaches_it_excuses(tmp_path: Path) -> None:
    """L1 books a callback for the next day and is called then: late under the old policy,
    met once callbacks pause the clock (8 business hours paused, due Tue 18:00Z). L2's
    callback has no date, so the new `where` keeps its clock running: still late."""
    old = tmp_path / "old.sla"
    old.write_text(PAUSING, "utf-8")
    new = tmp_path / "new.sla"
    new.write_text(
        PAUSING.replace(
            "  within 4 business hours\n",
            "  pause on callback_requested where callback_date is present\n"
            "  resume on callback_due\n"
            "  within 4 business hours\n",
        ),
        "utf-8",
    )
    events = tmp_path / "events.csv"
    events.write_text(CALLBACK_EVENTS, "utf-8")
    result = invoke(["diff", str(old), str(new), str(events), "--format", "json"], 1)
    diff = json.loads(result.stdout)
    assert [v["lead_id"] for v in diff["violations"]["removed"]] == ["L1"]
    assert diff["violations"]["added"] == []
    row = next(r for r in diff["slas"] if r["sla"] == "first_touch")
    assert (row["before"]["compliance"], row["after"]["compliance"]) == (0, 0.5)
