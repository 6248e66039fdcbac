"""The columnar batch holds exactly the events the reference reader produced, in replay order."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from slalang.data import EventLog, InputStats, read_events
from slalang.engine.batch import MISSING, Batch, from_event_log
from slalang.evaluate.run import field_specs
from slalang.load import load
from slalang.plan import compile_program

ROOT = Path(__file__).parents[2]


def seed() -> tuple[dict[str, Any], EventLog]:
    plan = compile_program(load(ROOT / "policies/seed_funnel.sla"))
    log = read_events(
        [str(ROOT / "samples/seed_funnel/events.csv")], field_specs(plan), plan["events"]
    )
    return plan, log


def field_types(plan: dict[str, Any]) -> dict[str, Any]:
    return {name: entry["type"] for name, entry in plan["fields"].items()}


def test_batch_holds_every_event_in_replay_order() -> None:
    plan, log = seed()
    batch = from_event_log(log, field_types(plan), plan["events"])
    batch.check()
    assert len(batch) == log.stats.events
    assert batch.lead_ids == tuple(sorted(log.leads))
    for i, lead in enumerate(batch.lead_ids):
        lo, hi = batch.offsets[i], batch.offsets[i + 1]
        events = log.leads[lead]
        assert [e.ts for e in events] == batch.ts[lo:hi].tolist()
        assert [e.seq for e in events] == batch.seq[lo:hi].tolist()
        assert [e.type for e in events] == [batch.event_types[c] for c in batch.event[lo:hi]]
        for name, column in batch.columns.items():
            cells = column.values[lo:hi]
            if column.encoded:
                decoded = [None if c == MISSING else column.dictionary[c] for c in cells]
            else:
                decoded = [None if np.isnan(v) else float(v) for v in cells]
            assert decoded == [e.fields.get(name) for e in events], (lead, name)


def test_dictionaries_keep_values_of_different_types_apart() -> None:
    plan, log = seed()
    batch = from_event_log(log, field_types(plan), plan["events"])
    interest = batch.columns["product_interest"]
    assert sorted(map(str, interest.dictionary)) == sorted(
        plan["fields"]["product_interest"]["options"]
    )
    assert batch.columns["amount"].values.dtype == np.float64


def test_an_empty_log_is_an_empty_batch() -> None:
    batch = from_event_log(EventLog({}, InputStats()), {"x": "text"}, ["a"])
    batch.check()
    assert len(batch) == 0 and batch.lead_ids == ()


def test_check_refuses_rows_out_of_order() -> None:
    plan, log = seed()
    good = from_event_log(log, field_types(plan), plan["events"])
    lo, hi = int(good.offsets[0]), int(good.offsets[1])
    assert hi - lo > 1
    ts = good.ts.copy()
    ts[lo], ts[lo + 1] = ts[lo + 1] + 1, ts[lo]
    broken = Batch(
        good.lead_ids,
        good.offsets,
        ts,
        good.seq,
        good.event,
        good.event_types,
        good.columns,
        good.stats,
    )
    with pytest.raises(ValueError, match="sorted by"):
        broken.check()
