"""Differential tests: every conformance case, policy test, example policy and the Olist
example give byte-identical reports on the compiled kernel and the reference replay.

Most run the generated kernel source as plain Python (`jit=False`): the same code numba
compiles, checked in milliseconds instead of seconds of compiling per policy. The policies
shipped with slalang run compiled, which proves numba computes what the source says.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from slalang.data import load_mapping, read_events, read_metrics
from slalang.evaluate.run import Span, field_specs
from slalang.load import load
from slalang.plan import compile_program
from slalang.policytest import _plan as policy_plan
from slalang.policytest import load_test_file
from slalang.sample import write_sample
from tests.conformance.test_conformance import CASES, prepare_case
from tests.data.test_olist import DEALS, MQLS
from tests.engine.differential import assert_same_report

ROOT = Path(__file__).parents[2]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_conformance_case(path: Path, tmp_path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    p = prepare_case(case, tmp_path)
    assert_same_report(p.plan, p.log, as_of=p.as_of, span=p.span, metrics=p.metrics)


POLICY_TESTS = sorted((ROOT / "policies/tests").rglob("*.test.yaml"))


@pytest.mark.parametrize("path", POLICY_TESTS, ids=[p.name for p in POLICY_TESTS])
def test_policy_test_file(path: Path) -> None:
    test = load_test_file(path)
    plan = policy_plan(test)
    mapping = load_mapping(test.mapping) if test.mapping is not None else None
    metrics = read_metrics(test.metrics) if isinstance(test.metrics, Path) else test.metrics
    as_of = None if test.as_of is None else datetime.fromtimestamp(test.as_of, UTC)
    specs, events = field_specs(plan), plan["events"]
    if test.rows is not None:
        data = "".join(json.dumps(row) + "\n" for row in test.rows).encode("utf-8")
        log = read_events(["-"], specs, events, mapping, as_of=as_of, stdin=io.BytesIO(data))
    else:
        assert test.events_file is not None
        log = read_events([str(test.events_file)], specs, events, mapping, as_of=as_of)
    span = Span(test.start, test.end)
    assert_same_report(plan, log, as_of=test.as_of, span=span, metrics=metrics)


SHIPPED = ["seed_funnel.sla", "acme.sla", "plg_partner.sla", "regions/global.sla"]


@pytest.mark.parametrize("policy", SHIPPED)
def test_shipped_policy_on_its_sample_compiled(policy: str, tmp_path: Path) -> None:
    """Compiled by numba, on a sample of a few hundred leads made for the policy."""
    plan = compile_program(load(ROOT / "policies" / policy))
    events, metrics = tmp_path / "events.csv", tmp_path / "metrics.csv"
    write_sample(plan, events, metrics, leads=300, seed=3, start=date(2026, 1, 5), months=4)
    log = read_events([str(events)], field_specs(plan), plan["events"])
    assert_same_report(plan, log, metrics=read_metrics(metrics), jit=True)


@pytest.mark.skipif(not MQLS.exists(), reason=f"{MQLS} is not present")
def test_the_olist_example() -> None:
    plan = compile_program(load(ROOT / "examples/olist/olist.sla"))
    mapping = load_mapping(ROOT / "examples/olist/mapping.yaml")
    paths = [str(MQLS), str(DEALS)]
    log = read_events(paths, field_specs(plan), plan["events"], mapping)
    assert_same_report(plan, log)
