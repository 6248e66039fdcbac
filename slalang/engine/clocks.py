"""The kernel's clocks judged as the reference judges them, for all clocks at once.

The kernel writes each clock's start, stop or cancellation and, for a clock that met a
`pause` or `resume` line, those lines in order (`Rows.pauses`). The reference replays a
clock's pauses one line at a time (`LeadReplay.pause`, `end_pause`), then `judge`s it;
here the same steps run as numpy over every clock at once: the k-th pause line of every
clock in one step, the deadlines and business time of each goal's clocks by the
calendar searches of `slalang.engine.deadlines`. Each step mirrors one branch of the
reference, and the differential tests hold the two to the same report.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from slalang.engine.compile import NONE
from slalang.engine.deadlines import add_business_seconds, deadlines, elapsed
from slalang.evaluate.aggregate import STATUSES
from slalang.evaluate.model import Goal, Sla

Ints = npt.NDArray[np.int64]

MET, LATE, MISSED, PENDING, AT_RISK, CANCELLED, EXEMPT = range(len(STATUSES))
assert STATUSES[MISSED] == "missed" and STATUSES[EXEMPT] == "exempt"

_RESUME, _PAUSE = 1, 2
"""The bits of a pause line's mark: it matches the SLA's `resume` line, its `pause` line."""


class Judged:
    """What `LeadReplay.judge` says of each clock row, as columns (`NONE`: None)."""

    def __init__(self, size: int) -> None:
        self.due = np.full(size, NONE, np.int64)
        self.status = np.zeros(size, np.int64)  # index into STATUSES
        self.elapsed = np.zeros(size, np.int64)
        self.late_by = np.full(size, NONE, np.int64)
        self.paused_seconds = np.zeros(size, np.int64)
        self.paused = np.zeros(size, bool)


class _Clocks:
    """The running state of some clocks (the `Clock` fields the pause steps change), one
    entry per clock, and each clock's goal."""

    def __init__(self, slas: Sequence[Sla], sla: Ints, goal: Ints, start: Ints) -> None:
        self.start = start
        self.due = np.full(len(start), NONE, np.int64)
        self.since = np.full(len(start), NONE, np.int64)  # paused since (NONE: running)
        self.paused = np.zeros(len(start), np.int64)  # paused seconds
        # clocks by goal: (goal, their indices); clocks without a goal are not listed
        key = sla * (1 + max((len(s.goals) for s in slas), default=0)) + goal
        self.goals: list[tuple[Goal, Ints]] = []
        for k in np.unique(key[goal >= 0]).tolist():
            mine = np.flatnonzero(key == k)
            rule = slas[int(sla[mine[0]])].goals[int(goal[mine[0]])]
            self.goals.append((rule, mine))
            self.due[mine] = deadlines(rule, start[mine])
        self.unpaused = self.due.copy()

    def by_goal(self, clocks: Ints) -> list[tuple[Goal | None, Ints, Ints]]:
        """`clocks` (distinct) split by goal: (goal or None, positions in `clocks`, the
        clocks)."""
        found: list[tuple[Goal | None, Ints, Ints]] = []
        listed = np.zeros(len(clocks), bool)
        for rule, mine in self.goals:
            where = np.flatnonzero(np.isin(clocks, mine))
            if len(where):
                found.append((rule, where, clocks[where]))
                listed[where] = True
        where = np.flatnonzero(~listed)
        if len(where):
            found.append((None, where, clocks[where]))
        return found

    def pause(self, clocks: Ints, at: Ints) -> None:
        """`LeadReplay.pause`: a pause after the deadline in force changes nothing."""
        due = self.due[clocks]
        takes = (due == NONE) | (at <= due)
        self.since[clocks[takes]] = at[takes]

    def end_pause(self, clocks: Ints, at: Ints) -> None:
        """`LeadReplay.end_pause` of the paused ones of `clocks` (distinct) at `at`: the
        pause's length on the goal's clock added, the deadline moved by as much."""
        paused = self.since[clocks] != NONE
        clocks, at = clocks[paused], at[paused]
        for rule, where, mine in self.by_goal(clocks):
            since, end = self.since[mine], at[where]
            if rule is None:
                self.paused[mine] += end - since
                continue
            self.paused[mine] += elapsed(rule, since, end)
            self.due[mine] = _paused_deadline(
                rule, self.start[mine], self.unpaused[mine], self.paused[mine], end
            )
        self.since[clocks] = NONE


def _paused_deadline(goal: Goal, start: Ints, unpaused: Ints, paused: Ints, resumed: Ints) -> Ints:
    """`Goal.paused_deadline` of each clock."""
    allowed = elapsed(goal, start, unpaused)
    if goal.kind == "calendar" or goal.calendar is None:
        due = start + allowed + paused
    else:
        due = add_business_seconds(goal.calendar, start, allowed + paused)
    latest: Ints = np.maximum(due, resumed)
    return latest


def judge(
    slas: Sequence[Sla],
    ck: Ints,
    pauses: Ints,
    rows: Ints,
    as_of: int,
) -> Judged:
    """The judgement of the clock rows `rows` (ascending) of the kernel's `ck`, whose
    pause lines are `pauses` (see `slalang.engine.kernel`), as of `as_of`; the other rows
    of the result are left as `Judged` makes them."""
    judged = Judged(len(ck))
    sla, goal, start, stopped, cancelled = (ck[rows, j] for j in (1, 3, 4, 5, 6))
    clocks = _Clocks(slas, sla, goal, start)
    _replay_pauses(clocks, rows, pauses)
    # the stop or cancellation ends a pause; a clock still paused is pending, paused
    stops = stopped != NONE
    cancels = ~stops & (cancelled != NONE)
    ends = np.flatnonzero(stops | cancels)
    clocks.end_pause(ends, np.where(stops, stopped, cancelled)[ends])
    paused = clocks.since != NONE
    still = np.flatnonzero(paused)
    clocks.end_pause(still, np.full(len(still), as_of, np.int64))
    due, spent = clocks.due, clocks.paused
    status = np.full(len(rows), EXEMPT, np.int64)
    worked = np.zeros(len(rows), np.int64)
    late_by = np.full(len(rows), NONE, np.int64)
    end = np.where(stops, stopped, np.where(cancels, cancelled, as_of))
    for rule, mine in clocks.goals:
        w = slas[int(sla[mine[0]])].warn
        worked[mine] = elapsed(rule, start[mine], end[mine]) - spent[mine]
        status[mine] = _status(
            stops[mine],
            cancels[mine],
            paused[mine],
            end[mine],
            due[mine],
            as_of,
        )
        if w is not None:
            pending = mine[(status[mine] == PENDING) & ~paused[mine]]
            unpaused = clocks.unpaused[pending]
            base = np.where(unpaused != 0, unpaused, due[pending])  # `unpaused_due or due`
            allowed = elapsed(rule, start[pending], base)
            status[pending[worked[pending] > w * allowed]] = AT_RISK
        late = mine[(status[mine] == LATE) | (status[mine] == MISSED)]
        late_by[late] = end[late] - due[late]
    exempt = np.flatnonzero(goal < 0)
    if len(exempt):  # `stopped or cancelled or as_of`, as the reference writes it
        stop, cancel = stopped[exempt], cancelled[exempt]
        over = np.where(
            (stop != NONE) & (stop != 0),
            stop,
            np.where((cancel != NONE) & (cancel != 0), cancel, as_of),
        )
        worked[exempt] = np.maximum(0, over - start[exempt] - spent[exempt])
    judged.due[rows] = due
    judged.status[rows] = status
    judged.elapsed[rows] = worked
    judged.late_by[rows] = late_by
    judged.paused_seconds[rows] = spent
    judged.paused[rows] = paused
    return judged


def _status(
    stops: npt.NDArray[np.bool_],
    cancels: npt.NDArray[np.bool_],
    paused: npt.NDArray[np.bool_],
    end: Ints,
    due: Ints,
    as_of: int,
) -> Ints:
    """Each clock's status but `at_risk` (which needs the warning level)."""
    running = np.where(~paused & (as_of > due), MISSED, PENDING)
    status: Ints = np.where(
        stops,
        np.where(end <= due, MET, LATE),
        np.where(cancels, np.where(end > due, MISSED, CANCELLED), running),
    )
    return status


def _replay_pauses(clocks: _Clocks, rows: Ints, pauses: Ints) -> None:
    """The pause lines of the clocks, in order: step k takes every clock's k-th line (a
    clock's lines depend on one another, different clocks' do not)."""
    mine = pauses[np.isin(pauses[:, 0], rows)]
    if not len(mine):
        return
    clock = np.searchsorted(rows, mine[:, 0])
    order = np.argsort(clock, kind="stable")  # each clock's lines in the order written
    clock, at, mark = clock[order], mine[order, 1], mine[order, 2]
    first = np.flatnonzero(np.r_[True, clock[1:] != clock[:-1]])
    rank = np.arange(len(clock)) - np.repeat(first, np.diff(np.r_[first, len(clock)]))
    for step in range(int(rank.max()) + 1):
        now = np.flatnonzero(rank == step)
        c, when, bits = clock[now], at[now], mark[now]
        paused = clocks.since[c] != NONE
        resume = paused & (bits & _RESUME != 0)
        pause = ~paused & (bits & _PAUSE != 0)
        clocks.end_pause(c[resume], when[resume])
        clocks.pause(c[pause], when[pause])
