"""Replay: one lead's events against the runtime plan, in the order of LANGUAGE §11.

`replay` is a pure function of (runtime, lead id, the lead's events, as_of): no I/O, no
clock, no shared state, so leads can be replayed in any order, in other processes or on
other machines, and reduced afterwards (`aggregate.py`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from math import copysign
from typing import Any, Protocol

from slalang.evaluate.model import (
    Clock,
    ClockRecord,
    Fact,
    Fields,
    Goal,
    HandoffRecord,
    LeadResult,
    RateFact,
    Runtime,
    Scores,
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
    def fields(self) -> dict[str, Any]: ...


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
    return _Lead(runtime, lead_id, as_of, trace).run(events)


class _Lead:
    """The mutable state of one replay; it never outlives `replay`."""

    def __init__(self, runtime: Runtime, lead_id: str, as_of: int, trace: bool) -> None:
        self.rt = runtime
        self.as_of = as_of
        self.trace = trace
        self.result = LeadResult(lead_id)
        self.fields: Fields = {}
        self.scores: Scores = {score.name: 0.0 for score in runtime.scores}
        self.hits: list[list[deque[int]]] = [
            [deque() for _ in score.per_rules] for score in runtime.scores
        ]
        self.stage = -1
        self.exited = False
        self.running: dict[int, Clock] = {}
        self.closed: list[Clock] = []
        self.cycles = [0] * len(runtime.slas)
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
        if self.trace:
            self.note(ts, "event", kind)
        self.apply_fields(ts, event.fields)  # 1
        self.update_scores(ts, kind)  # 2
        self.count_event(ts, kind)
        self.stop_clocks(ts, kind)  # 3
        if self.exited:
            return
        left = self.exit_or_recycle(ts, kind)  # 4
        if self.exited:
            return
        entered = [] if left else self.advance(ts, kind)  # 5
        self.start_clocks(ts, kind, entered)  # 6

    def apply_fields(self, ts: int, values: dict[str, Any]) -> None:
        if self.trace:
            for name, value in values.items():
                if self.fields.get(name) != value:
                    self.note(ts, "field", f"{name} = {value!r}")
        self.fields.update(values)

    def update_scores(self, ts: int, kind: str) -> None:
        fields = self.fields
        for s, score in enumerate(self.rt.scores):
            hits = self.hits[s]
            for r, rule in enumerate(score.per_rules):
                if rule.trigger.fires(kind, fields, self.scores):
                    hits[r].append(ts)
            if score.window is not None:
                horizon = ts - score.window
                for queue in hits:
                    while queue and queue[0] <= horizon:
                        queue.popleft()
        self.compute_scores(ts)

    def compute_scores(self, ts: int) -> None:
        fields = self.fields
        previous = self.scores
        current: Scores = {}
        for s, score in enumerate(self.rt.scores):
            total = 0.0
            for rule in score.when_rules:
                if rule.predicate(fields, previous):
                    total += rule.points
            for rule, queue in zip(score.per_rules, self.hits[s], strict=True):
                points = rule.points * len(queue)
                if rule.at_most is not None:
                    points = copysign(min(abs(points), rule.at_most), points)
                total += points
            if score.limit is not None:
                total = min(total, score.limit)
            current[score.name] = total
            if self.trace and total != previous.get(score.name):
                self.note(ts, "score", f"{score.name} = {_num(total)}")
        self.scores = current

    def count_event(self, ts: int, kind: str) -> None:
        for probe in self.rt.event_probes:
            if probe.trigger.fires(kind, self.fields, self.scores):
                group = self.fields.get(probe.by) if probe.by else None
                self.result.facts.append(Fact(probe.id, ts, group, 1.0))

    def stop_clocks(self, ts: int, kind: str) -> None:
        for index in list(self.running):
            sla = self.rt.slas[index]
            if any(t.fires(kind, self.fields, self.scores) for t in sla.stops):
                clock = self.running.pop(index)
                clock.stopped_at = ts
                self.closed.append(clock)
                if self.trace:
                    self.note(ts, "clock", f"{sla.name} #{clock.cycle} stopped", sla.source)

    def exit_or_recycle(self, ts: int, kind: str) -> bool:
        """Exit, then recycle (LANGUAGE §11 step 4); True when the lead left its stage."""
        if any(t.fires(kind, self.fields, self.scores) for t in self.rt.exits):
            self.exited = True
            for index in list(self.running):
                self.cancel(index, ts)
            if self.trace:
                self.note(ts, "exit", "the lead leaves the funnel")
            return True
        for recycle in self.rt.recycles:
            if self.stage > recycle.to_index and recycle.trigger.fires(
                kind, self.fields, self.scores
            ):
                self.stage = recycle.to_index
                for hits in self.hits:
                    for queue in hits:
                        queue.clear()
                self.compute_scores(ts)
                for index in list(self.running):
                    if any(s > recycle.to_index for s in self.rt.slas[index].start_stages):
                        self.cancel(index, ts)
                if self.trace:
                    target = self.rt.stages[recycle.to_index].name
                    self.note(ts, "recycle", f"back to {target}")
                return True
        return False

    def cancel(self, index: int, ts: int) -> None:
        clock = self.running.pop(index)
        clock.cancelled_at = ts
        self.closed.append(clock)
        if self.trace:
            sla = self.rt.slas[index]
            self.note(ts, "clock", f"{sla.name} #{clock.cycle} cancelled", sla.source)

    def advance(self, ts: int, kind: str) -> list[int]:
        """Move to the furthest stage whose condition holds; enter or skip those between."""
        stages = self.rt.stages
        holds = [False] * len(stages)
        furthest = -1
        for stage in stages[self.stage + 1 :]:
            ok = (stage.on is not None and stage.on.fires(kind, self.fields, self.scores)) or (
                stage.when is not None and stage.when(self.fields, self.scores)
            )
            holds[stage.index] = ok
            if ok:
                furthest = stage.index
        entered: list[int] = []
        for index in range(self.stage + 1, furthest + 1):
            self.reach(ts, index, entered=holds[index])
            if holds[index]:
                entered.append(index)
        if furthest >= 0:
            self.stage = furthest
        return entered

    def reach(self, ts: int, index: int, *, entered: bool) -> None:
        stage = self.rt.stages[index]
        kind = "entered" if entered else "skipped"
        self.result.stages.append(StageRecord(stage.name, kind, ts))
        if self.trace:
            self.note(ts, "stage", f"{kind} {stage.name}", stage.source)
        for probe in self.rt.stage_probes:
            if probe.stage != index or not (entered or probe.reaching):
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
        for rate in self.rt.rate_probes:
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

    def start_clocks(self, ts: int, kind: str, entered: list[int]) -> None:
        rt = self.rt
        if rt.effective_from is not None and ts < rt.effective_from:
            return
        if rt.effective_until is not None and ts >= rt.effective_until:
            return
        for sla in rt.slas:
            if sla.index in self.running:
                continue
            starts = any(i in sla.start_stages for i in entered) or any(
                t.fires(kind, self.fields, self.scores) for t in sla.start_on
            )
            if not starts:
                continue
            goal = self.choose_goal(sla.goals)
            self.cycles[sla.index] += 1
            due = goal.deadline(ts) if goal is not None else None
            groups = {name: self.fields.get(name) for name in sla.group_by}
            self.running[sla.index] = Clock(
                sla.index, self.cycles[sla.index], goal, ts, due, groups
            )
            if self.trace:
                detail = f"{sla.name} #{self.cycles[sla.index]} started"
                if goal is None or due is None:
                    detail += ", no goal matched: exempt"
                else:
                    detail += f", goal {goal.text}, due {iso(due)}"
                self.note(ts, "clock", detail, sla.source)

    def choose_goal(self, goals: Sequence[Goal]) -> Goal | None:
        """The first `within` line whose condition holds when the clock opens (§9)."""
        for goal in goals:
            if goal.condition is None or goal.condition(self.fields, self.scores):
                return goal
        return None

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
        sla = self.rt.slas[clock.sla]
        goal, start, due = clock.goal, clock.started_at, clock.due_at
        late_by: int | None = None
        if goal is None or due is None:
            end = clock.stopped_at or clock.cancelled_at or self.as_of
            status, elapsed = "exempt", max(0, end - start)
        elif clock.stopped_at is not None:
            elapsed = goal.elapsed(start, clock.stopped_at)
            status = "met" if clock.stopped_at <= due else "late"
            if status == "late":
                late_by = clock.stopped_at - due
        elif clock.cancelled_at is not None:
            elapsed = goal.elapsed(start, clock.cancelled_at)
            status = "missed" if clock.cancelled_at > due else "cancelled"
            if status == "missed":
                late_by = clock.cancelled_at - due
        else:
            elapsed = goal.elapsed(start, self.as_of)
            if self.as_of > due:
                status, late_by = "missed", self.as_of - due
            elif sla.warn is not None and elapsed > sla.warn * goal.elapsed(start, due):
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
        )

    def note(self, ts: int, what: str, detail: str, source: Any = None) -> None:
        self.result.steps.append(Step(ts, what, detail, source))


def _absent(value: object) -> bool:
    return value is None or value == ""


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"
