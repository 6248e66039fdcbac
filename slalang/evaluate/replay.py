"""Replay: one lead's events against the runtime plan, in the order of LANGUAGE §11.

`replay` is a pure function of (runtime, lead id, the lead's events, as_of): no I/O, no
clock, no shared state, so leads can be replayed in any order, in other processes or on
other machines, and reduced afterwards (`aggregate.py`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from math import copysign
from typing import Any, Protocol

from slalang.evaluate.model import (
    Clock,
    ClockRecord,
    Dispatch,
    Fact,
    Fields,
    Goal,
    HandoffRecord,
    LeadResult,
    PerRule,
    RateFact,
    Runtime,
    Scores,
    Sla,
    StageRecord,
    Step,
    iso,
)


class EventLike(Protocol):
    """What replay reads of an event: the reader's `Event` has these and more."""

    @property
    def ts(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def fields(self) -> Mapping[str, Any]: ...


def replay(
    runtime: Runtime,
    lead_id: str,
    events: Sequence[EventLike],
    as_of: int,
    *,
    trace: bool = False,
) -> LeadResult:
    """Everything one lead contributes to the report. `events` are in replay order
    (timestamp, then input order); `trace` also records the timeline for `explain`."""
    return LeadReplay(runtime, lead_id, as_of, trace).run(events)


class LeadReplay:
    """The mutable state of one lead's replay, one `step` per event.

    `replay` runs it over a whole timeline; the sample generator steps it as it makes a lead
    up, so its sales reps react exactly when the policy says the lead qualified.
    """

    def __init__(self, runtime: Runtime, lead_id: str, as_of: int, trace: bool) -> None:
        self.rt = runtime
        self.as_of = as_of
        self.trace = trace
        self.result = LeadResult(lead_id)
        self.fields: Fields = {}
        self.scores: Scores = dict.fromkeys(runtime.score_names, 0.0)
        self.hits: list[list[deque[int]]] = [
            [deque() for _ in score.per_rules] for score in runtime.scores
        ]
        # each `per` rule's current points, and per score the earliest hit a window can drop
        self.contrib = [[0.0] * len(score.per_rules) for score in runtime.scores]
        self.expiry = [_NEVER] * len(runtime.scores)
        self.stage = -1
        self.exited = False
        self.running: dict[int, Clock] = {}
        self.closed: list[Clock] = []
        self.cycles = [0] * len(runtime.slas)
        self.fields_changed = True
        self.dirty = [True] * len(runtime.scores)
        self.when_part = [0.0] * len(runtime.scores)
        self.per_part = [0.0] * len(runtime.scores)
        self.rate_source: dict[int, tuple[int, Any]] = {}  # probe → (first reach, group)
        self.rate_dest: dict[int, int] = {}

    def run(self, events: Sequence[EventLike]) -> LeadResult:
        for event in events:
            self.step(event)
        self.finish()
        return self.result

    # ---- one event, LANGUAGE §11 -------------------------------------------------------

    def step(self, event: EventLike) -> None:
        ts, kind = event.ts, event.type
        todo = self.rt.dispatch.get(kind, self.rt.idle)
        if self.trace:
            self.note(ts, "event", kind)
        if event.fields:
            self.apply_fields(ts, event.fields)  # 1
        self.update_scores(ts, todo)  # 2
        if todo.event_probes:
            self.count_event(ts, todo)
        if self.running:
            self.stop_clocks(ts, todo)  # 3
        if self.exited:
            return
        left = (todo.exits or todo.recycles) and self.exit_or_recycle(ts, todo)  # 4
        if self.exited:
            return
        entered = [] if left or self.stage >= todo.last_stage else self.advance(ts, kind, todo)  # 5
        if todo.starts or entered:
            self.start_clocks(ts, todo, entered)  # 6

    def apply_fields(self, ts: int, values: Mapping[str, Any]) -> None:
        """Non-empty values overwrite; `fields_changed` lets scores skip their `when`
        rules after the many events (page views…) that set no field."""
        fields = self.fields
        for name, value in values.items():
            if fields.get(name) != value:
                fields[name] = value
                self.fields_changed = True
                if self.trace:
                    self.note(ts, "field", f"{name} = {value!r}")

    def update_scores(self, ts: int, todo: Dispatch) -> None:
        fields, scores, dirty = self.fields, self.scores, self.dirty
        for s, r, rule in todo.per_rules:
            where = rule.trigger.where
            if where is None or where(fields, scores):
                queue = self.hits[s][r]
                queue.append(ts)
                self.contrib[s][r] = _points(rule, len(queue))
                self.expiry[s] = min(self.expiry[s], ts)
                dirty[s] = True
        for s, window in self.rt.windowed:
            horizon = ts - window
            if self.expiry[s] <= horizon:
                self.expire(s, horizon)
                dirty[s] = True
        if self.fields_changed or self.rt.reads_scores or True in dirty:
            self.compute_scores(ts)

    def expire(self, s: int, horizon: int) -> None:
        """Drop the hits of score `s` at or before `horizon` (its window moved past them)."""
        rules = self.rt.scores[s].per_rules
        earliest = _NEVER
        for r, queue in enumerate(self.hits[s]):
            if queue and queue[0] <= horizon:
                while queue and queue[0] <= horizon:
                    queue.popleft()
                self.contrib[s][r] = _points(rules[r], len(queue))
            if queue and queue[0] < earliest:
                earliest = queue[0]
        self.expiry[s] = earliest

    def compute_scores(self, ts: int) -> None:
        """Each score is its `when` part (re-read when a field changed, or always when it
        reads scores) plus its `per` part (re-counted when a hit came or went). Rules that
        read scores see the values from before this event, so the order of blocks never
        matters; without such rules the values are updated in place."""
        fields = self.fields
        previous = self.scores
        current = dict(previous) if self.rt.reads_scores else previous
        changed = self.fields_changed
        for s, score in enumerate(self.rt.scores):
            dirty = self.dirty[s]
            if not (changed or dirty or score.reads_scores):
                continue
            if changed or score.reads_scores:
                self.when_part[s] = sum(
                    rule.points for rule in score.when_rules if rule.predicate(fields, previous)
                )
            if dirty:
                self.dirty[s] = False
                self.per_part[s] = sum(self.contrib[s])
            value = self.when_part[s] + self.per_part[s]
            if score.limit is not None:
                value = min(value, score.limit)
            if self.trace and value != previous[score.name]:
                self.note(ts, "score", f"{score.name} = {_num(value)}")
            current[score.name] = value
        self.fields_changed = False
        self.scores = current

    def count_event(self, ts: int, todo: Dispatch) -> None:
        for probe in todo.event_probes:
            where = probe.trigger.where
            if where is None or where(self.fields, self.scores):
                group = self.fields.get(probe.by) if probe.by else None
                self.result.facts.append(Fact(probe.id, ts, group, 1.0))

    def stop_clocks(self, ts: int, todo: Dispatch) -> None:
        """Step 3 for each running clock: a matching stop closes it (paused or not);
        otherwise a paused clock that matches `resume` resumes; otherwise a running clock
        that matches `pause` pauses (§14.1)."""
        fields, scores, running = self.fields, self.scores, self.running
        for index, trigger in todo.stops:
            if index in running and (trigger.where is None or trigger.where(fields, scores)):
                self.close(index, ts, stopped=True)
        resumed: list[int] = []
        for index, trigger in todo.resumes:
            clock = running.get(index)
            if clock is None or clock.paused_since is None:
                continue
            if trigger.where is None or trigger.where(fields, scores):
                self.end_pause(clock, ts)
                resumed.append(index)
                if self.trace:
                    self.note_pause(ts, clock, "resumed")
        for index, trigger in todo.pauses:
            clock = running.get(index)
            if clock is None or clock.paused_since is not None or index in resumed:
                continue
            if trigger.where is None or trigger.where(fields, scores):
                self.pause(clock, ts)

    def pause(self, clock: Clock, ts: int) -> None:
        """A pause at or before the deadline in force stops the clock; one after it changes
        nothing: the clock is already overdue (§14.1)."""
        if clock.due_at is not None and ts > clock.due_at:
            if self.trace:
                self.note_pause(ts, clock, "not paused: past its deadline")
            return
        clock.paused_since = ts
        if self.trace:
            self.note_pause(ts, clock, "paused")

    def end_pause(self, clock: Clock, ts: int) -> None:
        """The pause ends at ts (a resume, or the clock stopped or cancelled while paused):
        its length on the goal's clock is added and the deadline moved by as much."""
        since = clock.paused_since
        if since is None:
            return
        clock.paused_since = None
        goal, unpaused = clock.goal, clock.unpaused_due
        if goal is None or unpaused is None:
            clock.paused_seconds += ts - since
            return
        clock.paused_seconds += goal.elapsed(since, ts)
        clock.due_at = goal.paused_deadline(clock.started_at, unpaused, clock.paused_seconds, ts)

    def note_pause(self, ts: int, clock: Clock, what: str) -> None:
        sla = self.rt.slas[clock.sla]
        detail = f"{sla.name} #{clock.cycle} {what}"
        if what == "resumed" and clock.due_at is not None:
            detail += f", due {iso(clock.due_at)}"
        source = sla.resume_source if what == "resumed" else sla.pause_source
        self.note(ts, "clock", detail, source)

    def exit_or_recycle(self, ts: int, todo: Dispatch) -> bool:
        """Exit, then recycle (LANGUAGE §11 step 4); True when the lead left its stage."""
        fields, scores = self.fields, self.scores
        if any(t.where is None or t.where(fields, scores) for t in todo.exits):
            self.exited = True
            for index in list(self.running):
                self.close(index, ts, stopped=False)
            if self.trace:
                self.note(ts, "exit", "the lead leaves the funnel")
            return True
        for recycle in todo.recycles:
            where = recycle.trigger.where
            if self.stage > recycle.to_index and (where is None or where(fields, scores)):
                self.stage = recycle.to_index
                for s, hits in enumerate(self.hits):
                    self.contrib[s] = [0.0] * len(hits)
                    self.expiry[s] = _NEVER
                    for queue in hits:
                        queue.clear()
                    self.dirty[s] = True
                self.compute_scores(ts)
                for index in list(self.running):
                    if any(s > recycle.to_index for s in self.rt.slas[index].start_stages):
                        self.close(index, ts, stopped=False)
                if self.trace:
                    target = self.rt.stages[recycle.to_index].name
                    self.note(ts, "recycle", f"back to {target}")
                return True
        return False

    def close(self, index: int, ts: int, *, stopped: bool) -> None:
        """A running clock ends: stopped by its stop trigger, or cancelled (§9)."""
        clock = self.running.pop(index)
        self.end_pause(clock, ts)
        if stopped:
            clock.stopped_at = ts
        else:
            clock.cancelled_at = ts
        self.closed.append(clock)
        if self.trace:
            sla = self.rt.slas[index]
            what = "stopped" if stopped else "cancelled"
            self.note(ts, "clock", f"{sla.name} #{clock.cycle} {what}", sla.source)

    def advance(self, ts: int, kind: str, todo: Dispatch) -> list[int]:
        """Move to the furthest stage whose condition holds; enter or skip those between."""
        fields, scores, current = self.fields, self.scores, self.stage
        holding: set[int] = set()
        for stage in todo.stages:
            if stage.index <= current:
                continue
            on = stage.on
            if (
                on is not None
                and kind in on.events
                and (on.where is None or on.where(fields, scores))
            ) or (stage.when is not None and stage.when(fields, scores)):
                holding.add(stage.index)
        if not holding:
            return []
        furthest = max(holding)
        entered: list[int] = []
        for index in range(current + 1, furthest + 1):
            self.reach(ts, index, entered=index in holding)
            if index in holding:
                entered.append(index)
        self.stage = furthest
        return entered

    def reach(self, ts: int, index: int, *, entered: bool) -> None:
        stage = self.rt.stages[index]
        kind = "entered" if entered else "skipped"
        self.result.stages.append(StageRecord(stage.name, kind, ts))
        if self.trace:
            self.note(ts, "stage", f"{kind} {stage.name}", stage.source)
        for probe in self.rt.probes_at[index]:
            if not (entered or probe.reaching):
                continue
            if probe.where is not None and not probe.where(self.fields, self.scores):
                continue
            amount = 1.0
            if probe.field is not None:
                value = self.fields.get(probe.field)
                if not isinstance(value, (int, float)):
                    continue
                amount = float(value)
            group = self.fields.get(probe.by) if probe.by else None
            self.result.facts.append(Fact(probe.id, ts, group, amount))
        for rate in self.rt.rates_at[index]:
            if rate.source == index and rate.id not in self.rate_source:
                group = self.fields.get(rate.by) if rate.by else None
                self.rate_source[rate.id] = (ts, group)
            if rate.dest == index and rate.id in self.rate_source and rate.id not in self.rate_dest:
                self.rate_dest[rate.id] = ts
        if entered and stage.handoff is not None:
            self.check_handoff(ts, stage.name, stage.handoff)

    def check_handoff(self, ts: int, stage: str, handoff: Any) -> None:
        missing = tuple(f for f in handoff.required if _absent(self.fields.get(f)))
        failed = tuple(text for text, pred in handoff.checks if not pred(self.fields, self.scores))
        if missing or failed:
            self.result.handoffs.append(HandoffRecord(stage, ts, missing, failed))
            if self.trace:
                what = ", ".join((*missing, *failed))
                self.note(ts, "handoff", f"{stage} incomplete: {what}", handoff.source)

    def start_clocks(self, ts: int, todo: Dispatch, entered: list[int]) -> None:
        rt = self.rt
        if rt.effective_from is not None and ts < rt.effective_from:
            return
        if rt.effective_until is not None and ts >= rt.effective_until:
            return
        starting: list[int] = [
            index
            for index, trigger in todo.starts
            if trigger.where is None or trigger.where(self.fields, self.scores)
        ]
        if entered:
            starting += [
                sla.index for sla in rt.slas if any(i in sla.start_stages for i in entered)
            ]
        for index in sorted(set(starting)):
            if index not in self.running:
                self.open_clock(ts, rt.slas[index])

    def open_clock(self, ts: int, sla: Sla) -> None:
        goal = self.choose_goal(sla.goals)
        self.cycles[sla.index] += 1
        due = goal.deadline(ts) if goal is not None else None
        groups = {name: self.fields.get(name) for name in sla.group_by}
        self.running[sla.index] = Clock(
            sla.index, self.cycles[sla.index], goal, ts, due, groups, unpaused_due=due
        )
        if self.trace:
            detail = f"{sla.name} #{self.cycles[sla.index]} started"
            if goal is None or due is None:
                detail += ", no goal matched: exempt"
            else:
                detail += f", goal {goal.text}, due {iso(due)}"
            self.note(ts, "clock", detail, sla.source)

    def choose_goal(self, goals: Sequence[Goal]) -> Goal | None:
        return first_goal(goals, self.fields, self.scores)

    # ---- the end: statuses as of as_of -------------------------------------------------

    def finish(self) -> None:
        clocks = sorted(
            [*self.closed, *self.running.values()], key=lambda c: (c.started_at, c.sla, c.cycle)
        )
        for clock in clocks:
            self.result.clocks.append(self.judge(clock))
        for probe, (reached, group) in sorted(self.rate_source.items()):
            self.result.rates.append(RateFact(probe, reached, self.rate_dest.get(probe), group))

    def judge(self, clock: Clock) -> ClockRecord:
        """The clock's status as of `as_of`. Elapsed time leaves out the paused spans; a
        clock paused at `as_of` is pending, its deadline as if it resumed then (§14.1)."""
        sla = self.rt.slas[clock.sla]
        paused = clock.paused_since is not None
        self.end_pause(clock, self.as_of)
        goal, start, due = clock.goal, clock.started_at, clock.due_at
        late_by: int | None = None
        if goal is None or due is None:
            end = clock.stopped_at or clock.cancelled_at or self.as_of
            status, elapsed = "exempt", max(0, end - start - clock.paused_seconds)
        elif clock.stopped_at is not None:
            elapsed = goal.elapsed(start, clock.stopped_at) - clock.paused_seconds
            status = "met" if clock.stopped_at <= due else "late"
            if status == "late":
                late_by = clock.stopped_at - due
        elif clock.cancelled_at is not None:
            elapsed = goal.elapsed(start, clock.cancelled_at) - clock.paused_seconds
            status = "missed" if clock.cancelled_at > due else "cancelled"
            if status == "missed":
                late_by = clock.cancelled_at - due
        else:
            elapsed = goal.elapsed(start, self.as_of) - clock.paused_seconds
            if paused:
                status = "pending"
            elif self.as_of > due:
                status, late_by = "missed", self.as_of - due
            elif sla.warn is not None and elapsed > sla.warn * goal.elapsed(
                start, clock.unpaused_due or due
            ):
                status = "at_risk"
            else:
                status = "pending"
        return ClockRecord(
            sla=sla.name,
            cycle=clock.cycle,
            goal=goal.text if goal else None,
            started_at=start,
            due_at=due,
            stopped_at=clock.stopped_at,
            status=status,
            elapsed_seconds=elapsed,
            late_by_seconds=late_by,
            groups=tuple(sorted(clock.groups.items())),
            paused_seconds=clock.paused_seconds,
            paused=paused,
        )

    def note(self, ts: int, what: str, detail: str, source: Any = None) -> None:
        self.result.steps.append(Step(ts, what, detail, source))


_NEVER = 1 << 62
"""Later than any instant: the expiry of a score with no hits to drop."""


def _points(rule: PerRule, hits: int) -> float:
    """A `per` rule's points for its number of hits, `at most` capping their size."""
    points = rule.points * hits
    if rule.at_most is not None:
        points = copysign(min(abs(points), rule.at_most), points)
    return points


def first_goal(goals: Sequence[Goal], fields: Fields, scores: Scores) -> Goal | None:
    """The first `within` line whose condition holds when the clock opens (§9)."""
    for goal in goals:
        if goal.condition is None or goal.condition(fields, scores):
            return goal
    return None


def _absent(value: object) -> bool:
    return value is None or value == ""


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
