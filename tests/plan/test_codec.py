"""Plan ⇄ JSON: byte-stable output, a location-independent digest, and loads() refusing
plans that are not exactly what the compiler wrote."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from slalang.diagnostics import SlalangError
from slalang.load import load
from slalang.plan import compile_program, digest, dumps, loads
from tests.plan.conftest import Compile

REPO = Path(__file__).resolve().parents[2]
ACME = "policies/acme.sla"


@pytest.fixture(scope="module")
def plan() -> dict[str, Any]:
    return compile_program(load(REPO / ACME, display=ACME))


def test_same_input_same_bytes(plan: dict[str, Any]) -> None:
    again = compile_program(load(REPO / ACME, display=ACME))
    assert dumps(again) == dumps(plan)
    text = dumps(plan)
    assert text.endswith("}\n")
    assert '\n  "policy": {\n    "name": "Acme Marketing & Sales SLA",' in text  # indented


def test_output_keeps_unicode_and_section_order(compile_text: Compile) -> None:
    text = dumps(compile_text('target t "Vertrieb Süd" { owner sales  monthly: 1 >= 1 }\n'))
    assert '"label": "Vertrieb Süd"' in text
    keys = list(json.loads(text))
    assert keys[:3] == ["format_version", "digest", "policy"]
    assert keys[-1] == "index"


def test_digest_ignores_where_the_checkout_lives(
    plan: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "elsewhere" / ACME
    copy.parent.mkdir(parents=True)
    shutil.copyfile(REPO / ACME, copy)
    monkeypatch.chdir(tmp_path / "elsewhere")
    moved = compile_program(load(Path(ACME)))
    assert moved["digest"] == plan["digest"]
    assert dumps(moved) == dumps(plan)
    # Named by its absolute path, the file is listed relative to the policy root instead.
    absolute = compile_program(load(copy.resolve()))
    assert absolute["policy"]["files"] == ["acme.sla"]
    assert not any(os.path.isabs(f) for f in absolute["policy"]["files"])


def test_digest_is_of_the_content(plan: dict[str, Any]) -> None:
    assert plan["digest"] == digest(plan)
    reordered = dict(reversed(list(plan.items())))
    assert digest(reordered) == plan["digest"]  # key order and layout do not matter
    changed = json.loads(dumps(plan))
    changed["targets"][0]["goal"]["right"]["num"] = 50
    assert digest(changed) != plan["digest"]


def test_loads_round_trip(plan: dict[str, Any]) -> None:
    assert loads(dumps(plan)) == plan


def rejected(plan: dict[str, Any], change: Any) -> str:
    bad = json.loads(dumps(plan))
    change(bad)
    with pytest.raises(SlalangError) as info:
        loads(json.dumps(bad))
    message = str(info.value)
    assert "\n" not in message
    return message


def test_loads_rejects_another_format_version(plan: dict[str, Any]) -> None:
    message = rejected(plan, lambda p: p.update(format_version="2.0"))
    assert message.startswith("invalid plan at `$.format_version`: `2.0` is not supported")


def test_loads_rejects_a_missing_key(plan: dict[str, Any]) -> None:
    message = rejected(plan, lambda p: p["policy"].pop("timezone"))
    assert message == "invalid plan at `$.policy`: missing key `timezone`"
    message = rejected(plan, lambda p: p["slas"][0]["goals"][1].pop("duration"))
    assert message == "invalid plan at `$.slas[0].goals[1]`: missing key `duration`"


def test_loads_rejects_unknown_keys_and_wrong_types(plan: dict[str, Any]) -> None:
    message = rejected(plan, lambda p: p["stages"][2].update(colour="red"))
    assert message == "invalid plan at `$.stages[2]`: unexpected key `colour`"
    message = rejected(plan, lambda p: p["stages"][2].update(index="2"))
    assert message == "invalid plan at `$.stages[2].index`: expected integer, found string"


def test_loads_rejects_an_edited_plan(plan: dict[str, Any]) -> None:
    def lower_the_bar(p: dict[str, Any]) -> None:
        p["targets"][0]["goal"]["right"]["num"] = 1

    message = rejected(plan, lower_the_bar)
    assert message.startswith("invalid plan at `$.digest`: does not match the plan's content")


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("{not json", "invalid plan: not JSON"),
        ("[1, 2]", "invalid plan at `$`: expected a JSON object"),
        ("{}", "invalid plan at `$.format_version`: missing"),
    ],
)
def test_loads_rejects_what_is_not_a_plan(text: str, start: str) -> None:
    with pytest.raises(SlalangError, match="^" + re.escape(start)):
        loads(text)


def test_loads_refuses_absurd_nesting_with_its_own_error(plan: dict[str, Any]) -> None:
    deep: dict[str, Any] = {"num": 1}
    for _ in range(400):
        deep = {"op": "neg", "args": [deep]}
    bad = json.loads(dumps(plan))
    bad["stages"][1]["trigger"]["when"]["args"][1] = deep
    with pytest.raises(SlalangError, match=r"^invalid plan: nested too deeply$"):
        loads(json.dumps(bad))
    with pytest.raises(SlalangError, match=r"^invalid plan: nested too deeply$"):
        loads("[" * 100_000 + "]" * 100_000)
