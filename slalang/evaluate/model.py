"""The evaluator's values: the runtime form of a plan, and what replaying one lead yields.

`Runtime` is built once from a plan (see `runtime.py`): predicates are closures, calendars
are live engines, events are indexed, so the per-event loop does dictionary look-ups and
calls, nothing more. `LeadResult` is everything the reduction across leads needs; it holds
plain values only, so it can cross process (and later machine) boundaries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from slalang.calendar import Calendar

Value = str | float | bool | None


def iso(ts: int) -> str:
    """An instant as the report writes it: UTC, ISO-8601, to the second, with `Z`."""
    return datetime.fromtimestamp(ts, UTC).isoformat()[:19] + "Z"  # strftime is 5x slower


Fields = dict[str, Any]
Scores = dict[str, float]
Predicate = Callable[[Fields, Scores], bool]


@dataclass(frozen=True, slots=True)
class Source:
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class Trigger:
    """`on EVENTS [where PRED]`: the event set and the optional predicate."""

    events: frozenset[str]
    where: Predicate | None

    def fires(self, event: str, fields: Fields, scores: Scores) -> bool:
        return event in self.events and (self.where is None or self.where(fields, scores))


@dataclass(frozen=True, slots=True)
class Handoff:
    owner: str | None
    severity: str
    required: tuple[str, ...]
    checks: tuple[tuple[str, Predicate], ...]  # (text as written, predicate)
    source: Source


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    index: int
    on: Trigger | None
    when: Predicate | None
    handoff: Handoff | None
    source: Source


@dataclass(frozen=True, slots=True)
class WhenRule:
    points: float
    predicate: Predicate


@dataclass(frozen=True, slots=True)
class PerRule:
    points: float
    trigger: Trigger
    at_most: float | None


@dataclass(frozen=True, slots=True)
class Score:
    name: str
    when_rules: tuple[WhenRule, ...]
    per_rules: tuple[PerRule, ...]
    window: int | None  # seconds; only events inside (t - window, t] count
    limit: float | None
    reads_scores: bool  # a `when` rule reads a score: recompute it after every event


@dataclass(frozen=True, slots=True)
class Recycle:
    to_index: int
    trigger: Trigger


@dataclass(frozen=True, slots=True)
class Goal:
    """One `within` line. `kind` is `calendar`, `business_seconds` or `business_days`."""

    condition: Predicate | None  # None: `otherwise`
    kind: str
    amount: int  # seconds, or days for business_days
    calendar: Calendar | None
    text: str

    def deadline(self, start: int) -> int:
        if self.kind == "calendar" or self.calendar is None:
            return start + self.amount
        if self.kind == "business_days":
            return self.calendar.add_business_days_epoch(start, self.amount)
        return self.calendar.add_business_seconds_epoch(start, self.amount)

    def elapsed(self, start: int, end: int) -> int:
        """Time on the goal's own clock: business time for business goals."""
        if self.kind == "calendar" or self.calendar is None:
            return max(0, end - start)
        return self.calendar.business_seconds_epoch(start, end)

    def paused_deadline(self, start: int, unpaused: int, paused: int, resumed: int) -> int:
        """The deadline of a clock that has been paused for `paused` seconds of the goal's
        own clock and last resumed at `resumed` (§14.1): the instant at which the time not
        paused reaches the allowed time, and never before the resume (a clock that resumes
        with no time left is due at once; its deadline cannot pass while it is paused).
        The allowed time is the goal's clock from the start to the unpaused deadline, which
        for `business days` is the business time of those days."""
        allowed = self.elapsed(start, unpaused)
        if self.kind == "calendar" or self.calendar is None:
            due = start + allowed + paused
        else:
            due = self.calendar.add_business_seconds_epoch(start, allowed + paused)
        return max(due, resumed)


@dataclass(frozen=True, slots=True)
class Sla:
    name: str
    index: int
    owner: str | None
    severity: str
    label: str | None
    start_stages: frozenset[int]  # `start when entering STAGE`
    start_on: tuple[Trigger, ...]
    stops: tuple[Trigger, ...]
    pause: Trigger | None
    resume: Trigger | None
    goals: tuple[Goal, ...]
    warn: float | None
    group_by: tuple[str, ...]  # fields read at the start, for grouped compliance targets
    source: Source
    pause_source: Source | None  # the `pause` line, for explain (None: the SLA never pauses)
    resume_source: Source | None


@dataclass(frozen=True, slots=True)
class StageProbe:
    """A target aggregate fed by stage entries (`entering`) or entries and skips (`reaching`);
    with `field` set it sums that number field read at entry."""

    id: int
    stage: int
    reaching: bool
    where: Predicate | None
    field: str | None
    by: str | None


@dataclass(frozen=True, slots=True)
class EventProbe:
    id: int
    trigger: Trigger
    by: str | None


@dataclass(frozen=True, slots=True)
class RateProbe:
    id: int
    source: int
    dest: int
    by: str | None


@dataclass(frozen=True, slots=True)
class Dispatch:
    """What one event type can touch, found once per run so the replay loop looks at
    only the rules that name the event (and the `when` stages, which any event may fire)."""

    per_rules: tuple[tuple[int, int, PerRule], ...]  # (score, rule index, rule)
    stops: tuple[tuple[int, Trigger], ...]  # (sla index, trigger)
    pauses: tuple[tuple[int, Trigger], ...]  # (sla index, trigger)
    resumes: tuple[tuple[int, Trigger], ...]
    exits: tuple[Trigger, ...]
    recycles: tuple[Recycle, ...]
    starts: tuple[tuple[int, Trigger], ...]  # (sla index, trigger)
    stages: tuple[Stage, ...]  # stages this event may move the lead into, in order
    event_probes: tuple[EventProbe, ...]
    last_stage: int  # the furthest of `stages` (-1: none): a lead past it cannot move


@dataclass(frozen=True, slots=True)
class Runtime:
    stages: tuple[Stage, ...]
    scores: tuple[Score, ...]
    slas: tuple[Sla, ...]
    effective_from: int | None
    effective_until: int | None  # exclusive
    dispatch: dict[str, Dispatch]
    idle: Dispatch  # for an event no rule names: only `when` stages can move
    probes_at: tuple[tuple[StageProbe, ...], ...]  # per stage: the aggregates it feeds
    rates_at: tuple[tuple[RateProbe, ...], ...]  # per stage: rates it starts or completes
    score_names: tuple[str, ...]
    windowed: tuple[tuple[int, int], ...]  # (score index, window seconds) of windowed scores
    reads_scores: bool  # some `when` rule reads a score


# ---- results of replaying one lead ----------------------------------------------------


class StageRecord(NamedTuple):
    """Results are named tuples: they cross process boundaries, and a tuple pickles several
    times faster than a dataclass."""

    stage: str
    kind: str  # entered | skipped
    at: int


@dataclass(slots=True)
class Clock:
    """A clock of one lead. `due_at` is the deadline in force, moved by each pause once it
    ends; `unpaused_due` the deadline had it never paused. `paused_seconds` counts ended
    pauses on the goal's own clock (calendar seconds for an exempt clock)."""

    sla: int
    cycle: int
    goal: Goal | None
    started_at: int
    due_at: int | None
    groups: dict[str, Value]
    unpaused_due: int | None = None
    stopped_at: int | None = None
    cancelled_at: int | None = None
    paused_since: int | None = None
    paused_seconds: int = 0


class ClockRecord(NamedTuple):
    sla: str
    cycle: int
    goal: str | None
    started_at: int
    due_at: int | None
    stopped_at: int | None
    status: str
    elapsed_seconds: int
    late_by_seconds: int | None
    groups: tuple[tuple[str, Value], ...]
    paused_seconds: int
    paused: bool


class HandoffRecord(NamedTuple):
    stage: str
    at: int
    missing: tuple[str, ...]
    failed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Fact:
    """One counted thing for a target aggregate: when, in which group, how much."""

    probe: int
    at: int
    group: Value
    amount: float


@dataclass(frozen=True, slots=True)
class RateFact:
    probe: int
    reached_source: int
    reached_dest: int | None
    group: Value


@dataclass(frozen=True, slots=True)
class Step:
    """One line of a lead's timeline for `slalang explain`."""

    at: int
    what: str
    detail: str
    source: Source | None = None


@dataclass(slots=True)
class LeadResult:
    lead_id: str
    stages: list[StageRecord] = field(default_factory=list)
    clocks: list[ClockRecord] = field(default_factory=list)
    handoffs: list[HandoffRecord] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    rates: list[RateFact] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
