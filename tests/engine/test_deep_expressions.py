"""Issue 9: no policy passes `check` and then crashes a later stage on a deep expression.

Past the limit (an expression nested more than 50 deep, SLA110) every command that reads
the policy says so in one located line and exits 2, the language server shows it, and
nothing recurses; up to the limit — and for chains of `and`s, of `or`s and of lets, which
have none — every stage works and gives the right answer: check, fmt, compile, evaluate on
the reference replay and on the columnar engine (generated kernel source, plain and
compiled by numba), explain, and the server's analysis with a let's value on hover.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from slalang.check import check
from slalang.data import read_events
from slalang.diagnostics import PolicyError
from slalang.engine import choose
from slalang.engine.kernel import supports
from slalang.evaluate.run import field_specs
from slalang.fmt import format_text, same_tree
from slalang.load import load_text
from slalang.plan import compile_program, dumps, loads
from slalang.server.analysis import analyse
from slalang.syntax import parse
from slalang.syntax.build import MAX_DEPTH
from tests.conftest import invoke
from tests.engine.differential import assert_same_report

BASE = """\
agreement "Deep" {
  timezone "UTC"
}
events form_submitted, sales_touch
field size: number
stage lead on form_submitted
stage mql when CONDITION
sla touch {
  start when entering lead
  stop on sales_touch
  within 4 hours
}
"""
EVENTS = """\
lead_id,timestamp,event,size
L1,2026-01-05T10:00:00Z,form_submitted,10
L2,2026-01-05T10:00:00Z,form_submitted,1
L2,2026-01-05T11:00:00Z,sales_touch,
"""


def _policy(condition: str, lets: str = "") -> str:
    return BASE.replace("CONDITION", condition) + lets


def _let_chain(n: int) -> str:
    """`l0 = 1`, then each let the one before plus 0.003: 3,000 of them make 9.997."""
    return "let l0 = 1\n" + "".join(f"let l{i} = l{i - 1} + 0.003\n" for i in range(1, n))


WITHIN = {
    # name: (condition, lets, the leads that reach `mql`) — L1 has size 10, L2 size 1
    "49 nots (50 deep)": ("not " * 49 + "size >= 5", "", ["L2"]),
    "48 negations": ("- " * 48 + "size >= 5", "", ["L1"]),
    "100 parentheses": ("(" * 100 + "size >= 5" + ")" * 100, "", ["L1"]),
    "1,000 ands": (" and ".join(f"size >= {i % 6}" for i in range(1000)), "", ["L1"]),
    "1,000 ors": (" or ".join(["size >= 100"] * 999 + ["size = 1"]), "", ["L2"]),
    "a let summing 50 terms": ("size * 10 >= x", "let x = " + " + ".join(["2"] * 50), ["L1"]),
    "a chain of 3,000 lets": ("size >= l2999", _let_chain(3000), ["L1"]),
}

BEYOND = {
    # name: (condition, lets, the depth reported)
    "50 nots (51 deep)": ("not " * 50 + "size >= 5", "", 51),
    "3,000 nots": ("not " * 3000 + "size >= 5", "", 3001),
    "a sum of 51 fields": (" + ".join(["size"] * 51) + " >= 5", "", 51),
    "a let summing 20,000 terms": ("size >= x", "let x = " + " + ".join(["1"] * 20_000), 19_999),
    "3,000 negations": ("- " * 3000 + "size >= 5", "", 3001),
}


def _write(tmp_path: Path, text: str) -> tuple[Path, Path]:
    policy = tmp_path / "deep.sla"
    policy.write_text(text + "\n", encoding="utf-8")
    events = tmp_path / "events.csv"
    events.write_text(EVENTS, encoding="utf-8")
    return policy, events


def _mql(report: str) -> list[str]:
    stages = json.loads(report)["stages"]
    return sorted(s["lead_id"] for s in stages if s["stage"] == "mql" and s["kind"] == "entered")


@pytest.mark.parametrize("name", sorted(WITHIN))
def test_within_the_limit_every_stage_gives_the_right_answer(name: str, tmp_path: Path) -> None:
    condition, lets, reached = WITHIN[name]
    text = _policy(condition, lets)
    policy, events = _write(tmp_path, text)
    path = str(policy)

    assert "no problems found" in invoke(["check", path], 0).output
    formatted = format_text(text)
    assert same_tree(parse(formatted).statements, parse(text).statements)
    assert format_text(formatted) == formatted
    assert [d.code for d in check(load_text(formatted, "deep.sla"))] == []

    plan_path = tmp_path / "plan.json"
    invoke(["compile", path, "-o", str(plan_path)], 0)
    plan = loads(plan_path.read_text(encoding="utf-8"))
    assert loads(dumps(plan)) == plan

    report = invoke(["evaluate", path, str(events), "--format", "json"], 0).output
    assert _mql(report) == reached
    # the same report from the compiled plan, and from the kernel's generated source
    from_plan = ["evaluate", str(plan_path), str(events), "--format", "json"]
    assert invoke(from_plan, 0).output == report
    log = read_events([str(events)], field_specs(plan), plan["events"])
    assert_same_report(plan, log, jit=False)

    assert "lead L1" in invoke(["explain", path, str(events), "--lead", "L1"], 0).output

    analysis = analyse(policy.resolve(), text, tmp_path.resolve())
    assert analysis.diagnostics == []
    if "l2999" in text:
        hover = [d.detail for k, d in analysis.definitions.items() if k.name == "l2999"]
        assert hover == ["let `l2999` = 9.997"]


def test_the_columnar_engine_compiles_deep_conditions_with_numba(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kernel through numba, on every construct near the limit at once (chains longer
    than one generated `&` group), gives the reference replay's bytes."""
    rules = [
        "not " * 49 + "size >= 5",
        "- " * 48 + "size >= 5",
        "(" * 100 + "size >= 5" + ")" * 100,
        " and ".join(f"size >= {i % 6}" for i in range(70)),
        " or ".join(["size >= 100"] * 69 + ["size = 1"]),
        "size >= l99",
    ]
    score = "".join(f"  +{2**k} when {rule}\n" for k, rule in enumerate(rules))
    text = _policy("fit >= 1", _let_chain(100)) + "score fit {\n" + score + "}\n"
    policy, events = _write(tmp_path, text)
    invoke(["check", str(policy)], 0)
    monkeypatch.setattr(choose, "SMALL", 0)  # a small input: make `local` run the kernel
    reports = [
        invoke(["evaluate", str(policy), str(events), "--format", "json", "--engine", e], 0).output
        for e in ("reference", "local")
    ]
    assert reports[0] == reports[1]
    assert _mql(reports[0]) == ["L1", "L2"]


def test_a_kernel_too_long_to_compile_quickly_runs_on_the_reference_replay() -> None:
    condition = " or ".join(["size >= 100"] * 2999 + ["size = 1"])
    program = load_text(_policy(condition), "deep.sla")
    assert check(program) == []
    plan = compile_program(program)
    assert re.fullmatch(
        r"a kernel of 3,\d{3} lines, too long to compile quickly", supports(plan) or ""
    )
    log = read_events(["-"], field_specs(plan), plan["events"], stdin=io.BytesIO(EVENTS.encode()))
    assert_same_report(plan, log, supported=False)


@pytest.mark.parametrize("name", sorted(BEYOND))
def test_beyond_the_limit_every_command_says_so_in_one_line(name: str, tmp_path: Path) -> None:
    condition, lets, depth = BEYOND[name]
    text = _policy(condition, lets)
    policy, events = _write(tmp_path, text)
    line = 7 if lets == "" else 13
    column = 16 if lets == "" else 9
    message = (
        f"deep.sla:{line}:{column}: error[SLA110]: "
        f"expression nested {depth:,} deep; the limit is {MAX_DEPTH}"
    )
    commands = [
        ["check", str(policy)],
        ["fmt", "--check", str(policy)],
        ["compile", str(policy)],
        ["evaluate", str(policy), str(events)],
        ["evaluate", str(policy), str(events), "--engine", "local"],
        ["explain", str(policy), str(events), "--lead", "L1"],
    ]
    for args in commands:
        result = invoke(args, 2)
        assert message in result.output, args
        assert "Traceback" not in result.output and "internal error" not in result.output
    analysis = analyse(policy.resolve(), text, tmp_path.resolve())
    assert [(d.code, d.message) for d in analysis.diagnostics] == [
        ("SLA110", f"expression nested {depth:,} deep; the limit is {MAX_DEPTH}")
    ]


def test_one_diagnostic_per_expression_too_deep_not_one_per_level() -> None:
    deep = "not " * 60 + "size >= 5"
    text = _policy(f"{deep} or {deep}") + f"stage sql when {deep}\n"
    with pytest.raises(PolicyError) as caught:
        parse(text, "deep.sla")
    found = [(d.code, d.span.line, d.message) for d in caught.value.diagnostics]
    assert found == [
        ("SLA110", 7, "expression nested 62 deep; the limit is 50"),
        ("SLA110", 13, "expression nested 61 deep; the limit is 50"),
    ]
