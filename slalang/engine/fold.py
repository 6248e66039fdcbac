"""The kernel's records → the report's pieces, without a Python object per lead.

The reference path turns every lead into a `LeadResult`, folds it with `Reducer.add` and
builds each report entry as a dict for `json` to encode: about 2 µs an event, fifteen
times the kernel's loop. Here the kernel's arrays are folded column by column instead:

- stage entries are written as JSON text straight from the arrays (instants formatted by
  numpy, lead ids quoted once per lead);
- target counts, sums and cohorts are bucketed by (probe, period, group) with numpy, sums
  kept exact as `Totals` needs (integral amounts summed in float64 are exact below 2**53;
  anything else goes through `add_exact` one amount at a time);
- clocks, the one record with per-record logic (pauses, deadlines on business calendars,
  statuses), are judged, counted and written by the reference's own code
  (`LeadReplay.judge`, `Reducer.count_clock`, `clock_entry`, `breach_entry`), and so are
  handoffs; there are a few of them per lead at most.

What comes out is what a partition of the columnar engine sends back: `Totals` with counts
only, and the stage, clock and violation entries as (lead id, JSON line) in report order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from slalang.engine.batch import MISSING, Batch
from slalang.engine.compile import NONE
from slalang.engine.kernel import Kernel, Rows
from slalang.evaluate.aggregate import Reducer, Totals, Window, add_exact
from slalang.evaluate.model import HandoffRecord, Value
from slalang.evaluate.periods import Periods
from slalang.evaluate.report import Lateness, breach_entry, clock_entry, handoff_entry
from slalang.render.report.json_text import compact

SECTIONS = ("stages", "clocks", "violations")

Entries = dict[str, list[tuple[str, str]]]
Key = tuple[int, str, Value]
"""A bucket of `Totals`: (probe, period key, group)."""

_EXACT = float(2**53)
_PLAIN = re.compile(r'["\\\x00-\x1f]')
"""What JSON escapes (with `ensure_ascii=False`): a string without these is written as is."""


def quoted(text: str) -> str:
    """`text` as a JSON string, exactly as `compact` writes it."""
    return compact(text) if _PLAIN.search(text) else f'"{text}"'


def iso_texts(instants: npt.NDArray[np.int64]) -> list[str]:
    """Instants as the report writes them (`iso`), formatted by numpy all at once."""
    texts = np.datetime_as_string(instants.astype("datetime64[s]"), unit="s")
    return [f"{text}Z" for text in texts.tolist()]


@dataclass(slots=True)
class Folded:
    """A batch's contribution to the report: counts, entries and their severities."""

    totals: Totals
    entries: Entries = field(default_factory=lambda: {s: [] for s in SECTIONS})
    severities: set[str] = field(default_factory=set)


def fold(
    plan: Mapping[str, Any], kernel: Kernel, batch: Batch, as_of: int, window: Window
) -> Folded:
    """Run the kernel over `batch` and fold its records (see the module doc)."""
    folder = _Folder(plan, kernel, batch, as_of, window)
    for rows in kernel.rows(batch, as_of):
        folder.add(rows)
    return folder.folded


Violation = tuple[int, str, str, int, str, str]
"""A lead's violation: (lead index, at, rule, insertion order) — its report order, as the
reference's stable sort by (lead, at, rule) gives it — then its JSON line and severity."""


def _violation(lead: int, entry: Mapping[str, Any], order: int) -> Violation:
    return (lead, entry["at"], entry["rule"], order, compact(entry), entry["severity"])


def _holds(window: Window, instants: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(instants), bool)
    if window.start is not None:
        keep &= instants >= window.start
    if window.end is not None:
        keep &= instants <= window.end
    return keep


class _Folder:
    def __init__(
        self, plan: Mapping[str, Any], kernel: Kernel, batch: Batch, as_of: int, window: Window
    ) -> None:
        self.plan = plan
        self.batch = batch
        self.layout = kernel.layout
        self.window = window
        self.reducer = Reducer(plan, window)
        self.decode = kernel.decoder(batch, as_of)
        self.folded = Folded(Totals())
        self.lead_json: dict[int, str] = {}
        names = [stage["name"] for stage in plan["stages"]]
        self.stage_names = names
        # "stage": …, "kind": … of stage index s, skipped (2s) or entered (2s + 1)
        self.stage_kind = [
            f'"stage": {quoted(name)}, "kind": "{kind}"'
            for name in names
            for kind in ("skipped", "entered")
        ]
        self.slas = plan["slas"]
        # clocks are listed by SLA name within a start instant: each SLA's rank by name
        by_name = sorted(range(len(self.slas)), key=lambda i: self.slas[i]["name"])
        self.sla_rank = np.argsort(np.array(by_name, np.int64)).astype(np.int64)
        self.handoffs = {s["name"]: s["handoff"] for s in plan["stages"] if s["handoff"]}
        self.lateness = Lateness(plan)

    def lead(self, index: int) -> str:
        text = self.lead_json.get(index)
        if text is None:
            text = self.lead_json[index] = quoted(self.batch.lead_ids[index])
        return text

    def add(self, rows: Rows) -> None:
        self.stages(rows.stages)
        violations: list[Violation] = []
        self.clocks(rows, violations)
        self.handoff_records(rows.handoffs, violations)
        violations.sort(key=lambda v: v[:4])
        lead_ids = self.batch.lead_ids
        out = self.folded.entries["violations"]
        for lead, _, _, _, line, severity in violations:
            out.append((lead_ids[lead], line))
            self.folded.severities.add(severity)
        self.facts(rows)
        self.rates(rows)

    # ---- stages --------------------------------------------------------------------------

    def stages(self, st: npt.NDArray[np.int64]) -> None:
        st = st[_holds(self.window, st[:, 3])]
        if not len(st):
            return
        leads = st[:, 0].tolist()
        kinds = (st[:, 1] * 2 + st[:, 2]).tolist()
        lead_ids, stage_kind, lead = self.batch.lead_ids, self.stage_kind, self.lead
        self.folded.entries["stages"].extend(
            (lead_ids[i], f'{{"lead_id": {lead(i)}, {stage_kind[k]}, "at": "{at}"}}')
            for i, k, at in zip(leads, kinds, iso_texts(st[:, 3]), strict=True)
        )

    # ---- clocks and handoffs: the reference's own judge and entries -------------------------

    def clocks(self, rows: Rows, violations: list[Violation]) -> None:
        ck = rows.clocks
        if not len(ck):
            return
        clocks = self.decode.clocks(rows)
        # report order within a lead: started, SLA, cycle
        order = np.lexsort((ck[:, 2], self.sla_rank[ck[:, 1]], ck[:, 4], ck[:, 0])).tolist()
        leads = ck[:, 0].tolist()
        holds, judge, count = self.window.holds, self.decode.replay.judge, self.reducer.count_clock
        totals, lead_ids = self.folded.totals, self.batch.lead_ids
        out = self.folded.entries["clocks"]
        for row in order:
            clock = clocks[row]
            if not holds(clock.started_at):
                continue
            record = judge(clock)
            count(totals, record)
            lead = leads[row]
            lead_id = lead_ids[lead]
            out.append((lead_id, compact(clock_entry(lead_id, record))))
            if record.status in ("late", "missed"):
                sla = self.slas[clock.sla]
                entry = breach_entry(sla, lead_id, record, self.lateness.words(record))
                violations.append(_violation(lead, entry, len(violations)))

    def handoff_records(self, ho: npt.NDArray[np.int64], violations: list[Violation]) -> None:
        ho = ho[_holds(self.window, ho[:, 2])]
        required, checks = self.layout.handoff_required, self.layout.handoff_checks
        lead_ids = self.batch.lead_ids
        for lead, stage, at, missing, failed in ho.tolist():
            record = HandoffRecord(
                self.stage_names[stage],
                at,
                tuple(f for bit, f in enumerate(required[stage]) if missing >> bit & 1),
                tuple(c for bit, c in enumerate(checks[stage]) if failed >> bit & 1),
            )
            handoff = self.handoffs[record.stage]
            entry = handoff_entry(handoff, lead_ids[lead], record)
            violations.append(_violation(lead, entry, len(violations)))

    # ---- target counts ---------------------------------------------------------------------

    def groups(
        self, probe: int, codes: npt.NDArray[np.int64], numbers: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], list[Value]]:
        """Each row's group as an index into the returned values (as the reference reads
        them: a dictionary value, a float, or None where the field was not set)."""
        name = self.layout.probe_by.get(probe)
        if name is None:
            return np.zeros(len(codes), np.int64), [None]
        column = self.batch.columns[name]
        if column.encoded:
            distinct, inverse = np.unique(codes, return_inverse=True)
            dictionary = column.dictionary
            values: list[Value] = [
                None if code == MISSING else dictionary[code] for code in distinct.tolist()
            ]
        else:
            found, inverse = np.unique(numbers, return_inverse=True)
            values = [None if number != number else number for number in found.tolist()]
        return inverse.astype(np.int64), values

    def buckets(
        self, probe: int, at: npt.NDArray[np.int64], group: npt.NDArray[np.int64], width: int
    ) -> tuple[npt.NDArray[np.int64], list[tuple[str, int]]]:
        """Each row's bucket (period by group) and each bucket's (period key, group index)."""
        periods: Periods = self.reducer.periods[probe]
        listed = periods.between(int(at.min()), int(at.max()))
        starts = np.array([p.start for p in listed], np.int64)
        period = np.searchsorted(starts, at, side="right") - 1
        distinct, inverse = np.unique(period * width + group, return_inverse=True)
        keys = [(listed[k // width].key, k % width) for k in distinct.tolist()]
        return inverse.astype(np.int64), keys

    def probes(
        self,
        probes: npt.NDArray[np.int64],
        at: npt.NDArray[np.int64],
        codes: npt.NDArray[np.int64],
        numbers: npt.NDArray[np.float64],
    ) -> Iterator[tuple[int, npt.NDArray[np.bool_], npt.NDArray[np.int64], list[Key]]]:
        """Per probe: its rows, each row's bucket and each bucket's (probe, period key,
        group) as `Totals` keys them."""
        for probe in np.unique(probes).tolist():
            mine = probes == probe
            group, found = self.groups(probe, codes[mine], numbers[mine])
            bucket, keys = self.buckets(probe, at[mine], group, len(found))
            yield probe, mine, bucket, [(probe, period, found[g]) for period, g in keys]

    def facts(self, rows: Rows) -> None:
        fa, values = rows.facts, rows.fact_values
        keep = _holds(self.window, fa[:, 2])
        fa, values = fa[keep], values[keep]
        sums = self.folded.totals.sums
        for _, mine, bucket, keys in self.probes(fa[:, 1], fa[:, 2], fa[:, 3], values[:, 1]):
            amounts = values[mine, 0]
            integral = bool(np.all(amounts == np.floor(amounts)))
            if integral and float(np.abs(amounts).sum()) < _EXACT:
                # integers below 2**53 add exactly in float64, in any order
                totals = np.bincount(bucket, weights=amounts, minlength=len(keys)).tolist()
                for key, total in zip(keys, totals, strict=True):
                    add_exact(sums.setdefault(key, []), total)
                continue
            for b, amount in zip(bucket.tolist(), amounts.tolist(), strict=True):
                add_exact(sums.setdefault(keys[b], []), amount)

    def rates(self, rows: Rows) -> None:
        ra, numbers = rows.rates, rows.rate_groups
        keep = _holds(self.window, ra[:, 2])
        ra, numbers = ra[keep], numbers[keep]
        cohorts = self.folded.totals.cohorts
        for probe, mine, bucket, keys in self.probes(ra[:, 1], ra[:, 2], ra[:, 4], numbers):
            source, dest = ra[mine, 2], ra[mine, 3]
            reached = dest != NONE
            limit = self.reducer.within[probe]
            if limit is not None:
                reached &= dest - source <= limit
            size = len(keys)
            totals = np.bincount(bucket, minlength=size).tolist()
            hits = np.bincount(bucket[reached], minlength=size).tolist()
            for key, total, hit in zip(keys, totals, hits, strict=True):
                cohort = cohorts.setdefault(key, [0, 0])
                cohort[0] += total
                cohort[1] += hit


def entry_lines(
    stages: Sequence[dict[str, Any]],
    clocks: Sequence[dict[str, Any]],
    violations: Sequence[dict[str, Any]],
) -> Folded:
    """Entries the reference built as dicts (`lead_entries`), as a `Folded`'s lines; the
    totals are left empty for the caller."""
    folded = Folded(Totals())
    for section, entries in zip(SECTIONS, (stages, clocks, violations), strict=True):
        folded.entries[section] = [(entry["lead_id"], compact(entry)) for entry in entries]
    folded.severities = {v["severity"] for v in violations}
    return folded
