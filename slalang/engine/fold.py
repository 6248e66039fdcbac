"""The kernel's records → the report's pieces, without a Python object per lead.

The reference path turns every lead into a `LeadResult`, folds it with `Reducer.add` and
builds each report entry as a dict for `json` to encode: about 2 µs an event, fifteen
times the kernel's loop. Here the kernel's arrays are folded column by column instead:

- stage, clock and violation entries are written as JSON text a column at a time
  (`slalang.engine.lines`: the reference's own entry cut around its varying values, the
  values as small tables of text and each row's index into them, one Arrow `take`
  writing a block of entries) and stay Arrow text; the records they are written from
  are gathered over all runs of leads and written at the end, a block at a time;
- target counts, sums and cohorts are bucketed by (probe, period, group) with numpy, sums
  kept exact as `Totals` needs (integral amounts summed in float64 are exact below 2**53;
  anything else goes through `add_exact` one amount at a time);
- clocks are judged with numpy, pauses included (`slalang.engine.clocks`), and a
  breach's words are put together from each distinct part's (`slalang.engine.words`).

What comes out is what a partition of the columnar engine sends back: `Totals` with counts
only, and the stage, clock and violation entries as `Lines` in report order.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from slalang.engine.batch import MISSING, Batch
from slalang.engine.clocks import LATE, MET, MISSED, Judged, judge
from slalang.engine.compile import NONE
from slalang.engine.deadlines import lateness
from slalang.engine.kernel import Kernel, Rows
from slalang.engine.lines import (
    TEXT,
    Lines,
    Piece,
    Texts,
    distinct_rows,
    fill,
    instant_pieces,
    integers,
    lines,
    quote,
    strings,
    template,
)
from slalang.engine.words import latenesses, messages
from slalang.evaluate.aggregate import STATUSES, Reducer, Totals, Window, add_exact
from slalang.evaluate.model import ClockRecord, HandoffRecord, Value
from slalang.evaluate.periods import Periods
from slalang.evaluate.report import (
    Lateness,
    breach_entry,
    clock_entry,
    handoff_entry,
)
from slalang.render.report.json_text import compact

SECTIONS = ("stages", "clocks", "violations")

Key = tuple[int, str, Value]
"""A bucket of `Totals`: (probe, period key, group)."""

_EXACT = float(2**53)

Part = tuple[npt.NDArray[np.int64], pa.Array]
"""Entries of a run of leads: each one's lead index and JSON text."""


@dataclass(slots=True)
class Folded:
    """A batch's contribution to the report: counts, entries and their severities."""

    totals: Totals
    entries: dict[str, Lines] = field(default_factory=dict)
    severities: set[str] = field(default_factory=set)


def fold(
    plan: Mapping[str, Any], kernel: Kernel, batch: Batch, as_of: int, window: Window
) -> Folded:
    """Run the kernel over `batch` and fold its records (see the module doc)."""
    folder = _Folder(plan, kernel, batch, as_of, window)
    for rows in kernel.rows(batch, as_of):
        folder.add(rows)
    return folder.finish()


def _distinct(keys: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """`np.unique(keys, return_inverse=True)`, by counting rather than sorting when the
    keys are small and not negative (probes, dictionary codes, buckets almost always)."""
    if not len(keys) or keys.min() < 0 or keys.max() >= 4 * len(keys) + 1024:
        distinct, inverse = np.unique(keys, return_inverse=True)
        return distinct, inverse.astype(np.int64)
    present = np.bincount(keys) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present), rank[keys]


def _inside(window: Window, instants: npt.NDArray[np.int64]) -> slice | npt.NDArray[np.bool_]:
    """What selects the rows of `instants` inside the window: all of them (a slice, so
    the rows are not copied) when it is not bounded."""
    if window.start is None and window.end is None:
        return slice(None)
    return _holds(window, instants)


def _holds(window: Window, instants: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    keep = np.ones(len(instants), bool)
    if window.start is not None:
        keep &= instants >= window.start
    if window.end is not None:
        keep &= instants <= window.end
    return keep


_CLOCK_FIELDS = ClockRecord._fields
_STAGE_HOLES = [("lead_id",), ("at",)]
_CLOCK_HOLES = [
    ("lead_id",),
    ("cycle",),
    ("started_at",),
    ("due_at",),
    ("stopped_at",),
    ("status",),
    ("elapsed_seconds",),
    ("late_by_seconds",),
    ("paused_seconds",),
    ("paused",),
]
_BREACH_HOLES = [
    ("lead_id",),
    ("at",),
    ("message",),
    ("details", "status"),
    ("details", "cycle"),
    ("details", "due_at"),
    ("details", "stopped_at"),
    ("details", "late_by_seconds"),
]
_HANDOFF_HOLES = [("lead_id",), ("at",)]
_STATUS_TEXT = [f'"{status}"' for status in STATUSES]


class _Shape:
    """What folding any batch of a plan needs first: its entries' templates, the orders of
    its SLAs and rules, the calendars that count lateness (with the years they generated
    and the holidays they loaded). Made once per kernel, not once per partition."""

    def __init__(self, kernel: Kernel) -> None:
        plan = kernel.plan
        names = [stage["name"] for stage in plan["stages"]]
        self.stage_names = names
        # stage index s, skipped (2s) or entered (2s + 1)
        self.stage_templates = [
            template({"lead_id": "", "stage": name, "kind": kind, "at": ""}, _STAGE_HOLES)
            for name in names
            for kind in ("skipped", "entered")
        ]
        self.slas = plan["slas"]
        # clocks are listed by SLA name within a start instant: each SLA's rank by name
        by_name = sorted(range(len(self.slas)), key=lambda i: self.slas[i]["name"])
        self.sla_rank = np.argsort(np.array(by_name, np.int64)).astype(np.int64)
        # violations are listed by rule name within a lead and instant
        rules = sorted({sla["name"] for sla in self.slas} | set(names))
        self.sla_rule = np.array([rules.index(sla["name"]) for sla in self.slas], np.int64)
        self.stage_rule = np.array([rules.index(name) for name in names], np.int64)
        self.handoffs = {s["name"]: s["handoff"] for s in plan["stages"] if s["handoff"]}
        # handoff entry templates, made on first sight (see `_Folder.handoff_kind`)
        self.handoff_templates: dict[tuple[int, int, int], int] = {}
        self.handoff_texts: list[list[str]] = []
        self.lateness = Lateness(plan)
        self.runtime_slas = kernel.runtime.slas
        # clocks of SLA s and goal g (-1: none) are of kind s * (goals + 1) + g + 1
        self.goals = 1 + max((len(sla.goals) for sla in self.runtime_slas), default=0)
        self.clock_templates = []
        self.goal_texts: list[str | None] = []
        for sla in self.runtime_slas:
            texts = [None, *(goal.text for goal in sla.goals)]
            texts += [None] * (self.goals - len(texts))
            self.goal_texts += texts
            for goal in texts:
                entry = clock_entry("", SimpleNamespace(**dict.fromkeys(_CLOCK_FIELDS)))
                entry.update(sla=sla.name, goal=goal)
                self.clock_templates.append(template(entry, _CLOCK_HOLES))
        self.breach_templates = [
            template(
                breach_entry(sla, "", SimpleNamespace(**dict.fromkeys(_CLOCK_FIELDS, 0)), ""),
                _BREACH_HOLES,
            )
            for sla in self.slas
        ]


_last_shape: list[tuple[Kernel, _Shape]] = []


def _shape(kernel: Kernel) -> _Shape:
    """The `_Shape` of `kernel`, kept for the next batch of the same kernel (the
    partitions a process folds)."""
    if not _last_shape or _last_shape[0][0] is not kernel:
        _last_shape[:] = [(kernel, _Shape(kernel))]
    return _last_shape[0][1]


@dataclass(frozen=True, slots=True)
class _ClockRun:
    """The kernel's clock records of runs of leads (see `Rows`)."""

    clocks: npt.NDArray[np.int64]
    pauses: npt.NDArray[np.int64]
    clock_codes: npt.NDArray[np.int64]
    clock_numbers: npt.NDArray[np.float64]

    @staticmethod
    def joined(runs: Sequence[_ClockRun]) -> _ClockRun:
        """The records of consecutive runs as one run: a pause line names its clock by its
        row, so each run's are moved past the clocks of the runs before it."""
        if not runs:
            return _ClockRun(
                np.zeros((0, 7), np.int64),
                np.zeros((0, 3), np.int64),
                np.zeros((0, 0), np.int64),
                np.zeros((0, 0)),
            )
        before = np.cumsum([0] + [len(run.clocks) for run in runs[:-1]])
        pauses = [
            run.pauses + np.array([shift, 0, 0], np.int64)
            for run, shift in zip(runs, before.tolist(), strict=True)
        ]
        return _ClockRun(
            np.concatenate([run.clocks for run in runs]),
            np.concatenate(pauses),
            np.concatenate([run.clock_codes for run in runs]),
            np.concatenate([run.clock_numbers for run in runs]),
        )


class _Folder:
    def __init__(
        self, plan: Mapping[str, Any], kernel: Kernel, batch: Batch, as_of: int, window: Window
    ) -> None:
        self.plan = plan
        self.batch = batch
        self.layout = kernel.layout
        self.window = window
        self.reducer = Reducer(plan, window)
        self.folded = Folded(Totals())
        self.parts: dict[str, list[Part]] = {s: [] for s in SECTIONS}
        # what the stage and clock entries are written from (see `stage_lines`, `clock_lines`)
        self.staged: list[npt.NDArray[np.int64]] = [np.zeros((0, 3), np.int64)]
        self.clocked: list[npt.NDArray[np.int64]] = [np.zeros((0, 11), np.int64)]
        self.clock_runs: list[_ClockRun] = []
        # what the violations are written from: breached clocks (see `breaches`), handoffs
        self.breached: list[npt.NDArray[np.int64]] = [np.zeros((0, 9), np.int64)]
        self.handed: list[npt.NDArray[np.int64]] = [np.zeros((0, 5), np.int64)]
        self._lead_text: tuple[pa.Array, str] | None = None
        self.shape = _shape(kernel)  # what folding any batch of the plan needs, made once
        self.as_of = as_of

    def leads(self, index: npt.NDArray[np.int64]) -> list[Piece]:
        """The JSON strings of leads `index` (not empty), as pieces of an entry: of the
        batch's lead ids (made on first use), the run of them `index` spans."""
        if self._lead_text is None:
            self._lead_text = strings(self.batch.lead_ids)
        ids, mark = self._lead_text
        low, high = int(index.min()), int(index.max())
        return [mark, Texts(ids.slice(low, high - low + 1), index - low), mark]

    def add(self, rows: Rows) -> None:
        self.stages(rows.stages)
        self.clock_runs.append(
            _ClockRun(rows.clocks, rows.pauses, rows.clock_codes, rows.clock_numbers)
        )
        ho = rows.handoffs
        self.handed.append(ho[_inside(self.window, ho[:, 2])])
        self.facts(rows)
        self.rates(rows)

    def finish(self) -> Folded:
        """The folded batch, the entries of all its runs of leads written at once, a block
        of rows at a time (a breach's words cost a few calls whatever their number)."""
        self.clocks(_ClockRun.joined(self.clock_runs))
        for section, rows, write in (
            ("stages", np.concatenate(self.staged), self.stage_lines),
            ("clocks", np.concatenate(self.clocked), self.clock_lines),
        ):
            for start in range(0, len(rows), _BLOCK):
                block = rows[start : start + _BLOCK]
                self.parts[section].append((block[:, 0], write(block)))
        found = [
            self.breaches(np.concatenate(self.breached)),
            self.handoff_records(np.concatenate(self.handed)),
        ]
        self.violations([part for part in found if part is not None])
        lead_ids = self.batch.lead_ids
        self.folded.entries = {s: lines(lead_ids, self.parts[s]) for s in SECTIONS}
        return self.folded

    def violations(self, parts: list[tuple[npt.NDArray[np.int64], ...]]) -> None:
        """Breaches and handoffs in report order: by lead, instant and
        rule, then in the order the reference lists them (breaches in clock order, then
        handoffs), as its stable sort leaves them."""
        if not parts:
            return
        leads, at, rule = (np.concatenate([p[i] for p in parts]) for i in range(3))
        text = pa.chunked_array([p[3] for p in parts], TEXT)
        order = np.lexsort((np.arange(len(leads)), rule, at, leads))
        self.parts["violations"].append((leads[order], text.take(order).combine_chunks()))

    # ---- stages --------------------------------------------------------------------------

    def stages(self, st: npt.NDArray[np.int64]) -> None:
        """Keep the stage records inside the window as (lead, kind, instant) rows."""
        st = st[_inside(self.window, st[:, 3])]
        self.staged.append(np.stack([st[:, 0], st[:, 1] * 2 + st[:, 2], st[:, 3]], axis=1))

    def stage_lines(self, st: npt.NDArray[np.int64]) -> pa.Array:
        """The stage entries of rows (lead, kind, instant), as `compact` writes them."""
        return fill(
            self.shape.stage_templates, st[:, 1], [self.leads(st[:, 0]), instant_pieces(st[:, 2])]
        )

    # ---- clocks and handoffs -------------------------------------------------------------

    def clocks(self, rows: _ClockRun) -> None:
        """Judge, count and keep the clocks started inside the window, in report order
        (lead, start, SLA name, cycle), for `clock_lines`; the late and missed ones are
        kept for `breaches`. All runs of leads at once: judging costs a few numpy steps per
        goal and pause line, whatever the number of clocks."""
        ck = rows.clocks
        kept = _holds(self.window, ck[:, 4])
        if not kept.any():
            return
        judged = judge(self.shape.runtime_slas, ck, rows.pauses, np.flatnonzero(kept), self.as_of)
        self.count_clocks(rows, kept, judged)
        rows_kept = np.flatnonzero(kept)
        order = rows_kept[
            np.lexsort((ck[kept, 2], self.shape.sla_rank[ck[kept, 1]], ck[kept, 4], ck[kept, 0]))
        ]
        self.clocked.append(self.clock_rows(ck, order, judged))
        status = judged.status[order]
        late = order[(status == LATE) | (status == MISSED)]
        columns = [ck[:, 0], ck[:, 1], ck[:, 3], ck[:, 2], judged.due, ck[:, 5], judged.status]
        columns += [judged.late_by, judged.paused_seconds]
        self.breached.append(np.stack([column[late] for column in columns], axis=1))

    def count_clocks(self, rows: _ClockRun, kept: npt.NDArray[np.bool_], judged: Judged) -> None:
        """`Reducer.count_clock` for every kept clock: statuses, response times of the
        stopped ones, and the compliance buckets of the decided ones."""
        ck = rows.clocks
        totals = self.folded.totals
        sla, status = ck[kept, 1], judged.status[kept]
        spent = judged.elapsed[kept]
        for s in np.unique(sla).tolist():
            name = self.shape.slas[s]["name"]
            mine = sla == s
            counts = np.bincount(status[mine], minlength=len(STATUSES)).tolist()
            for code, found in enumerate(counts):
                if found:
                    key = (name, STATUSES[code])
                    totals.statuses[key] = totals.statuses.get(key, 0) + found
            stopped = mine & ((status == MET) | (status == LATE))
            if stopped.any():
                totals.elapsed.setdefault(name, []).extend(spent[stopped].tolist())
            decided = mine & (status <= MISSED)
            if not decided.any():
                continue
            met = (status[decided] == MET).astype(np.int64)
            starts = ck[kept, 4][decided]
            fields = self.layout.sla_groups[s]
            for probe, by in self.reducer.compliance.get(name, ()):
                group: npt.NDArray[np.int64] = np.zeros(len(starts), np.int64)
                found_groups: list[Value] = [None]
                if by is not None and by in fields:
                    j = fields.index(by)
                    group, found_groups = self.field_groups(
                        by, rows.clock_codes[kept, j][decided], rows.clock_numbers[kept, j][decided]
                    )
                bucket, keys = self.buckets(probe, starts, group, len(found_groups))
                totals_per = np.bincount(bucket, minlength=len(keys)).tolist()
                met_per = np.bincount(bucket, weights=met, minlength=len(keys)).tolist()
                for (period, g), total, hits in zip(keys, totals_per, met_per, strict=True):
                    cell = totals.compliance.setdefault((probe, period, found_groups[g]), [0, 0])
                    cell[0] += total
                    cell[1] += int(hits)

    def clock_rows(
        self, ck: npt.NDArray[np.int64], order: npt.NDArray[np.int64], judged: Judged
    ) -> npt.NDArray[np.int64]:
        """The clocks `order` and their judgements, as rows for `clock_lines`."""
        columns = [ck[:, 0], ck[:, 1] * self.shape.goals + ck[:, 3] + 1, ck[:, 2], ck[:, 4]]
        columns += [judged.due, ck[:, 5], judged.status, judged.elapsed, judged.late_by]
        columns += [judged.paused_seconds, judged.paused.astype(np.int64)]
        return np.stack([column[order] for column in columns], axis=1)

    def clock_lines(self, rows: npt.NDArray[np.int64]) -> pa.Array:
        """The clock entries of `clock_rows`, as `compact(clock_entry(…))` writes them."""
        lead, kinds, cycle, start, due, stopped, status, spent, late, paused, still = rows.T
        values: list[Piece | list[Piece]] = [
            self.leads(lead),
            integers(cycle),
            instant_pieces(start),
            instant_pieces(due, due == NONE),
            instant_pieces(stopped, stopped == NONE),
            Texts(pa.array(_STATUS_TEXT, TEXT), status),
            integers(spent),
            integers(late, late == NONE),
            integers(paused),
            Texts(pa.array(["false", "true"], TEXT), still),
        ]
        return fill(self.shape.clock_templates, kinds, values)

    def breaches(self, br: npt.NDArray[np.int64]) -> tuple[npt.NDArray[np.int64], ...] | None:
        """The violations of the late and missed clocks `br` (rows of lead, SLA, goal,
        cycle, due, stopped, status, late by, paused seconds; in clock order), as
        `compact(breach_entry(…))` writes them: (lead, instant, rule rank, text)."""
        if not len(br):
            return None
        lead, sla, goal, cycle, due, stopped, status, late, paused = br.T
        self.folded.severities.update(
            self.shape.slas[s]["severity"] for s in np.unique(sla).tolist()
        )
        words = self.late_words(sla, goal, due, late)
        kind = sla * self.shape.goals + goal + 1  # as clock entries number their goals
        said = messages(status, kind, self.shape.goal_texts, paused, words)
        at = instant_pieces(due)
        values: list[Piece | list[Piece]] = [
            self.leads(lead),
            at,
            quote(said),
            Texts(pa.array(_STATUS_TEXT, TEXT), status),
            integers(cycle),
            at,
            instant_pieces(stopped, stopped == NONE),
            integers(late),
        ]
        text = fill(self.shape.breach_templates, sla, values)
        return lead, due, self.shape.sla_rule[sla], text

    def late_words(
        self,
        sla: npt.NDArray[np.int64],
        goal: npt.NDArray[np.int64],
        due: npt.NDArray[np.int64],
        wall: npt.NDArray[np.int64],
    ) -> pa.Array:
        """`Lateness.words` of each breached clock: the business time of a goal's breaches
        counted at once, the words of all of them written at once."""
        days = np.zeros(len(sla), np.int64)
        seconds = np.zeros(len(sla), np.int64)
        business = np.zeros(len(sla), bool)
        for s, g in distinct_rows(np.stack([sla, goal], axis=1))[0].tolist():
            found = self.shape.lateness.business(
                self.shape.slas[s]["name"], self.shape.runtime_slas[s].goals[g].text
            )
            if found is not None:
                mine = np.flatnonzero((sla == s) & (goal == g))
                end = due[mine] + wall[mine]
                days[mine], seconds[mine] = lateness(found[1], found[0], due[mine], end)
                business[mine] = True
        return latenesses(wall, days, seconds, business)

    def handoff_records(
        self, ho: npt.NDArray[np.int64]
    ) -> tuple[npt.NDArray[np.int64], ...] | None:
        """The violations of incomplete handoffs (in record order), as
        `compact(handoff_entry(…))` writes them: (lead, instant, rule rank, text)."""
        if not len(ho):
            return None
        distinct, inverse = distinct_rows(ho[:, [1, 3, 4]])
        kinds = np.array([self.handoff_kind(*key) for key in distinct.tolist()], np.int64)
        stages = {self.shape.stage_names[stage] for stage in distinct[:, 0].tolist()}
        self.folded.severities.update(self.shape.handoffs[stage]["severity"] for stage in stages)
        values = [self.leads(ho[:, 0]), instant_pieces(ho[:, 2])]
        text = fill(self.shape.handoff_texts, kinds[inverse], values)
        return ho[:, 0], ho[:, 2], self.shape.stage_rule[ho[:, 1]], text

    def handoff_kind(self, stage: int, missing: int, failed: int) -> int:
        """The index of the entry template of a handoff at `stage` that lacked the fields
        and failed the checks of these bits (made on first sight, kept for the next
        batch)."""
        key = (stage, missing, failed)
        found = self.shape.handoff_templates.get(key)
        if found is None:
            required, checks = self.layout.handoff_required, self.layout.handoff_checks
            record = HandoffRecord(
                self.shape.stage_names[stage],
                0,
                tuple(f for bit, f in enumerate(required[stage]) if missing >> bit & 1),
                tuple(c for bit, c in enumerate(checks[stage]) if failed >> bit & 1),
            )
            entry = handoff_entry(self.shape.handoffs[record.stage], "", record)
            found = self.shape.handoff_templates[key] = len(self.shape.handoff_texts)
            self.shape.handoff_texts.append(template(entry, _HANDOFF_HOLES))
        return found

    # ---- target counts ---------------------------------------------------------------------

    def groups(
        self,
        probe: int,
        mine: npt.NDArray[np.int64],
        codes: npt.NDArray[np.int64],
        numbers: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.int64], list[Value]]:
        """Each row `mine` of the probe's group as an index into the returned values (as
        the reference reads them: a dictionary value, a float, or None where the field was
        not set); the rows' fields are read only when the probe is grouped."""
        name = self.layout.probe_by.get(probe)
        if name is None:
            return np.zeros(len(mine), np.int64), [None]
        return self.field_groups(name, codes[mine], numbers[mine])

    def field_groups(
        self, name: str, codes: npt.NDArray[np.int64], numbers: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], list[Value]]:
        """Each row's value of field `name` (a group) as an index into the returned values."""
        column = self.batch.columns[name]
        if column.encoded:
            distinct, inverse = _distinct(codes - MISSING)
            distinct += MISSING
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
        distinct, inverse = _distinct(period * width + group)
        keys = [(listed[k // width].key, k % width) for k in distinct.tolist()]
        return inverse.astype(np.int64), keys

    def probes(
        self,
        probes: npt.NDArray[np.int64],
        at: npt.NDArray[np.int64],
        codes: npt.NDArray[np.int64],
        numbers: npt.NDArray[np.float64],
    ) -> Iterator[tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64], list[Key]]]:
        """Per probe: its rows (in order), each row's bucket and each bucket's (probe,
        period key, group) as `Totals` keys them."""
        # probes are few: a stable sort of them as 16-bit numbers is numpy's radix sort
        small = len(probes) and probes.min() >= 0 and probes.max() < 1 << 16
        order = np.argsort(probes.astype(np.uint16) if small else probes, kind="stable")
        cuts = np.flatnonzero(np.diff(probes[order])) + 1
        for mine in np.split(order, cuts) if len(order) else []:
            probe = int(probes[mine[0]])
            group, found = self.groups(probe, mine, codes, numbers)
            bucket, keys = self.buckets(probe, at[mine], group, len(found))
            yield probe, mine, bucket, [(probe, period, found[g]) for period, g in keys]

    def facts(self, rows: Rows) -> None:
        fa, values = rows.facts, rows.fact_values
        keep = _inside(self.window, fa[:, 2])
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
        keep = _inside(self.window, ra[:, 2])
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


_BLOCK = 1 << 14
"""Entries written at a time. What writing them holds besides their text (each row's
indexes, the tables they index) is a few times the block: 65,536 entries a block made
the peak of folding 1M events 41 MB higher than the 16,384 of now (RSS), for no gain."""


def entry_lines(
    stages: Sequence[dict[str, Any]],
    clocks: Sequence[dict[str, Any]],
    violations: Sequence[dict[str, Any]],
) -> Folded:
    """Entries the reference built as dicts (`lead_entries`), as a `Folded`'s lines; the
    totals are left empty for the caller."""
    folded = Folded(Totals())
    for section, entries in zip(SECTIONS, (stages, clocks, violations), strict=True):
        texts = pa.array([compact(entry) for entry in entries], TEXT)
        leads = [entry["lead_id"] for entry in entries]
        folded.entries[section] = Lines(leads, np.arange(len(leads)), pa.chunked_array([texts]))
    folded.severities = {v["severity"] for v in violations}
    return folded
