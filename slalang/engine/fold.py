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

from slalang import numbers as n
from slalang.engine.batch import MISSING, Batch
from slalang.engine.compile import NONE
from slalang.engine.deadlines import deadlines, elapsed, lateness
from slalang.engine.kernel import Kernel, Rows
from slalang.evaluate.aggregate import STATUSES, Reducer, Totals, Window, add_exact
from slalang.evaluate.model import ClockRecord, HandoffRecord, Sla, Value
from slalang.evaluate.periods import Periods
from slalang.evaluate.report import Lateness, breach_entry, handoff_entry
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
    """Instants as the report writes them (`iso`) but for the final `Z`, which the
    caller's template adds: formatted by numpy all at once."""
    texts: list[str] = np.datetime_as_string(instants.astype("datetime64[s]"), unit="s").tolist()
    return texts


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


_MET, _LATE, _MISSED, _PENDING, _AT_RISK, _CANCELLED, _EXEMPT = range(len(STATUSES))
assert STATUSES[_MISSED] == "missed" and STATUSES[_EXEMPT] == "exempt"


class _Judged:
    """What `LeadReplay.judge` says of each clock row, as columns (`NONE`: None)."""

    def __init__(self, size: int) -> None:
        self.due = np.full(size, NONE, np.int64)
        self.status = np.zeros(size, np.int64)  # index into STATUSES
        self.elapsed = np.zeros(size, np.int64)
        self.late_by = np.full(size, NONE, np.int64)
        self.paused_seconds = np.zeros(size, np.int64)
        self.paused = np.zeros(size, bool)

    def plain(
        self,
        rows: npt.NDArray[np.int64],
        ck: npt.NDArray[np.int64],
        sla: Sla,
        goal: int,
        as_of: int,
    ) -> None:
        """Clocks of one SLA and goal (-1: none) that never paused."""
        start, stopped, cancelled = ck[rows, 4], ck[rows, 5], ck[rows, 6]
        if goal < 0:  # exempt: `stopped or cancelled or as_of`, as the reference writes it
            end = np.where(
                (stopped != NONE) & (stopped != 0),
                stopped,
                np.where((cancelled != NONE) & (cancelled != 0), cancelled, as_of),
            )
            self.elapsed[rows] = np.maximum(0, end - start)
            self.status[rows] = _EXEMPT
            return
        rule = sla.goals[goal]
        due = deadlines(rule, start)
        stops = stopped != NONE
        cancels = ~stops & (cancelled != NONE)
        end = np.where(stops, stopped, np.where(cancels, cancelled, as_of))
        spent = elapsed(rule, start, end)
        status = np.where(
            stops,
            np.where(stopped <= due, _MET, _LATE),
            np.where(cancels, np.where(cancelled > due, _MISSED, _CANCELLED), _PENDING),
        )
        status = np.where(~stops & ~cancels & (as_of > due), _MISSED, status)
        if sla.warn is not None:
            pending = np.flatnonzero(status == _PENDING)
            allowed = elapsed(rule, start[pending], due[pending])
            risky = pending[spent[pending] > sla.warn * allowed]
            status[risky] = _AT_RISK
        late = (status == _LATE) | (status == _MISSED)
        self.due[rows] = due
        self.status[rows] = status
        self.elapsed[rows] = spent
        self.late_by[rows] = np.where(late, end - due, NONE)

    def record(self, row: int, record: ClockRecord) -> None:
        """A clock the reference judged."""
        self.due[row] = NONE if record.due_at is None else record.due_at
        self.status[row] = STATUSES.index(record.status)
        self.elapsed[row] = record.elapsed_seconds
        self.late_by[row] = NONE if record.late_by_seconds is None else record.late_by_seconds
        self.paused_seconds[row] = record.paused_seconds
        self.paused[row] = record.paused


def _nullable(instants: npt.NDArray[np.int64]) -> list[str]:
    """Instants as JSON values: quoted report instants, `null` for `NONE`."""
    missing = instants == NONE
    texts = iso_texts(np.where(missing, 0, instants))
    return [
        "null" if gone else f'"{text}Z"' for gone, text in zip(missing.tolist(), texts, strict=True)
    ]


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
        ids = batch.lead_ids
        # one search over all the ids: almost always none needs escaping
        plain = not _PLAIN.search("".join(ids))
        self.lead_json = [f'"{i}"' for i in ids] if plain else [quoted(i) for i in ids]
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
        self.as_of = as_of
        self.runtime_slas = kernel.runtime.slas
        self.sla_text = [quoted(sla["name"]) for sla in self.slas]
        self.goal_text = [
            [*(quoted(goal.text) for goal in sla.goals), "null"] for sla in self.runtime_slas
        ]

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
        lead_ids, stage_kind, lead = self.batch.lead_ids, self.stage_kind, self.lead_json
        self.folded.entries["stages"].extend(
            (lead_ids[i], f'{{"lead_id": {lead[i]}, {stage_kind[k]}, "at": "{at}Z"}}')
            for i, k, at in zip(leads, kinds, iso_texts(st[:, 3]), strict=True)
        )

    # ---- clocks and handoffs: the reference's own judge and entries -------------------------

    def clocks(self, rows: Rows, violations: list[Violation]) -> None:
        """Judge, count and write the clocks started inside the window, in report order
        (lead, start, SLA name, cycle); late and missed ones are violations too."""
        ck = rows.clocks
        kept = _holds(self.window, ck[:, 4])
        if not kept.any():
            return
        judged = self.judge(rows, kept)
        self.count_clocks(rows, kept, judged)
        rows_kept = np.flatnonzero(kept)
        order = rows_kept[
            np.lexsort((ck[kept, 2], self.sla_rank[ck[kept, 1]], ck[kept, 4], ck[kept, 0]))
        ]
        self.clock_lines(ck, order, judged, violations)

    def judge(self, rows: Rows, kept: npt.NDArray[np.bool_]) -> _Judged:
        """Every kept clock's deadline, status and times, as `LeadReplay.judge` gives
        them: vectorised per SLA and goal, and by the reference itself for a clock that
        ever met a pause or resume line (a few)."""
        ck = rows.clocks
        judged = _Judged(len(ck))
        marked = np.zeros(len(ck), bool)
        marked[rows.pauses[:, 0]] = True
        plain = kept & ~marked
        sla, goal = ck[:, 1], ck[:, 3]
        for s, g in {(int(a), int(b)) for a, b in zip(sla[plain], goal[plain], strict=True)}:
            judged.plain(
                np.flatnonzero(plain & (sla == s) & (goal == g)),
                ck,
                self.runtime_slas[s],
                g,
                self.as_of,
            )
        subset = np.flatnonzero(kept & marked).tolist()
        judge = self.decode.replay.judge
        for row, clock in zip(subset, self.decode.clocks(rows, subset), strict=True):
            judged.record(row, judge(clock))
        return judged

    def count_clocks(self, rows: Rows, kept: npt.NDArray[np.bool_], judged: _Judged) -> None:
        """`Reducer.count_clock` for every kept clock: statuses, response times of the
        stopped ones, and the compliance buckets of the decided ones."""
        ck = rows.clocks
        totals = self.folded.totals
        sla, status = ck[kept, 1], judged.status[kept]
        spent = judged.elapsed[kept]
        for s in np.unique(sla).tolist():
            name = self.slas[s]["name"]
            mine = sla == s
            counts = np.bincount(status[mine], minlength=len(STATUSES)).tolist()
            for code, found in enumerate(counts):
                if found:
                    key = (name, STATUSES[code])
                    totals.statuses[key] = totals.statuses.get(key, 0) + found
            stopped = mine & ((status == _MET) | (status == _LATE))
            if stopped.any():
                totals.elapsed.setdefault(name, []).extend(spent[stopped].tolist())
            decided = mine & (status <= _MISSED)
            if not decided.any():
                continue
            met = (status[decided] == _MET).astype(np.int64)
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

    def clock_lines(
        self,
        ck: npt.NDArray[np.int64],
        order: npt.NDArray[np.int64],
        judged: _Judged,
        violations: list[Violation],
    ) -> None:
        """The clock entries, as `compact(clock_entry(…))` writes them, and the breaches."""
        lead_ids, lead = self.batch.lead_ids, self.lead_json
        out = self.folded.entries["clocks"]
        started = iso_texts(ck[order, 4])
        due = _nullable(judged.due[order])
        stopped = _nullable(ck[order, 5])
        columns = zip(
            order.tolist(),
            ck[order, 0].tolist(),
            ck[order, 1].tolist(),
            ck[order, 2].tolist(),
            ck[order, 3].tolist(),
            started,
            due,
            stopped,
            judged.status[order].tolist(),
            judged.elapsed[order].tolist(),
            judged.late_by[order].tolist(),
            judged.paused_seconds[order].tolist(),
            judged.paused[order].tolist(),
            strict=True,
        )
        breaches: list[int] = []
        for (
            row,
            i,
            s,
            cycle,
            g,
            start,
            due_at,
            stop,
            code,
            spent,
            late,
            pause,
            paused,
        ) in columns:
            goal = self.goal_text[s][g]
            late_text = "null" if late == NONE else str(late)
            out.append(
                (
                    lead_ids[i],
                    f'{{"sla": {self.sla_text[s]}, "lead_id": {lead[i]}, "cycle": {cycle}, '
                    f'"goal": {goal}, "started_at": "{start}Z", "due_at": {due_at}, '
                    f'"stopped_at": {stop}, "status": "{STATUSES[code]}", '
                    f'"elapsed_seconds": {spent}, "late_by_seconds": {late_text}, '
                    f'"paused_seconds": {pause}, "paused": {"true" if paused else "false"}}}',
                )
            )
            if code in (_LATE, _MISSED):
                breaches.append(row)
        words = self.late_words(ck, breaches, judged)
        for row, late_words in zip(breaches, words, strict=True):
            s, g, who = int(ck[row, 1]), int(ck[row, 3]), int(ck[row, 0])
            sla = self.slas[s]
            record = ClockRecord(
                sla=sla["name"],
                cycle=int(ck[row, 2]),
                goal=self.runtime_slas[s].goals[g].text if g >= 0 else None,
                started_at=int(ck[row, 4]),
                due_at=int(judged.due[row]),
                stopped_at=None if ck[row, 5] == NONE else int(ck[row, 5]),
                status=STATUSES[judged.status[row]],
                elapsed_seconds=int(judged.elapsed[row]),
                late_by_seconds=int(judged.late_by[row]),
                groups=(),
                paused_seconds=int(judged.paused_seconds[row]),
                paused=bool(judged.paused[row]),
            )
            entry = breach_entry(sla, lead_ids[who], record, late_words)
            violations.append(_violation(who, entry, len(violations)))

    def late_words(
        self, ck: npt.NDArray[np.int64], breaches: list[int], judged: _Judged
    ) -> list[str]:
        """`Lateness.words` of each breached clock, its business time counted for all
        the breaches of one goal at once."""
        words = [""] * len(breaches)
        rows = np.array(breaches, np.int64)
        pairs = ck[rows][:, [1, 3]].tolist() if len(rows) else []
        for s, g in sorted({(s, g) for s, g in pairs}):
            mine = np.flatnonzero((ck[rows, 1] == s) & (ck[rows, 3] == g))
            wall = judged.late_by[rows[mine]]
            goal = self.runtime_slas[s].goals[g].text if g >= 0 else None
            found = self.lateness.business(self.slas[s]["name"], goal)
            if found is None:
                for i, late in zip(mine.tolist(), wall.tolist(), strict=True):
                    words[i] = n.lateness(late)
                continue
            due = judged.due[rows[mine]]
            days, seconds = lateness(found[1], found[0], due, due + wall)
            for i, late, day, second in zip(
                mine.tolist(), wall.tolist(), days.tolist(), seconds.tolist(), strict=True
            ):
                words[i] = n.lateness(late, (day, second))
        return words

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
        return self.field_groups(name, codes, numbers)

    def field_groups(
        self, name: str, codes: npt.NDArray[np.int64], numbers: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.int64], list[Value]]:
        """Each row's value of field `name` (a group) as an index into the returned values."""
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
