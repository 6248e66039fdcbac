"""Imports are merged into one plan that lists every file and points each rule at its own."""

from __future__ import annotations

from pathlib import Path

from slalang.load import load
from slalang.plan import compile_program

REPO = Path(__file__).resolve().parents[2]

SHARED = """\
# definitions shared by every region
events created, touched

field region: one of "amer", "emea"

calendar office {
  open mon-fri 09:00-17:00
}

let threshold = 40 + 10

score fit {
  +60 when region = "emea"
}

stage lead on created
stage mql when fit >= threshold
"""

MAIN = """\
import "defs/shared.sla"

agreement "Two files" {
  timezone "Europe/Paris"
  party sales "Sales"
}

sla first_touch {
  owner sales
  start when entering mql
  stop on touched
  within 2 business hours
}
"""


def test_two_file_policy_compiles_into_one_plan(tmp_path: Path) -> None:
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "shared.sla").write_text(SHARED, encoding="utf-8")
    (tmp_path / "main.sla").write_text(MAIN, encoding="utf-8")
    plan = compile_program(load(tmp_path / "main.sla", display="main.sla"))

    assert plan["policy"]["files"] == ["defs/shared.sla", "main.sla"]  # imports first
    assert plan["policy"]["entry"] == "main.sla"
    assert plan["events"] == ["created", "touched"]
    assert plan["fields"]["region"]["source"] == {"file": "defs/shared.sla", "line": 4}
    assert plan["scores"]["fit"]["when_rules"][0]["source"] == {
        "file": "defs/shared.sla",
        "line": 13,
    }
    mql = plan["stages"][1]
    assert mql["source"] == {"file": "defs/shared.sla", "line": 17}
    # The imported let is folded into the stage condition.
    assert mql["trigger"]["when"] == {"op": ">=", "args": [{"score": "fit"}, {"num": 50}]}

    office = plan["calendars"]["office"]
    assert office["source"] == {"file": "defs/shared.sla", "line": 6}
    # An imported calendar without a zone takes the agreement's, wherever it is written.
    assert office["timezone"] == "Europe/Paris"

    sla = plan["slas"][0]
    assert sla["source"] == {"file": "main.sla", "line": 8}
    assert sla["start"][0]["source"] == {"file": "main.sla", "line": 10}
    assert sla["goals"][0]["duration"]["calendar"] == "office"  # the only calendar
    assert plan["index"]["entering"]["mql"]["sla_starts"] == [{"sla": "first_touch", "trigger": 0}]


def test_regions_example(tmp_path: Path) -> None:
    plan = compile_program(
        load(REPO / "policies/regions/global.sla", display="policies/regions/global.sla")
    )
    assert plan["policy"]["files"] == [
        "policies/regions/shared.sla",
        "policies/regions/calendars.sla",
        "policies/regions/global.sla",
    ]
    sources = {s["name"]: s["source"]["file"] for s in plan["stages"]}
    assert set(sources.values()) == {"policies/regions/shared.sla"}
    assert plan["calendars"]["de_office"]["source"]["file"] == "policies/regions/calendars.sla"
    assert plan["calendars"]["de_office"]["weekly"]["fri"] == [[480, 840]]
    assert plan["calendars"]["de_office"]["holidays"] == [{"country": "DE", "subdivision": "BY"}]
    first_touch = next(s for s in plan["slas"] if s["name"] == "first_touch")
    assert first_touch["source"]["file"] == "policies/regions/global.sla"
    assert [g["duration"]["calendar"] for g in first_touch["goals"]] == [
        "us_office",
        "de_office",
        "us_office",
    ]
    # `mql when fit + engagement >= mql_threshold`: the let from shared.sla is folded.
    assert plan["stages"][1]["trigger"]["when"]["args"][1] == {"num": 60}
