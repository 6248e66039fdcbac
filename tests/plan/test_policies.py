"""Every policy in policies/ compiles to a plan that the shipped JSON Schema accepts."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from slalang.load import load
from slalang.plan import PLAN_SCHEMA, compile_program, dumps, loads

REPO = Path(__file__).resolve().parents[2]
POLICIES = sorted((REPO / "policies").rglob("*.sla"))
VALIDATOR = Draft202012Validator(PLAN_SCHEMA)


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(PLAN_SCHEMA)
    assert PLAN_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("path", POLICIES, ids=[str(p.relative_to(REPO)) for p in POLICIES])
def test_policy_plan_is_valid_and_round_trips(path: Path) -> None:
    shown = path.relative_to(REPO).as_posix()
    plan = compile_program(load(path, display=shown))
    errors = [f"{e.json_path}: {e.message[:200]}" for e in VALIDATOR.iter_errors(plan)]
    assert errors == []
    assert loads(dumps(plan)) == plan
    assert plan["policy"]["entry"] == shown


def test_schema_constrains() -> None:
    """The schema is not a rubber stamp: unknown keys and ill-formed nodes are refused."""
    plan = compile_program(load(REPO / "policies/acme.sla", display="policies/acme.sla"))
    assert VALIDATOR.is_valid(plan)
    tampered = [
        lambda p: p["stages"][0].update(colour="red"),
        lambda p: p["stages"][1]["trigger"]["when"].update(op="xor"),
        lambda p: p["slas"][0]["goals"][0]["duration"].update(kind="lunar"),
        lambda p: p["calendars"]["office"]["weekly"].pop("sun"),
        lambda p: p["calendars"]["office"]["weekly"]["mon"].append([600]),
        lambda p: p["fields"]["segment"].pop("options"),
        lambda p: p["targets"][0]["goal"].update(left={"score": "fit"}),
        lambda p: p["index"]["events"]["page_view"].pop("exits"),
    ]
    for change in tampered:
        bad = copy.deepcopy(plan)
        change(bad)
        assert not VALIDATOR.is_valid(bad), change
